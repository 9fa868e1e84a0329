"""Database access: one engine per process and URL, sessions that always know who writes.

Plugins declare models on :class:`Base` (so one MetaData sees every table) and write through
:func:`session_scope`, which commits on success, rolls back on error, and audits every ORM write
(see ``core.audit``).

    from core.data.db import session_scope
    with session_scope(actor) as s:
        s.add(Thing(...))

An SQLite database is never created by opening it: :func:`get_engine` opens an existing file only
(:class:`DatabaseMissing` otherwise) and :func:`create_database` creates one (``jiangxin
init-db``). The engine remembers which file it opened (device and inode) and checks it before
every transaction: a file removed or replaced under a running process raises
:class:`DatabaseGone` instead of writing into a deleted file. A damaged file raises
:class:`DatabaseDamaged`.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import JSON, Engine, MetaData, create_engine, event, make_url
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.pool import StaticPool

from core.settings.config import load_settings

log = logging.getLogger("jiangxin.db")

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


# A JSON column for models: JSON on SQLite, JSONB on PostgreSQL (``mapped_column(JSONType)``).
JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """Now, as a naive UTC datetime (what every timestamp column stores); read through
    :mod:`core.settings.clock`, so a test that freezes the clock freezes this too."""
    from core.settings import clock

    return clock.utcnow()


class DatabaseUnavailable(RuntimeError):
    """The database cannot be used. ``zh`` is the message for pages, ``en`` the one for the
    command line; ``str()`` gives both (for logs)."""

    def __init__(self, zh: str, en: str, path: str | None = None):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en, self.path = zh, en, path


class DatabaseMissing(DatabaseUnavailable):
    """The SQLite file does not exist: it is never created by opening it."""

    def __init__(self, path: str, earlier: str | None = None):
        if earlier:
            zh = (f"数据库文件 {path} 不存在，但此目录曾经使用过（{earlier}）：请从备份恢复，"
                  "或运行 `jiangxin init-db --create` 新建一个空数据库。")
            en = (f"the database file {path} does not exist, but this folder was used before "
                  f"({earlier}): restore it from a backup, or run `jiangxin init-db --create` "
                  "to start an empty one")
        else:
            zh = f"数据库文件 {path} 不存在：请从备份恢复，或运行 `jiangxin init-db` 创建数据库。"
            en = (f"the database file {path} does not exist: restore it from a backup, or run "
                  "`jiangxin init-db` to create it")
        super().__init__(zh, en, path)
        self.earlier = earlier


class DatabaseGone(DatabaseUnavailable):
    """The SQLite file this process opened was removed or replaced while it ran."""

    def __init__(self, path: str):
        super().__init__(
            f"数据库文件 {path} 已被删除或替换（运行中）：已停止写入，请恢复文件后重启服务。",
            f"the database file {path} was removed or replaced while in use: writes are stopped; "
            "restore the file, then restart the service", path)


class DatabaseDamaged(DatabaseUnavailable):
    """SQLite says the file is not a database, or is malformed."""

    def __init__(self, path: str, detail: str):
        super().__init__(
            f"数据库文件 {path} 已损坏（{detail}）：请从备份恢复。",
            f"the database file {path} is damaged ({detail}): restore it from a backup", path)
        self.detail = detail


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for ``url`` (default: JIANGXIN_DATABASE_URL).

    An SQLite file must exist (:class:`DatabaseMissing` otherwise; see :func:`create_database`).
    """
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


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL, as an absolute path; None for PostgreSQL and in-memory."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(os.path.abspath(database))


# SQLite's primary result codes for "file is not a database" and "database disk image is malformed".
_SQLITE_DAMAGED = {11: "SQLITE_CORRUPT", 26: "SQLITE_NOTADB"}


def damaged(exc: BaseException, path: str | os.PathLike) -> DatabaseDamaged | None:
    """``exc`` (a DB-API or SQLAlchemy error) as DatabaseDamaged when SQLite found the file
    damaged; None for any other error."""
    orig = getattr(exc, "orig", None) or exc
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(orig, sqlite3.DatabaseError) and code is not None and code & 0xFF in _SQLITE_DAMAGED:
        return DatabaseDamaged(str(path), str(orig))
    return None


def unavailable(exc: BaseException) -> DatabaseUnavailable | None:
    """``exc`` as the DatabaseUnavailable it stands for (the configured SQLite file damaged), or
    None for any other error: what the command line and the dashboard tell their users."""
    if isinstance(exc, DatabaseUnavailable):
        return exc
    path = sqlite_file(load_settings().database_url)
    return damaged(exc, path) if path is not None else None


class _FileGuard:
    """Opens an existing SQLite file only, and checks that it is still the file first opened."""

    def __init__(self, path: Path):
        self.path = path
        self.uri = f"file:{quote(str(path))}?mode=rw"
        self.identity: tuple[int, int] | None = None  # (st_dev, st_ino) of the first open
        self._lock = threading.Lock()

    def connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.uri, uri=True, check_same_thread=False, timeout=30)
        except sqlite3.OperationalError:
            if not self.path.exists():
                raise self._missing() from None
            raise
        try:
            self.check()
        except BaseException:
            conn.close()
            raise
        return conn

    def check(self) -> None:
        """Raise DatabaseGone when the file was removed or replaced since it was first opened."""
        try:
            st = os.stat(self.path)
        except (FileNotFoundError, NotADirectoryError):
            raise self._missing() from None
        except OSError as exc:
            raise DatabaseUnavailable(
                f"无法访问数据库文件 {self.path}（{exc.strerror}）：请联系管理员。",
                f"cannot reach the database file {self.path}: {exc.strerror}", str(self.path)
            ) from exc
        identity = (st.st_dev, st.st_ino)
        if self.identity is None:
            with self._lock:
                if self.identity is None:
                    self.identity = identity
                    return
        if identity != self.identity:
            raise DatabaseGone(str(self.path))

    def _missing(self) -> DatabaseUnavailable:
        if self.identity is not None:
            return DatabaseGone(str(self.path))
        return DatabaseMissing(str(self.path), earlier_use(self.path))


_guards: weakref.WeakKeyDictionary[Engine, _FileGuard] = weakref.WeakKeyDictionary()


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                             json_serializer=_json_dumps)
    in_memory = (parsed.database or "") in ("", ":memory:")
    path = sqlite_file(url)
    guard = None
    if path is None:  # in memory, or a file: URI (opened as the URI says)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            json_serializer=_json_dumps,
            # Streamlit runs each rerun on a new thread: an in-memory database must be one
            # connection.
            poolclass=StaticPool if in_memory else None,
        )
    else:
        guard = _FileGuard(path)
        guard.check()  # DatabaseMissing now, rather than at the first query
        # A creator opens the file with mode=rw: sqlite3 would otherwise create a missing file.
        engine = create_engine(url, creator=guard.connect, json_serializer=_json_dumps)
        _guards[engine] = guard

        @event.listens_for(engine, "handle_error")
        def _damaged(context):
            return damaged(context.original_exception, path)

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
        if guard is not None:
            guard.check()  # one stat(): ~1 µs, against writes into a deleted file
        # Writers take the write lock up front: a deferred transaction that later upgrades to a
        # writer fails at once with "database is locked" instead of waiting its turn.
        immediate = conn.get_execution_options().get("jiangxin_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def file_identity(engine: Engine) -> tuple[int, int] | None:
    """(st_dev, st_ino) of the SQLite file ``engine`` opened first; None for PostgreSQL and
    in-memory databases, or before the first connection."""
    guard = _guards.get(engine)
    return guard.identity if guard is not None else None


# ---- creating a database, and remembering which ones were created -------------------------

MARKER_NAME = "databases.json"  # in JIANGXIN_VAR_DIR: the SQLite files init-db created or used


def _marker(var_dir: Path | None) -> Path:
    return (var_dir or load_settings().var_dir) / MARKER_NAME


def recorded_databases(var_dir: Path | None = None) -> dict[str, dict]:
    """The SQLite files recorded in the var folder: path → {"inode", "since", ...}."""
    try:
        data = json.loads(_marker(var_dir).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    databases = data.get("databases") if isinstance(data, dict) else None
    return databases if isinstance(databases, dict) else {}


def remember_database(path: str | os.PathLike, var_dir: Path | None = None) -> None:
    """Record ``path`` (and its inode) in the var folder: from now on this folder has been used,
    and a missing file is a loss to report, not a database to create again."""
    path = Path(os.path.abspath(path))
    marker = _marker(var_dir)
    databases = recorded_databases(var_dir)
    entry = databases.get(str(path), {})
    entry.setdefault("since", utcnow().isoformat(timespec="seconds") + "Z")
    entry["inode"] = os.stat(path).st_ino
    databases[str(path)] = entry
    marker.parent.mkdir(parents=True, exist_ok=True)
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.write_text(json.dumps({"databases": databases}, ensure_ascii=False, indent=2) + "\n",
                   encoding="utf-8")
    os.replace(tmp, marker)


def leftovers(path: str | os.PathLike) -> list[Path]:
    """SQLite's -wal and -shm files beside ``path``."""
    return [p for p in (Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


def earlier_use(path: str | os.PathLike, var_dir: Path | None = None) -> str | None:
    """Why a missing SQLite file at ``path`` looks like a lost database rather than one never
    made (None: no sign of earlier use)."""
    path = Path(os.path.abspath(path))
    signs = []
    entry = recorded_databases(var_dir).get(str(path))
    if entry is not None:
        signs.append(f"{_marker(var_dir)} records it since {entry.get('since', '?')}")
    signs += [f"{p.name} is still there" for p in leftovers(path)]
    return "; ".join(signs) or None


def create_database(url: str) -> bool:
    """Create the SQLite file of ``url`` (an empty database; run the migrations next) and record
    it in the var folder. True when a file was created; False when it already existed, and for
    PostgreSQL and in-memory databases (nothing to create). SQLite's -wal and -shm files left
    beside a missing file are moved aside (``….stale-<time>``), never replayed into the new one."""
    path = sqlite_file(url)
    if path is None or path.exists():
        return False
    stamp = utcnow().strftime("%Y%m%d%H%M%S")
    for old in leftovers(path):
        aside = old.with_name(f"{old.name}.stale-{stamp}")
        os.replace(old, aside)
        log.warning("moved %s aside to %s before creating %s", old, aside, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(f"file:{quote(str(path))}?mode=rwc", uri=True)
    try:
        conn.execute("PRAGMA journal_mode=WAL")  # writes the header: a real database file now
    finally:
        conn.close()
    remember_database(path)
    return True


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def session_scope(actor=None, *, write: bool = True, url: str | None = None) -> Iterator[Session]:
    """A transaction: commits when the block ends, rolls back (and re-raises) on error.

    ``actor`` (a ``core.data.audit.Actor``) is who the audit log names for every write; a write
    without one is refused. ``write=False`` opens a read-only unit of work (no write lock).
    """
    engine = get_engine(url)
    bind = engine.execution_options(jiangxin_write=True) if write else engine
    session = Session(bind=bind, expire_on_commit=False, info={"actor": actor})
    try:
        with _writer_turn(engine) if write else nullcontext(), session.begin():
            yield session
    finally:
        session.close()


_writer_turns: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
WRITER_TURN_TIMEOUT = 30.0  # seconds, as SQLite's busy_timeout: then SQLite's own wait decides


@contextmanager
def _writer_turn(engine: Engine) -> Iterator[None]:
    """The writers of one process take turns on an SQLite file here, not in SQLite's busy
    handler, which sleeps 1 to 100 ms between tries: a waiting writer starts as soon as the one
    before commits (8 reviewers deciding at once: 1.3 → 1.05 × one reviewer's time a decision,
    bench/approvals.py). Other processes still wait in SQLite (busy_timeout)."""
    if not is_sqlite(engine):
        yield
        return
    turn = _writer_turns.setdefault(engine, threading.RLock())
    taken = turn.acquire(timeout=WRITER_TURN_TIMEOUT)
    try:
        yield
    finally:
        if taken:
            turn.release()


@contextmanager
def read_session(url: str | None = None) -> Iterator[Session]:
    """A read-only session (no actor needed): for pages and metrics."""
    with session_scope(None, write=False, url=url) as session:
        yield session
