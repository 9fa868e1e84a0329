"""Database access: one engine per process and URL, sessions that always know who writes.

Plugins declare models on :class:`Base` (so one MetaData sees every table) and write through
:func:`session_scope`, which commits on success, rolls back on error, and audits every ORM write
(see ``core.audit``).

    from core.db import session_scope
    with session_scope(actor) as s:
        s.add(Thing(...))
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, MetaData, create_engine, event, make_url
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.pool import StaticPool

from core.config import load_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for core and plugin models: one MetaData for every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Now, as a naive UTC datetime (what every timestamp column stores)."""
    return datetime.now(UTC).replace(tzinfo=None)


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for ``url`` (default: JIANGXIN_DATABASE_URL)."""
    url = url or load_settings().database_url
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = _create_engine(url)
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests, and before a process forks)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def _json_dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)  # Chinese stays readable in the audit log


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                             json_serializer=_json_dumps)
    database = parsed.database or ""
    in_memory = database in ("", ":memory:")
    if not in_memory:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        json_serializer=_json_dumps,
        # Streamlit runs each rerun on a new thread: an in-memory database must be one connection.
        poolclass=StaticPool if in_memory else None,
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record):
        # Take transaction control from pysqlite so BEGIN IMMEDIATE is possible (see _begin).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if not in_memory:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # Writers take the write lock up front: a deferred transaction that later upgrades to a
        # writer fails at once with "database is locked" instead of waiting its turn.
        immediate = conn.get_execution_options().get("jiangxin_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def session_scope(actor=None, *, write: bool = True, url: str | None = None) -> Iterator[Session]:
    """A transaction: commits when the block ends, rolls back (and re-raises) on error.

    ``actor`` (a ``core.audit.Actor``) is who the audit log names for every write; a write
    without one is refused. ``write=False`` opens a read-only unit of work (no write lock).
    """
    engine = get_engine(url)
    bind = engine.execution_options(jiangxin_write=True) if write else engine
    session = Session(bind=bind, expire_on_commit=False, info={"actor": actor})
    try:
        with session.begin():
            yield session
    finally:
        session.close()


@contextmanager
def read_session(url: str | None = None) -> Iterator[Session]:
    """A read-only session (no actor needed): for pages and metrics."""
    with session_scope(None, write=False, url=url) as session:
        yield session
