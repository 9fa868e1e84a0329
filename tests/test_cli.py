"""The jiangxin command line: exit codes 0 done, 1 refused with nothing written, 2 wrong usage."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import func, select

from core.access import auth
from core.cli import main
from core.data.db import create_database, read_session
from core.data.models import AuditEntry, User
from tests.helpers import BROKEN_PLUGINS, PASSWORD, TEST_PLUGINS, testkit


@pytest.fixture
def fresh_db(env, monkeypatch):
    url = f"sqlite:///{env / 'cli.db'}"
    monkeypatch.setenv("JIANGXIN_DATABASE_URL", url)
    return url


def run(*args) -> int:
    return main(list(args))


def test_init_db_then_demo_creates_one_account_per_role_and_plugin_demo_data(fresh_db, capsys, monkeypatch):
    monkeypatch.setenv("JIANGXIN_DEMO", "1")
    assert run("init-db") == 0
    assert run("demo") == 0
    out = capsys.readouterr().out
    for name in ("demo_admin", "demo_reviewer", "demo_manager", "demo_staff"):
        assert name in out
    with read_session() as s:
        users = {u.username: (u.role, u.county_code) for u in s.scalars(select(User))}
        assert users == {"demo_admin": ("admin", None), "demo_reviewer": ("reviewer", None),
                         "demo_manager": ("manager", None), "demo_staff": ("staff", "330182"),
                         "demo_staff_ca": ("staff", "330127"), "demo_staff_xs": ("staff", "330109")}
        assert auth.check_password("jiangxin-demo", s.scalar(
            select(User.password_hash).where(User.username == "demo_staff")))
        notes = sorted(s.scalars(select(testkit().TestkitNote.text)))
    assert len(notes) == 3

    assert run("demo") == 1  # never over existing data
    assert "already has accounts" in capsys.readouterr().err
    assert run("demo", "--if-empty") == 0


def test_demo_data_is_the_same_on_every_machine(env, monkeypatch):
    monkeypatch.setenv("JIANGXIN_DEMO", "1")
    names = []
    for i in range(2):
        monkeypatch.setenv("JIANGXIN_DATABASE_URL", f"sqlite:///{env / f'demo{i}.db'}")
        assert run("init-db") == 0
        assert run("demo", "--password", "another-demo-1") == 0
        with read_session() as s:
            names.append(sorted(s.scalars(select(testkit().TestkitNote.text))))
    assert names[0] == names[1]


def test_the_demo_roster_is_the_same_in_every_process(tmp_path):
    """Two `jiangxin demo` runs in processes with different string hashes (as on two machines)
    give the same people, honours and requests."""
    import os
    import sqlite3
    from concurrent.futures import ThreadPoolExecutor

    def demo(i: int) -> list:
        db = tmp_path / f"demo{i}.db"
        env = {k: v for k, v in os.environ.items() if not k.startswith("JIANGXIN_")}
        env.update(JIANGXIN_DATABASE_URL=f"sqlite:///{db}", JIANGXIN_DEMO="1", PYTHONHASHSEED=str(i),
                   JIANGXIN_VAR_DIR=str(tmp_path / f"var{i}"), JIANGXIN_PLUGIN_PATH="")
        for command in ("init-db", "demo"):
            subprocess.run([sys.executable, "-m", "core.cli", command], env=env, check=True,
                           capture_output=True, timeout=300)
        with sqlite3.connect(db) as conn:
            return conn.execute(
                "SELECT p.name, p.id_number, p.county_code, p.status, h.name, h.year_awarded, "
                "h.awarding_body FROM registry_person p JOIN registry_honour h ON h.person_id = p.id "
                "ORDER BY p.id, h.id").fetchall() + conn.execute(
                "SELECT kind, state, submitted_by, reason, person_id FROM registry_change "
                "ORDER BY id").fetchall()

    # the two "machines" run side by side (each its own processes, files and hash seed)
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(demo, (1, 2))
    assert len(first) > 3000
    assert first == second


def test_production_is_not_the_demo(fresh_db, capsys, monkeypatch):
    assert run("init-db") == 0
    assert run("demo") == 1  # not demo mode: no accounts with a published password
    assert "JIANGXIN_DEMO=1" in capsys.readouterr().err
    with read_session() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 0

    monkeypatch.setenv("JIANGXIN_DEMO", "1")
    assert run("demo") == 0
    monkeypatch.delenv("JIANGXIN_DEMO")
    assert run("run", "--port", "1") == 1  # refused before any server starts
    err = capsys.readouterr().err
    assert "demo accounts still have the demo password" in err
    assert all(name in err for name in ("demo_admin", "demo_reviewer", "demo_manager", "demo_staff"))
    for name in ("demo_admin", "demo_reviewer", "demo_manager"):
        assert run("users", "disable", name) == 0
    assert run("users", "passwd", "demo_staff", "--password", "a-real-password-9") == 0
    for name in ("demo_staff_ca", "demo_staff_xs"):
        assert run("users", "disable", name) == 0
    from core.cli import _refuse_demo_passwords

    _refuse_demo_passwords()  # nothing left open: the server would start


def test_users_add_list_disable_passwd(sqlite_db, capsys):
    assert run("users", "add", "Staff_Lin", "--name", "临安工作人员", "--role", "staff",
               "--county", "330112", "--password", "lin-password-1") == 0
    assert run("users", "list") == 0
    listing = capsys.readouterr().out
    assert "staff_lin" in listing and "330112" in listing

    assert run("users", "disable", "staff_lin") == 0
    assert run("users", "passwd", "staff_lin", "--password", "lin-password-2") == 0
    with read_session() as s:
        user = s.scalar(select(User).where(User.username == "staff_lin"))
        assert user.disabled and auth.check_password("lin-password-2", user.password_hash)
        entries = s.execute(select(AuditEntry.action, AuditEntry.actor)
                            .where(AuditEntry.table_name == "core_user",
                                   AuditEntry.row_id == str(user.id))
                            .order_by(AuditEntry.id)).all()
    # add, disable, passwd: each audited, each by the command line (never an empty list)
    assert [action for action, _ in entries] == ["create", "update", "update"]
    assert all(actor.startswith("cli:") for _, actor in entries)
    assert run("users", "disable", "staff_lin", "--enable") == 0


@pytest.mark.parametrize("args", [
    ("users", "add", "x1", "--name", "某", "--role", "staff", "--county", "999999", "--password", "long-enough-1"),
    ("users", "add", "admin", "--name", "重名", "--role", "admin", "--password", "long-enough-1"),
    ("users", "add", "newbie", "--name", "新人", "--role", "staff", "--password", "short"),
    ("users", "passwd", "nobody", "--password", "long-enough-1"),
])
def test_refused_input_exits_1_and_writes_nothing(sqlite_db, capsys, args):
    with read_session() as s:
        before = s.scalar(select(func.count()).select_from(AuditEntry))
    assert run(*args) == 1
    assert capsys.readouterr().err.startswith("error: ")
    with read_session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == before


@pytest.mark.parametrize("args", [(), ("users",), ("users", "add", "x"), ("bogus",),
                                   ("users", "add", "x", "--name", "y", "--role", "boss")])
def test_wrong_usage_exits_2(env, args):
    with pytest.raises(SystemExit) as exc:
        code = run(*args)
        raise SystemExit(code)
    assert exc.value.code == 2


def test_commands_on_an_old_schema_say_so(fresh_db, capsys):
    create_database(fresh_db)  # an empty database, never migrated
    assert run("users", "list") == 1
    assert "jiangxin init-db" in capsys.readouterr().err


def test_plugins_lists_failures_and_exits_1(env, monkeypatch, capsys):
    monkeypatch.setenv("JIANGXIN_PLUGIN_PATH", f"{TEST_PLUGINS}:{BROKEN_PLUGINS}")
    assert run("plugins") == 1
    out = capsys.readouterr().out
    assert "jx_testkit" in out and "9.9.9" in out
    assert "broken_import" in out and "FAILED" in out and "county module misconfigured" in out


def test_plugins_exits_0_when_all_load(env, capsys):
    assert run("plugins") == 0
    assert "jiangxin_pages" in capsys.readouterr().out


def test_the_installed_console_script_reports_usage_errors(env):
    done = subprocess.run([sys.executable, "-m", "core.cli", "users", "frobnicate"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "invalid choice" in done.stderr
    assert "Traceback" not in done.stderr


def test_password_is_read_from_stdin_when_not_given(sqlite_db):
    done = subprocess.run([sys.executable, "-m", "core.cli", "users", "passwd", "manager"],
                          input="piped-password-1\n", capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with read_session() as s:
        hashed = s.scalar(select(User.password_hash).where(User.username == "manager"))
    assert auth.check_password("piped-password-1", hashed) and not auth.check_password(PASSWORD, hashed)


def test_init_db_keeps_the_revision_of_a_disabled_plugin(sqlite_db, monkeypatch, capsys):
    monkeypatch.setenv("JIANGXIN_DISABLED_PLUGINS", "jx_testkit")  # its revision stays recorded
    assert run("init-db") == 0
    out = capsys.readouterr().out
    assert "kept: jx_testkit_0002" in out
