"""The database layer on a real SQLite file and a real PostgreSQL server: audit, versions,
append-only log, actor required, schema checks, notifications."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from core.access import auth
from core.data.audit import Actor, AuditError, data_version
from core.data.db import Base, create_database, get_engine, read_session, session_scope
from core.data.migrate import SchemaOutOfDate, check_schema, pending, upgrade
from core.data.models import AuditEntry, User
from core.host.loader import get_host
from core.ui.notify import notify
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
    # (a new role or password also ends the account's sessions: session_generation)
    assert {"role": "staff", "session_generation": 0} in [r.before for r in rows]
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
    from core.data.migrate import include_owned

    owned = set(get_host().table_owners)
    with get_engine().connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_owned(owned)})
        diffs = compare_metadata(context, Base.metadata)
    assert diffs == []


def test_an_empty_database_is_reported_out_of_date_until_init_db(env, monkeypatch):
    url = f"sqlite:///{env / 'empty.db'}"
    monkeypatch.setenv("JIANGXIN_DATABASE_URL", url)
    assert create_database(url) and not create_database(url)
    host = get_host()
    with pytest.raises(SchemaOutOfDate, match="jiangxin init-db"):
        check_schema(get_engine(), host)
    assert set(pending(get_engine(), host)) == {"core_0004", "jx_testkit_0002"}
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


def _probe_tables(engine):
    """Two identical tables of every awkward type, one filled each way."""
    from sqlalchemy import Column, Date, DateTime, Integer, MetaData, Numeric, String, Table

    from core.data.models import JSONType

    metadata = MetaData()

    def probe(name, **extra):
        return Table(name, metadata, Column("id", Integer, primary_key=True), Column("born", Date),
                     Column("at", DateTime), Column("amount", Numeric(12, 2)),
                     Column("data", JSONType), Column("name", String(40)), *extra.values())

    tables = probe("jx_probe_bulk"), probe("jx_probe_orm"), probe(
        "jx_probe_default", stamp=Column("stamp", String(8), default="默认"))
    metadata.create_all(engine)
    return metadata, tables


def test_insert_rows_stores_what_sqlalchemy_stores_and_rolls_back_with_the_session(any_db):
    import datetime as dt
    from decimal import Decimal

    from sqlalchemy import insert

    from core.spreadsheet import insert_rows

    engine = get_engine()
    metadata, (bulk, orm, with_default) = _probe_tables(engine)
    rows = [{"born": dt.date(1968, 5, 3), "at": dt.datetime(2026, 1, 2, 3, 4, 5),
             "amount": Decimal("12.25"), "data": {"荣誉": ["杭州工匠"]}, "name": "王建国"},
            {"born": None, "at": None, "amount": None, "data": None, "name": "=1+1"}]
    try:
        with session_scope(ALICE) as s:
            insert_rows(s, bulk, rows)
            s.execute(insert(orm), rows)
            insert_rows(s, with_default, [{"name": "无默认值"}])
        with read_session() as s:
            stored = [tuple(r) for r in s.execute(select(bulk).order_by(bulk.c.id))]
            assert stored == [tuple(r) for r in s.execute(select(orm).order_by(orm.c.id))]
            assert stored[0][1:] == (dt.date(1968, 5, 3), dt.datetime(2026, 1, 2, 3, 4, 5),
                                     Decimal("12.25"), {"荣誉": ["杭州工匠"]}, "王建国")
            # a column default the rows leave out is still filled in
            assert s.execute(select(with_default.c.stamp)).scalar_one() == "默认"
        with pytest.raises(RuntimeError), session_scope(ALICE) as s:
            insert_rows(s, bulk, rows)
            raise RuntimeError("the import failed after writing")
        with read_session() as s:
            assert len(s.execute(select(bulk)).all()) == 2
    finally:
        metadata.drop_all(engine)
