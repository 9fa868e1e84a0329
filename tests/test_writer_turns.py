"""Writers of one process take turns on an SQLite file in Python, not in SQLite's busy handler
(which sleeps up to 100 ms between tries): eight reviewers deciding at once wait for each other
only as long as each write takes."""

from __future__ import annotations

import threading

from sqlalchemy import event, func, select

from core.data.audit import Actor
from core.data.db import get_engine, read_session, session_scope
from tests.helpers import testkit

ALICE = Actor("alice", "admin", None)


def test_eight_threads_writing_at_once_never_meet_a_locked_database(sqlite_db):
    # With SQLite's own waiting switched off, any writer that met another's lock would fail
    # at once with "database is locked": only turns taken before BEGIN keep all 160 writes.
    engine = get_engine()
    engine.dispose()

    @event.listens_for(engine, "connect")
    def no_busy_wait(dbapi_conn, _record):
        dbapi_conn.execute("PRAGMA busy_timeout=0")

    Note = testkit().TestkitNote
    before = _notes(Note)
    errors: list[Exception] = []
    start = threading.Barrier(8)

    def write(n: int) -> None:
        start.wait()
        for i in range(20):
            try:
                with session_scope(ALICE) as s:
                    s.add(Note(text=f"便签 {n}-{i}", county_code="330182"))
                    s.flush()
                    s.execute(select(func.count()).select_from(Note)).scalar()  # hold it a moment
            except Exception as exc:  # noqa: BLE001 — counted: the test says which
                errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    event.remove(engine, "connect", no_busy_wait)
    engine.dispose()
    assert errors == []
    assert _notes(Note) == before + 160


def _notes(Note) -> int:
    with read_session() as s:
        return s.scalar(select(func.count()).select_from(Note))
