"""The audit log stays append-only: every statement that could rewrite or empty
``core_audit_log`` is refused by the database (core_0001 and core_0002), and on PostgreSQL the
app can run as a role that owns nothing (``jiangxin init-db --grant-to ROLE``), so it cannot
drop or disable those triggers either.

Plain UPDATE and DELETE (both databases) are in test_db_audit.py."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from sqlalchemy import make_url, select, text
from sqlalchemy.exc import DBAPIError

from core.cli import main
from core.data.audit import Actor, record
from core.data.db import get_engine, read_session, session_scope
from core.data.models import AuditEntry
from tests import helpers  # (testkit imported by name would be collected as a test)

ALICE = Actor("alice", "admin", None)
COLUMNS = "id, at, actor, action, summary"
# the new row's values: an attacker's rewrite of the first audit entry
EVIL = "CURRENT_TIMESTAMP, 'mallory', 'approve', '被改写'"


def first_entry(url: str | None = None) -> tuple:
    with read_session(url) as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id).limit(1)).one()
        return (entry.id, entry.at, entry.actor, entry.action, entry.summary, entry.before,
                entry.after)


def entry_count(url: str | None = None) -> int:
    with read_session(url) as s:
        return len(s.scalars(select(AuditEntry.id)).all())


def run_sql(sql: str, url: str | None = None) -> None:
    """One statement in its own transaction, through the app's engine (committed if allowed)."""
    with get_engine(url).begin() as conn:
        conn.execute(text(sql))


def assert_refused(sql: str, url: str | None = None, match: str = "append-only") -> None:
    before, count = first_entry(url), entry_count(url)
    with pytest.raises(DBAPIError, match=match):
        run_sql(sql.format(id=before[0]), url)
    assert first_entry(url) == before  # same actor, summary, time, before/after
    assert entry_count(url) == count


# {id} is the first entry's id. Each would replace that entry (TRUNCATE: empty the log).
BOTH = {
    "upsert": f"INSERT INTO core_audit_log ({COLUMNS}) VALUES ({{id}}, {EVIL}) "
              "ON CONFLICT (id) DO UPDATE SET actor = excluded.actor, summary = excluded.summary",
}
SQLITE_ONLY = {
    "insert or replace": f"INSERT OR REPLACE INTO core_audit_log ({COLUMNS}) VALUES ({{id}}, {EVIL})",
    "replace into": f"REPLACE INTO core_audit_log ({COLUMNS}) VALUES ({{id}}, {EVIL})",
    "update or replace": "UPDATE OR REPLACE core_audit_log SET id = {id}, actor = 'mallory' "
                         "WHERE id = (SELECT MAX(id) FROM core_audit_log)",
    "insert or replace, select": f"INSERT OR REPLACE INTO core_audit_log ({COLUMNS}) "
                                 f"SELECT id, {EVIL} FROM core_audit_log",
}
POSTGRES_ONLY = {
    "truncate": "TRUNCATE core_audit_log",
    "truncate cascade": "TRUNCATE core_audit_log RESTART IDENTITY CASCADE",
    "merge": "MERGE INTO core_audit_log t USING (SELECT {id} AS id) s ON t.id = s.id "
             "WHEN MATCHED THEN UPDATE SET actor = 'mallory'",
}


@pytest.mark.parametrize("name", sorted(BOTH))
def test_a_statement_that_would_rewrite_an_entry_is_refused(any_db, name):
    assert_refused(BOTH[name])


@pytest.mark.parametrize("name", sorted(SQLITE_ONLY))
def test_sqlite_refuses_every_replace_of_an_entry(sqlite_db, name):
    assert_refused(SQLITE_ONLY[name])


@pytest.mark.parametrize("name", sorted(POSTGRES_ONLY))
def test_postgresql_refuses_to_empty_or_merge_into_the_log(pg_db, name):
    assert_refused(POSTGRES_ONLY[name])


def test_sqlite_insert_or_ignore_of_a_taken_id_changes_nothing(sqlite_db):
    # harmless anyway (it would skip the row); the BEFORE INSERT trigger refuses it outright
    assert_refused(f"INSERT OR IGNORE INTO core_audit_log ({COLUMNS}) VALUES ({{id}}, {EVIL})")


def test_sqlite_refuses_ids_below_1_so_new_entries_are_never_blocked(sqlite_db):
    # In the BEFORE INSERT trigger an id SQLite will choose reads as -1: a row with id -1
    # would make every later insert look like an overwrite.
    for sql in (f"INSERT INTO core_audit_log ({COLUMNS}) VALUES (-1, {EVIL})",
                f"REPLACE INTO core_audit_log ({COLUMNS}) VALUES (0, {EVIL})"):
        assert_refused(sql, match="ids start at 1")
    with read_session() as s:
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.id < 1)) is None


def test_new_entries_are_still_appended(any_db):
    before, count = first_entry(), entry_count()
    Note = helpers.testkit().TestkitNote
    with session_scope(ALICE) as s:
        record(s, "export", table="jx_testkit_note", summary="导出便签")
        s.add(Note(text="又一条", county_code="330182"))
    # an explicit new id is an append too
    run_sql(f"INSERT INTO core_audit_log ({COLUMNS}) VALUES (1000000, {EVIL})")
    with read_session() as s:
        newest = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(3)).all()
    assert [(e.actor, e.action) for e in newest] == [
        ("mallory", "approve"), ("alice", "create"), ("alice", "export")]
    assert entry_count() == count + 3 and first_entry() == before


# --- PostgreSQL: the app as a role that owns nothing -------------------------------------------

@pytest.fixture
def pg_db(pg_filled) -> str:
    """A filled PostgreSQL database (owned by the server's admin user, as init-db's owner)."""
    return pg_filled


@pytest.fixture
def app_role(pg_db):
    """A new LOGIN role that owns nothing; its URL for this test's database. Roles belong to the
    whole server: its privileges in this database are dropped before the database is (pg_filled's
    teardown runs after this one), then the role itself."""
    role = f"jx_app_{uuid.uuid4().hex[:10]}"
    admin = make_url(pg_db)
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
    role_url = admin.set(username=role, password=None).render_as_string(hide_password=False)
    try:
        yield role, role_url
    finally:
        from core.data import db

        engine = db._engines.pop(role_url, None)
        if engine is not None:
            engine.dispose()
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'REASSIGN OWNED BY "{role}" TO CURRENT_USER')
            conn.execute(f'DROP OWNED BY "{role}"')  # its grants here and on the database
            conn.execute(f'DROP ROLE "{role}"')


def test_init_db_grant_to_lets_a_role_that_owns_nothing_run_the_app_but_not_rewrite_the_log(
        app_role, capsys, monkeypatch):
    role, role_url = app_role
    run_sql(f'GRANT TRUNCATE, UPDATE, DELETE, TRIGGER ON core_audit_log TO "{role}"')  # by hand
    assert main(["init-db", "--grant-to", role]) == 0  # revokes those
    assert f"granted to {role}" in capsys.readouterr().out

    # the app's normal work, as that role
    Note = helpers.testkit().TestkitNote
    with session_scope(ALICE, url=role_url) as s:
        record(s, "approve", table="registry_request", row_id=1, summary="批准 去世 申请")
        note = Note(text="应用角色的便签", county_code="330182")
        s.add(note)
    with session_scope(ALICE, url=role_url) as s:
        s.get(Note, note.id).text = "改过"
    with session_scope(ALICE, url=role_url) as s:
        s.delete(s.get(Note, note.id))
    with read_session(role_url) as s:
        actions = s.scalars(select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(4))
        assert list(actions) == ["delete", "update", "create", "approve"]

    # ... but nothing that could rewrite, empty or unprotect the log
    for sql, match in [
        ("DROP TRIGGER core_audit_log_append_only ON core_audit_log", "must be owner"),
        ("DROP TRIGGER core_audit_log_no_truncate ON core_audit_log", "must be owner"),
        ("ALTER TABLE core_audit_log DISABLE TRIGGER ALL", "must be owner"),
        ("DROP FUNCTION core_audit_log_append_only() CASCADE", "must be owner"),
        ("DROP TABLE core_audit_log", "must be owner"),
        ("TRUNCATE core_audit_log", "permission denied"),
        ("UPDATE core_audit_log SET actor = 'mallory' WHERE id = {id}", "permission denied"),
        ("DELETE FROM core_audit_log WHERE id = {id}", "permission denied"),
        ("SET session_replication_role = replica", "permission denied"),
        ("CREATE TRIGGER t BEFORE INSERT ON core_audit_log "
         "FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()", "permission denied"),
        ("UPDATE alembic_version SET version_num = version_num", "permission denied"),
    ]:
        assert_refused(sql, role_url, match=match)

    # and init-db --grant-to run with the app role's URL refuses (a GRANT would only warn)
    monkeypatch.setenv("JIANGXIN_DATABASE_URL", role_url)
    assert main(["init-db", "--grant-to", role]) == 1
    assert "does not own table" in capsys.readouterr().err


def test_init_db_grant_to_refuses_the_owner_a_missing_role_and_sqlite(pg_db, capsys, monkeypatch):
    owner = make_url(pg_db).username
    assert main(["init-db", "--grant-to", owner]) == 1
    err = capsys.readouterr().err  # the test server's admin: a superuser, or an owner
    assert "superuser" in err or "owns" in err
    assert main(["init-db", "--grant-to", "jx_no_such_role"]) == 1
    assert "no role 'jx_no_such_role'" in capsys.readouterr().err
    monkeypatch.setenv("JIANGXIN_DATABASE_URL", "sqlite:///does-not-matter.db")
    assert main(["init-db", "--grant-to", "jiangxin"]) == 1
    assert "PostgreSQL only" in capsys.readouterr().err
