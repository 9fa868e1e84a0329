"""The database layer on a real SQLite file and a real PostgreSQL server: audit, versions,
append-only log, actor required, schema checks, notifications."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from core import auth
from core.audit import Actor, AuditError, data_version
from core.db import Base, get_engine, read_session, session_scope
from core.migrate import SchemaOutOfDate, check_schema, pending, upgrade
from core.models import AuditEntry, User
from core.notify import notify
from core.plugins import get_host
from tests.helpers import testkit

ALICE = Actor("alice", "admin", None)


def audit_rows(**where):
    with read_session() as s:
        stmt = select(AuditEntry).order_by(AuditEntry.id)
        for k, v in where.items():
            stmt = stmt.where(getattr(AuditEntry, k) == v)
        return list(s.scalars(stmt))


def test_create_update_delete_each_leave_an_audit_row(any_db):
    Note = testkit().TestkitNote
    before = len(audit_rows())
    with session_scope(ALICE) as s:
        note = Note(text="新便签", county_code="330182")
        s.add(note)
    with session_scope(ALICE) as s:
        s.get(Note, note.id).text = "改过的便签"
    with session_scope(ALICE) as s:
        s.delete(s.get(Note, note.id))

    rows = audit_rows(table_name="jx_testkit_note", row_id=str(note.id))
    assert [r.action for r in rows] == ["create", "update", "delete"]
    assert all(r.actor == "alice" and r.county_code == "330182" for r in rows)
    assert rows[0].after["text"] == "新便签"
    assert (rows[1].before, rows[1].after) == ({"text": "新便签"}, {"text": "改过的便签"})
    assert rows[2].before["text"] == "改过的便签"
    assert len(audit_rows()) == before + 3


def test_user_changes_are_audited_without_the_password_hash(any_db):
    with session_scope(ALICE) as s:
        auth.update_user(s, "staff_jd", role="reviewer")
        auth.set_password(s, "staff_jd", "another-pass-1")
    rows = audit_rows(table_name="core_user", action="update")
    assert {"role": "staff"} in [r.before for r in rows]
    hashed = [r for r in rows if "password_hash" in (r.after or {})]
    assert hashed and hashed[-1].after["password_hash"] == "***"


def test_a_write_without_an_actor_is_refused_and_nothing_is_written(any_db):
    Note = testkit().TestkitNote
    with pytest.raises(AuditError):
        with session_scope(None) as s:
            s.add(Note(text="无主", county_code=None))
    with read_session() as s:
        assert s.scalar(select(Note).where(Note.text == "无主")) is None


def test_a_failed_transaction_leaves_neither_rows_nor_audit(any_db):
    Note = testkit().TestkitNote
    before = len(audit_rows())
    with pytest.raises(RuntimeError):
        with session_scope(ALICE) as s:
            s.add(Note(text="回滚", county_code=None))
            s.flush()
            raise RuntimeError("abort")
    assert len(audit_rows()) == before
    with read_session() as s:
        assert s.scalar(select(Note).where(Note.text == "回滚")) is None


def test_the_audit_log_is_append_only_in_the_database(any_db):
    with pytest.raises(DBAPIError, match="append-only"):
        with session_scope(ALICE) as s:
            s.execute(update(AuditEntry).values(actor="someone-else"))
    with pytest.raises(DBAPIError, match="append-only"):
        with session_scope(ALICE) as s:
            s.execute(delete(AuditEntry))
    assert all(r.actor != "someone-else" for r in audit_rows())


def test_data_version_grows_with_each_write_to_its_table(any_db):
    Note = testkit().TestkitNote
    with read_session() as s:
        notes_v, users_v = data_version(s, {"jx_testkit_note"}), data_version(s, {"core_user"})
    with session_scope(ALICE) as s:
        s.add(Note(text="x", county_code=None))
    with read_session() as s:
        assert data_version(s, {"jx_testkit_note"}) == notes_v + 1
        assert data_version(s, {"core_user"}) == users_v


def test_models_and_migrations_agree(any_db):
    from core.migrate import include_owned

    owned = set(get_host().table_owners)
    with get_engine().connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_owned(owned)})
        diffs = compare_metadata(context, Base.metadata)
    assert diffs == []


def test_an_empty_database_is_reported_out_of_date_until_init_db(env, monkeypatch):
    url = f"sqlite:///{env / 'empty.db'}"
    monkeypatch.setenv("JIANGXIN_DATABASE_URL", url)
    host = get_host()
    with pytest.raises(SchemaOutOfDate, match="jiangxin init-db"):
        check_schema(get_engine(), host)
    assert set(pending(get_engine(), host)) == {"core_0001", "jx_testkit_0002"}
    upgrade(get_engine(), host)
    check_schema(get_engine(), host)


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(sqlite_db):
    with get_engine().connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def test_a_notification_reaches_other_plugins_inside_the_transaction(any_db):
    Note = testkit().TestkitNote
    with session_scope(ALICE) as s:
        handled = notify(get_host(), s, "jx_testkit.ping", n=7, county="330182")
    assert "jx_testkit" in handled
    with read_session() as s:
        assert s.scalar(select(Note.county_code).where(Note.text == "pong 7")) == "330182"


def test_a_failing_subscriber_is_undone_and_reported_while_the_announcer_commits(any_db):
    Note = testkit().TestkitNote
    with session_scope(ALICE) as s:
        s.add(Note(text="announcer's own row", county_code=None))
        handled = notify(get_host(), s, "jx_testkit.explode")
    assert "jx_testkit" not in handled
    with read_session() as s:
        texts = set(s.scalars(select(Note.text)))
    assert "announcer's own row" in texts and "half-written" not in texts
    assert any("subscriber failed" in p for p in get_host().records["jx_testkit"].problems)


def test_accounts_keep_usernames_unique_and_refuse_bad_input(any_db):
    with session_scope(ALICE) as s:
        with pytest.raises(auth.AccountError, match="已存在"):
            auth.create_user(s, "Admin", "重名", "admin", None, "long-enough-1")
        with pytest.raises(auth.AccountError, match="至少需要 8"):
            auth.create_user(s, "newbie", "新人", "staff", "330182", "short")
        with pytest.raises(auth.AccountError, match="72"):
            auth.create_user(s, "newbie", "新人", "staff", "330182", "长" * 30)
        with pytest.raises(auth.AccountError, match="区县"):
            auth.create_user(s, "newbie", "新人", "staff", "999999", "long-enough-1")
    with read_session() as s:
        assert s.scalar(select(User).where(User.username == "newbie")) is None
