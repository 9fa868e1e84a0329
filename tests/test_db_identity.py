"""A database cannot vanish unnoticed: a file removed or replaced under a running process stops
writes, a missing file is reported instead of created again, a damaged file gives a clear
message on every entry point (issue #8)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from core.cli import main
from core.data.audit import Actor
from core.data.db import (
    MARKER_NAME,
    DatabaseGone,
    DatabaseMissing,
    create_database,
    dispose_engines,
    file_identity,
    get_engine,
    read_session,
    recorded_databases,
    session_scope,
)
from tests.helpers import PASSWORD, signed_in_app, testkit, texts

ALICE = Actor("alice", "admin", None)
GONE_ZH = "已被删除或替换（运行中）：已停止写入，请恢复文件后重启服务"


def run(*args) -> int:
    return main(list(args))


def remove_database(path: Path) -> None:
    """What an operator's `rm` or a cleanup script does: the file and SQLite's side files."""
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        p.unlink(missing_ok=True)


def count_notes(path: Path) -> int:
    """Notes in the SQLite file at ``path``, read with sqlite3 directly (not through core)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM jx_testkit_note").fetchone()[0]
    finally:
        conn.close()


def keep_a_link(path: Path) -> Path:
    """Checkpoint the WAL into the file, then hard-link it: the inode stays readable after the
    path is removed, so a test can see what a process wrote into the deleted file."""
    with get_engine().connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    link = path.with_name("deleted-inode.db")
    os.link(path, link)
    return link


@pytest.fixture
def db_path(sqlite_db) -> Path:
    return Path(sqlite_db.removeprefix("sqlite:///"))


@pytest.fixture
def var_db(env, monkeypatch):
    """The default location (no JIANGXIN_DATABASE_URL): var/jiangxin.db, not yet created."""
    yield env / "var" / "jiangxin.db"
    dispose_engines()


def add_note(text_: str) -> None:
    with session_scope(ALICE) as s:
        s.add(testkit().TestkitNote(text=text_, county_code=None))


# ---- a live engine ------------------------------------------------------------------------------

def test_writes_are_refused_after_the_file_is_removed_under_a_live_engine(db_path):
    add_note("before")  # the engine is open and has written
    before = count_notes(db_path)
    link = keep_a_link(db_path)
    remove_database(db_path)

    with pytest.raises(DatabaseGone, match="已被删除或替换") as exc:
        add_note("after the file was removed")
    assert str(db_path) in exc.value.en and "restart" in exc.value.en
    with pytest.raises(DatabaseGone), read_session() as s:  # reads too: they would show stale data
        s.scalar(select(func.count()).select_from(testkit().TestkitNote))
    dispose_engines()  # closing the last connection checkpoints whatever it wrote
    assert not db_path.exists()  # nothing created at the path
    assert count_notes(link) == before  # and nothing written into the deleted file


def test_writes_are_refused_after_the_file_is_replaced_by_another(db_path, sqlite_template):
    add_note("before")
    with get_engine().connect() as conn:  # an empty WAL: SQLite would read its frames into any
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # file put at this path
    other = db_path.with_name("other.db")
    shutil.copy(sqlite_template, other)
    before = count_notes(other)
    os.replace(other, db_path)  # a new inode at the same path

    with pytest.raises(DatabaseGone, match="已被删除或替换"):
        add_note("into the wrong file")
    dispose_engines()
    assert count_notes(db_path) == before


def test_the_check_is_per_file_in_memory_databases_are_left_alone():
    engine = get_engine("sqlite://")
    with engine.begin() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    assert file_identity(engine) is None


def test_an_engine_records_the_file_it_opened(db_path):
    st = os.stat(db_path)
    assert file_identity(get_engine()) == (st.st_dev, st.st_ino)


# ---- never created silently ----------------------------------------------------------------------

def test_opening_a_missing_file_raises_and_creates_nothing(env, monkeypatch):
    path = env / "nowhere" / "missing.db"
    monkeypatch.setenv("JIANGXIN_DATABASE_URL", f"sqlite:///{path}")
    with pytest.raises(DatabaseMissing, match="jiangxin init-db"):
        get_engine()
    assert not path.exists() and not path.parent.exists()


def test_init_db_creates_the_file_in_a_new_var_folder_and_records_it(var_db, capsys):
    assert not var_db.parent.exists()  # `make run` on a fresh machine
    assert run("init-db") == 0
    assert "created an empty database" in capsys.readouterr().out
    assert var_db.exists()
    assert recorded_databases()[str(var_db)]["inode"] == os.stat(var_db).st_ino
    assert run("health") == 0
    assert capsys.readouterr().out.startswith("ok: ")
    assert run("init-db") == 0  # again: an upgrade, nothing created
    assert "created" not in capsys.readouterr().out


def test_init_db_refuses_to_recreate_a_lost_database_without_create(var_db, capsys):
    assert run("init-db") == 0
    dispose_engines()
    remove_database(var_db)
    capsys.readouterr()

    assert run("init-db") == 1
    err = capsys.readouterr().err
    assert "does not exist, but this folder was used before" in err and "--create" in err
    assert MARKER_NAME in err and "restore it from a backup" in err
    assert not var_db.exists()

    assert run("init-db", "--create") == 0
    assert var_db.exists()
    assert run("health") == 0  # created and migrated
    assert recorded_databases()[str(var_db)]["inode"] == os.stat(var_db).st_ino


def test_leftover_wal_files_count_as_earlier_use_and_are_moved_aside(var_db, capsys):
    var_db.parent.mkdir(parents=True)
    wal = Path(f"{var_db}-wal")
    wal.write_bytes(b"frames of a lost database")
    assert run("init-db") == 1
    assert "jiangxin.db-wal is still there" in capsys.readouterr().err
    assert not var_db.exists()

    assert run("init-db", "--create") == 0
    assert "moved aside" in capsys.readouterr().out
    assert not wal.exists() or wal.read_bytes() != b"frames of a lost database"
    assert [p.read_bytes() for p in var_db.parent.glob("jiangxin.db-wal.stale-*")] == [
        b"frames of a lost database"]


@pytest.mark.parametrize("used_before", [False, True])
@pytest.mark.parametrize("command", [("users", "list"), ("health",), ("demo",)])
def test_commands_on_a_missing_file_exit_1_and_create_nothing(var_db, capsys, monkeypatch, command,
                                                              used_before):
    monkeypatch.setenv("JIANGXIN_DEMO", "1")  # the demo runs only in demo mode
    if used_before:
        assert run("init-db") == 0
        dispose_engines()
        remove_database(var_db)
        capsys.readouterr()
    assert run(*command) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: the database file {var_db} does not exist")
    assert ("--create" in err) == used_before
    assert not var_db.exists()


def test_the_dashboard_reports_a_missing_file_in_chinese_and_creates_nothing(var_db):
    at = signed_in_app(None)
    assert not at.exception
    assert [e.value for e in at.error] == [
        f"数据库文件 {var_db} 不存在：请从备份恢复，或运行 `jiangxin init-db` 创建数据库。"]
    assert not var_db.exists()


# ---- health ---------------------------------------------------------------------------------------

def test_health_says_when_the_file_is_not_the_one_init_db_recorded(var_db, capsys):
    assert run("init-db") == 0
    assert run("health", "--integrity") == 0
    assert "integrity ok" in capsys.readouterr().out
    dispose_engines()
    copy = var_db.with_name("copy.db")
    shutil.copy(var_db, copy)
    os.replace(copy, var_db)  # e.g. a backup moved into place under running servers
    assert run("health") == 1
    assert "is not the one `jiangxin init-db` recorded" in capsys.readouterr().err
    assert run("init-db") == 0  # an operator who restored it on purpose records it
    assert run("health") == 0


def test_health_reports_an_out_of_date_schema(env, monkeypatch, capsys):
    url = f"sqlite:///{env / 'empty.db'}"
    monkeypatch.setenv("JIANGXIN_DATABASE_URL", url)
    create_database(url)
    assert run("health") == 1
    assert "jiangxin init-db" in capsys.readouterr().err
    dispose_engines()


def test_health_of_a_filled_database(any_db, capsys):
    assert run("init-db") == 0  # PostgreSQL: nothing to create; nothing is written to var/
    capsys.readouterr()
    assert run("health") == 0
    out = capsys.readouterr().out
    shown = get_engine().url.render_as_string(hide_password=True)
    assert out.startswith(f"ok: {shown}, schema current")
    if any_db.startswith("sqlite"):
        assert "file inode" in out and list(recorded_databases()) == [get_engine().url.database]
    else:
        assert "file inode" not in out and recorded_databases() == {}


# ---- a damaged file ------------------------------------------------------------------------------

def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(4096))


def _header_overwritten(path: Path) -> None:
    with open(path, "r+b") as f:
        f.write(b"\0" * 16)  # "SQLite format 3\0" gone: "file is not a database"


def _first_page_garbled(path: Path) -> None:
    with open(path, "r+b") as f:
        f.seek(100)
        f.write(os.urandom(3996))  # the schema page: "database disk image is malformed"


@pytest.fixture(params=[_random_bytes, _header_overwritten, _first_page_garbled])
def damaged_db(request, sqlite_db, sqlite_template) -> Path:
    dispose_engines()
    path = Path(sqlite_db.removeprefix("sqlite:///"))
    shutil.copy(sqlite_template, path)
    request.param(path)
    return path


def test_a_damaged_file_on_the_command_line_exits_1_with_a_clear_message(damaged_db, capsys):
    for command in (("users", "list"), ("health",), ("init-db",),
                    ("users", "passwd", "admin", "--password", "long-enough-1")):
        assert run(*command) == 1, command
        err = capsys.readouterr().err
        assert err.startswith(f"error: the database file {damaged_db} is damaged ("), command
        assert err.rstrip().endswith("restore it from a backup")


def test_a_damaged_file_gives_no_traceback_in_a_real_process(damaged_db, tmp_path):
    sheet = tmp_path / "people.xlsx"
    assert run("template", "testkit_people", str(sheet)) == 0  # needs no database
    for command in (["users", "list"], ["health"], ["import", "testkit_people", str(sheet)]):
        done = subprocess.run([sys.executable, "-m", "core.cli", *command],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 1, (command, done.stderr)
        assert "Traceback" not in done.stderr
        assert f"error: the database file {damaged_db} is damaged (" in done.stderr
        assert ("file is not a database" in done.stderr
                or "database disk image is malformed" in done.stderr)


def test_the_dashboard_shows_a_damaged_file_in_chinese(damaged_db):
    at = signed_in_app(None)
    assert not at.exception
    [error] = [e.value for e in at.error]
    assert error.startswith(f"数据库文件 {damaged_db} 已损坏（") and error.endswith("请从备份恢复。")
    assert not at.text_input  # no sign-in form over a broken database


# ---- the running dashboard -----------------------------------------------------------------------

def test_the_app_stops_writing_once_the_file_is_removed(db_path):
    at = signed_in_app("admin", page="jx-testkit-notes")
    assert not at.exception and "建德便签一" in texts(at)
    remove_database(db_path)

    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [f"数据库文件 {db_path} {GONE_ZH}。"]
    assert "建德便签一" not in texts(at)


def test_a_sign_in_after_the_file_is_removed_writes_nothing(db_path):
    at = signed_in_app(None)
    link = keep_a_link(db_path)
    with sqlite3.connect(link) as conn:
        audited = conn.execute("SELECT count(*) FROM core_audit_log").fetchone()[0]
    remove_database(db_path)

    at.text_input[0].input("admin")
    at.text_input[1].input(PASSWORD)
    at.button(key="FormSubmitter:Login-登录").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [f"数据库文件 {db_path} {GONE_ZH}。"]
    dispose_engines()
    with sqlite3.connect(link) as conn:  # no "login" entry went into the deleted file
        assert conn.execute("SELECT count(*) FROM core_audit_log").fetchone()[0] == audited
    assert not db_path.exists()


def test_a_database_failure_after_the_navigation_still_shows_the_message(sqlite_db, monkeypatch):
    from core.access import auth

    def gone(username, password, **kwargs):
        raise DatabaseGone("/somewhere/jiangxin.db")

    monkeypatch.setattr(auth, "attempt_sign_in", gone)  # the writes of a sign-in attempt
    at = signed_in_app(None)
    at.text_input[0].input("admin")
    at.text_input[1].input("wrong-password")
    at.button(key="FormSubmitter:Login-登录").click().run()
    assert not at.exception
    assert f"数据库文件 /somewhere/jiangxin.db {GONE_ZH}。" in [e.value for e in at.error]
