"""Shared fixtures: a real SQLite file or a real PostgreSQL database per test, migrated, with
accounts for every role, and the test plugin (tests/plugins/jx_testkit) on the plugin path."""

from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import make_url

from tests.helpers import ACCOUNTS, COOKIE_KEY, CORE_ONLY, NOTES, PASSWORD, TEST_PLUGINS, testkit

PG_ENV = "JIANGXIN_TEST_POSTGRES_URL"


def _xdist_worker(config) -> bool:
    """Whether this process is a pytest-xdist worker (``make test`` runs two)."""
    return hasattr(config, "workerinput")


_ENV_KEYS = ("JIANGXIN_DATABASE_URL", "JIANGXIN_PLUGIN_PATH", "JIANGXIN_DISABLED_PLUGINS",
             "JIANGXIN_COOKIE_KEY", "JIANGXIN_DEMO", "JIANGXIN_COUNTIES_FILE",
             "JIANGXIN_STRICT_PLUGINS", "JIANGXIN_VAR_DIR", "JIANGXIN_TIME_ZONE", "JIANGXIN_CITY_NAME")


def _set_env(monkeypatch, var_dir: Path, plugin_path: str = str(TEST_PLUGINS)) -> None:
    for key in _ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("JIANGXIN_VAR_DIR", str(var_dir))
    monkeypatch.setenv("JIANGXIN_PLUGIN_PATH", plugin_path)
    monkeypatch.setenv("JIANGXIN_COOKIE_KEY", COOKIE_KEY)
    # core's tests run with the test plugin alone; roster_db turns the built-in plugins back on
    monkeypatch.setenv("JIANGXIN_DISABLED_PLUGINS", CORE_ONLY)


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


def _pg_conninfo(admin: str) -> str:
    """The psycopg connection string of the server's admin database."""
    return make_url(admin).set(drivername="postgresql").render_as_string(hide_password=False)


# This run's mark in the names of the PostgreSQL databases it makes (jx_test_<run>_<random>):
# pytest-xdist's controller hands it to its workers, and the process that ends the run drops
# whatever a crashed worker or an interrupted teardown left, and nothing of another run.
_run_mark = uuid.uuid4().hex[:8]


def pytest_configure(config) -> None:
    global _run_mark
    if _xdist_worker(config):
        _run_mark = config.workerinput.get("jiangxin_run_mark", _run_mark)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """pytest-xdist's controller, for each worker it starts: this run's mark."""
    node.workerinput["jiangxin_run_mark"] = _run_mark


def _create_pg_database(admin: str, template: str | None = None) -> str:
    """A new database on the server of ``admin`` (a copy of ``template`` if given); its URL."""
    import psycopg

    name = f"jx_test_{_run_mark}_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(_pg_conninfo(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(admin: str, url: str) -> None:
    import psycopg

    _dispose(url)
    with psycopg.connect(_pg_conninfo(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


@contextmanager
def _hosts_of_its_own():
    """Plugin hosts built inside stay inside: a session template may be made in the middle of a
    test's set-up (asked for by getfixturevalue), and its host, built with the template's var
    dir, must not serve that test."""
    from core.host import loader

    saved = dict(loader._hosts)
    loader._hosts.clear()
    try:
        yield
    finally:
        loader._hosts.clear()
        loader._hosts.update(saved)


def _pg_admin_or_skip() -> str:
    admin = _pg_admin_url()
    if admin is None:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    return admin


def _pg_copy(monkeypatch, template: str | None = None):
    """A PostgreSQL database of the test's own (empty, or a copy of ``template``), set as the
    app's database; dropped when the generator ends."""
    admin = _pg_admin_or_skip()
    url = _create_pg_database(admin, template=template)
    monkeypatch.setenv("JIANGXIN_DATABASE_URL", url)
    yield url
    _drop_pg_database(admin, url)


def _pg_template(tmp_path_factory, label: str, prepare):
    """A database ``prepare(monkeypatch, url)`` fills once per run, for tests to copy
    (CREATE DATABASE ... TEMPLATE): yields its name, dropped at the end of the run."""
    admin = _pg_admin_or_skip()
    url = _create_pg_database(admin)
    try:
        with pytest.MonkeyPatch.context() as mp, _hosts_of_its_own():
            _set_env(mp, tmp_path_factory.mktemp(label) / "var")
            prepare(mp, url)
        _dispose(url)  # a template must have no open connection when it is copied
        yield make_url(url).database
    finally:
        _drop_pg_database(admin, url)


@pytest.fixture
def pg_url(env, monkeypatch) -> str:
    """An empty PostgreSQL database made for this test on the server in JIANGXIN_TEST_POSTGRES_URL,
    dropped afterwards."""
    yield from _pg_copy(monkeypatch)


@pytest.fixture(scope="session")
def pg_template(tmp_path_factory) -> str:
    """One migrated, filled PostgreSQL database (as ``_fill`` leaves it), made once per run: each
    test that wants a filled database gets a copy (CREATE DATABASE ... TEMPLATE), which is much
    faster than migrating and hashing the accounts' passwords again. Its name is returned."""
    yield from _pg_template(tmp_path_factory, "pg-template", lambda mp, url: _fill(url))


@pytest.fixture
def pg_filled(env, pg_template, monkeypatch) -> str:
    """A filled PostgreSQL database of this test's own (a copy of the template), dropped
    afterwards."""
    yield from _pg_copy(monkeypatch, pg_template)


def _roster_env(monkeypatch) -> None:
    """The roster plugin on, the test plugin off (as roster_db has them)."""
    monkeypatch.setenv("JIANGXIN_PLUGIN_PATH", "")
    monkeypatch.delenv("JIANGXIN_DISABLED_PLUGINS", raising=False)


def _migrate_roster(monkeypatch, url: str) -> None:
    from core.data.db import get_engine
    from core.data.migrate import upgrade
    from core.host.loader import get_host

    _roster_env(monkeypatch)
    upgrade(get_engine(url), get_host())


@pytest.fixture(scope="session")
def pg_roster_template(tmp_path_factory) -> str:
    """One PostgreSQL database migrated with the roster plugin on (no accounts, no people), made
    once per run; its name."""
    yield from _pg_template(tmp_path_factory, "pg-roster-template", _migrate_roster)


@pytest.fixture
def pg_roster(env, pg_roster_template, monkeypatch) -> str:
    """The roster plugin on (and the test plugin off) in a PostgreSQL database of this test's own,
    migrated, with no accounts and no people; dropped afterwards."""
    _roster_env(monkeypatch)
    yield from _pg_copy(monkeypatch, pg_roster_template)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request, env, monkeypatch) -> str:
    """A filled database: the SQLite copy, and (when available) a PostgreSQL copy."""
    yield request.getfixturevalue("sqlite_db" if request.param == "sqlite" else "pg_filled")


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
    """The roster plugin on (the test plugin and the studios off), with the demo roster, in a copy."""
    url = _copy_database(roster_template, env, monkeypatch)
    monkeypatch.setenv("JIANGXIN_PLUGIN_PATH", "")
    # the roster's own tests see the roster alone (its tiles, to-dos, report); studios_db adds
    # the studios, whose tables and demo rows the template holds either way
    monkeypatch.setenv("JIANGXIN_DISABLED_PLUGINS", "workshops,events")
    yield url
    _dispose(url)


@pytest.fixture
def studios_db(roster_db, monkeypatch) -> str:
    """The roster and the studios on (the events off), with the demo data of both."""
    monkeypatch.setenv("JIANGXIN_DISABLED_PLUGINS", "events")
    return roster_db


@pytest.fixture(scope="session")
def studios_alone_template(tmp_path_factory) -> Path:
    """A migrated SQLite file with the studios plugin and the roster disabled, the test accounts
    and no studios, made once per run (migrating and hashing passwords cost 2 s a test)."""
    from core.data.audit import Actor
    from core.data.db import create_database, dispose_engines, get_engine, session_scope
    from core.data.migrate import upgrade
    from core.host.loader import get_host

    folder = tmp_path_factory.mktemp("studios-alone")
    url = f"sqlite:///{folder / 'studios.db'}"
    with pytest.MonkeyPatch.context() as mp:
        _set_env(mp, folder / "var", plugin_path="")
        mp.setenv("JIANGXIN_DISABLED_PLUGINS", "registry,events")
        create_database(url)
        upgrade(get_engine(url), get_host())
        with session_scope(Actor("fixture", "admin"), url=url) as session:
            _create_accounts(session)
        dispose_engines()
    return folder / "studios.db"


@pytest.fixture
def studios_alone(env, studios_alone_template, monkeypatch) -> str:
    """The studios plugin with the roster disabled (and the test plugin off), in a copy of a
    migrated SQLite file with the test accounts and no studios."""
    monkeypatch.setenv("JIANGXIN_PLUGIN_PATH", "")
    monkeypatch.setenv("JIANGXIN_DISABLED_PLUGINS", "registry,events")
    url = _copy_database(studios_alone_template, env, monkeypatch)
    yield url
    _dispose(url)


@pytest.fixture
def events_db(roster_db, monkeypatch) -> str:
    """The roster and the events on (the studios off), with the demo data of both."""
    monkeypatch.setenv("JIANGXIN_DISABLED_PLUGINS", "workshops")
    return roster_db


@pytest.fixture(scope="session")
def events_alone_template(tmp_path_factory) -> Path:
    """A migrated SQLite file with the events plugin on and the roster and studios disabled,
    the test accounts and no events, made once per run."""
    from core.data.audit import Actor
    from core.data.db import create_database, dispose_engines, get_engine, session_scope
    from core.data.migrate import upgrade
    from core.host.loader import get_host

    folder = tmp_path_factory.mktemp("events-alone")
    url = f"sqlite:///{folder / 'events.db'}"
    with pytest.MonkeyPatch.context() as mp, _hosts_of_its_own():
        _set_env(mp, folder / "var", plugin_path="")
        mp.setenv("JIANGXIN_DISABLED_PLUGINS", "registry,workshops")
        create_database(url)
        upgrade(get_engine(url), get_host())
        with session_scope(Actor("fixture", "admin"), url=url) as session:
            _create_accounts(session)
        dispose_engines()
    return folder / "events.db"


@pytest.fixture
def events_alone(env, events_alone_template, monkeypatch) -> str:
    """The events plugin with the roster (and studios) disabled, in a copy of a migrated SQLite
    file with the test accounts and no events."""
    monkeypatch.setenv("JIANGXIN_PLUGIN_PATH", "")
    monkeypatch.setenv("JIANGXIN_DISABLED_PLUGINS", "registry,workshops")
    url = _copy_database(events_alone_template, env, monkeypatch)
    yield url
    _dispose(url)


def pytest_collection_finish(session) -> None:
    """Start the slow subprocess work of the selected tests that list it in their module's
    START_EARLY (see tests/helpers.py ``take_started``). Not in a pytest-xdist worker: it
    collects every test but runs only those the controller hands it, one at a time, so it cannot
    tell which work is its own, and its two workers keep both cores busy anyway; there each
    test starts its work when it runs."""
    from tests.helpers import early_work

    if session.config.option.collectonly or _xdist_worker(session.config):
        return
    jobs = {}
    for item in session.items:
        start = getattr(getattr(item, "module", None), "START_EARLY", {}).get(item.name)
        if start is not None:
            jobs[item.name] = start
    if jobs:
        early_work.begin(jobs)


@pytest.hookimpl(trylast=True)  # after pytest-xdist's controller has waited for its workers
def pytest_sessionfinish(session) -> None:
    """Early work no test took (the run stopped before its test): stop it. At the end of the
    run, drop the PostgreSQL databases of this run that are still there (each fixture drops its
    own; a worker that crashed could not) and say so."""
    from tests.helpers import early_work

    early_work.stop()
    if not _xdist_worker(session.config):
        _dropped.extend(_drop_databases_of_this_run())


_dropped: list[str] = []  # databases that pytest_sessionfinish found left behind


def pytest_terminal_summary(terminalreporter) -> None:
    if _dropped:
        terminalreporter.write_line(f"dropped {len(_dropped)} PostgreSQL test database(s) left "
                                    f"by this run: {', '.join(_dropped)}", yellow=True)


def _drop_databases_of_this_run() -> list[str]:
    admin = _pg_admin_url()
    if admin is None:
        return []
    import psycopg

    prefix = f"jx_test_{_run_mark}_"
    try:
        with psycopg.connect(_pg_conninfo(admin), autocommit=True) as conn:
            left = [name for (name,) in conn.execute(
                "SELECT datname FROM pg_database WHERE left(datname, %s) = %s ORDER BY datname",
                (len(prefix), prefix))]
            for name in left:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.OperationalError:  # no server: the PostgreSQL tests have said so already
        return []
    return left


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
