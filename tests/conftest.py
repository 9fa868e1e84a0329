"""Shared fixtures: a real SQLite file or a real PostgreSQL database per test, migrated, with
accounts for every role, and the test plugin (tests/plugins/jx_testkit) on the plugin path."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import make_url

from tests.helpers import ACCOUNTS, COOKIE_KEY, NOTES, PASSWORD, TEST_PLUGINS, testkit

PG_ENV = "JIANGXIN_TEST_POSTGRES_URL"

_ENV_KEYS = ("JIANGXIN_DATABASE_URL", "JIANGXIN_PLUGIN_PATH", "JIANGXIN_DISABLED_PLUGINS",
             "JIANGXIN_COOKIE_KEY", "JIANGXIN_DEMO", "JIANGXIN_COUNTIES_FILE",
             "JIANGXIN_STRICT_PLUGINS", "JIANGXIN_VAR_DIR", "JIANGXIN_TIME_ZONE")


def _set_env(monkeypatch, var_dir: Path, plugin_path: str = str(TEST_PLUGINS)) -> None:
    for key in _ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("JIANGXIN_VAR_DIR", str(var_dir))
    monkeypatch.setenv("JIANGXIN_PLUGIN_PATH", plugin_path)
    monkeypatch.setenv("JIANGXIN_COOKIE_KEY", COOKIE_KEY)
    # core's tests run with the test plugin alone; tests/registry turns the roster back on
    monkeypatch.setenv("JIANGXIN_DISABLED_PLUGINS", "registry")


@pytest.fixture
def env(tmp_path, monkeypatch) -> Path:
    """Environment variables for a test: its own var dir, the test plugin, a cookie key."""
    _set_env(monkeypatch, tmp_path / "var")
    return tmp_path


def _create_accounts(session) -> None:
    from core.access import auth

    for username, name, role, county in ACCOUNTS:
        auth.create_user(session, username, name, role, county, PASSWORD)


def _copy_database(template: Path, folder: Path, monkeypatch) -> str:
    """A copy of ``template`` in ``folder``, made this test's JIANGXIN_DATABASE_URL."""
    path = folder / template.name
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("JIANGXIN_DATABASE_URL", url)
    return url


def _fill(url: str) -> None:
    """Create (SQLite) and migrate ``url`` to head, and add the test accounts and notes."""
    from core.data.audit import Actor
    from core.data.db import create_database, get_engine, session_scope
    from core.data.migrate import upgrade
    from core.host.loader import get_host
    create_database(url)
    upgrade(get_engine(url), get_host())
    TestkitNote = testkit().TestkitNote
    with session_scope(Actor("fixture", "admin"), url=url) as session:
        _create_accounts(session)
        for text, county in NOTES:
            session.add(TestkitNote(text=text, county_code=county))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """One migrated, filled SQLite file; each test gets a copy (bcrypt makes accounts slow)."""
    from core.data.db import dispose_engines

    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.db"
    with pytest.MonkeyPatch.context() as mp:
        _set_env(mp, folder / "var")
        _fill(f"sqlite:///{path}")
        dispose_engines()  # closes the WAL so the single file holds everything
    return path


@pytest.fixture
def sqlite_db(env, sqlite_template, monkeypatch) -> str:
    """A filled SQLite database of this test's own (a copy of the template)."""
    url = _copy_database(sqlite_template, env, monkeypatch)
    yield url
    _dispose(url)


def _dispose(url: str) -> None:
    from core.data import db

    engine = db._engines.pop(url, None)
    if engine is not None:
        engine.dispose()


def _pg_admin_url() -> str | None:
    url = os.environ.get(PG_ENV)
    if not url:
        return None
    return url


@pytest.fixture
def pg_url(env, monkeypatch) -> str:
    """An empty PostgreSQL database made for this test on the server in JIANGXIN_TEST_POSTGRES_URL,
    dropped afterwards."""
    admin = _pg_admin_url()
    if admin is None:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    import psycopg

    parsed = make_url(admin)
    name = f"jx_test_{uuid.uuid4().hex[:12]}"
    conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = parsed.set(database=name).render_as_string(hide_password=False)
    monkeypatch.setenv("JIANGXIN_DATABASE_URL", url)
    yield url
    _dispose(url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request, env, sqlite_template, monkeypatch) -> str:
    """A filled database: the SQLite copy, and (when available) a fresh PostgreSQL one."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_db")
    else:
        url = request.getfixturevalue("pg_url")
        _fill(url)
        yield url




@pytest.fixture(scope="session")
def roster_template(tmp_path_factory) -> Path:
    """A migrated SQLite file with the roster plugin on, the test accounts and the demo roster."""
    from faker import Faker

    from core.data.audit import Actor
    from core.data.db import create_database, dispose_engines, get_engine, session_scope
    from core.data.migrate import upgrade
    from core.host.loader import get_host

    folder = tmp_path_factory.mktemp("roster")
    path = folder / "roster.db"
    url = f"sqlite:///{path}"
    with pytest.MonkeyPatch.context() as mp:
        _set_env(mp, folder / "var", plugin_path="")
        mp.delenv("JIANGXIN_DISABLED_PLUGINS")
        host = get_host()
        create_database(url)
        upgrade(get_engine(url), host)
        faker = Faker("zh_CN")
        faker.seed_instance(7)
        with session_scope(Actor("fixture", "admin"), url=url) as session:
            _create_accounts(session)
            host.call_each("jiangxin_demo_data", savepoints=session, session=session,
                           faker=faker, seed=7)
        dispose_engines()
    return path


@pytest.fixture
def roster_db(env, roster_template, monkeypatch) -> str:
    """The roster plugin on (and the test plugin off), with the demo roster, in a copy."""
    url = _copy_database(roster_template, env, monkeypatch)
    monkeypatch.setenv("JIANGXIN_PLUGIN_PATH", "")
    monkeypatch.delenv("JIANGXIN_DISABLED_PLUGINS")
    yield url
    _dispose(url)


@pytest.fixture(autouse=True)
def fresh_plugin_host():
    """Each test gets its own plugin host: problems recorded at run time (a page that crashed)
    stay with the test that caused them. Plugin modules themselves stay imported. Streamlit's
    data caches are emptied too: each test has a database of its own, and a page's cached
    choices (the audit page's users) must not come from another test's database."""
    import streamlit as st

    from core.host import loader as plugins

    plugins._hosts.clear()
    st.cache_data.clear()
    yield
