"""The one generator of every plugin's data (bench/generate.py) runs small in every test run, so
it cannot rot: 300 people, 20 studios, 30 events and 300 participants in ONE SQLite file,
through the plugins' own code. The studios' and the events' people are the roster's people
(ids, names, counties), the reviewer queue has pending requests, and a second run with the same
seed makes the same rows. No timing asserted."""

from __future__ import annotations

import json
import sqlite3
import sys

from tests.helpers import ROOT, finish, start_process

SIZES = ["--people", "300", "--studios", "20", "--events", "30", "--participants", "300"]


def start_generate(path):
    return start_process([sys.executable, str(ROOT / "bench" / "generate.py"), *SIZES, "--out", str(path)])


def _rows(path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_one_database_holds_every_plugins_data_from_the_roster(tmp_path):
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    runs = [start_generate(first), start_generate(second)]
    for done in map(finish, runs):
        assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout.strip().splitlines()[-1])["counts"]
    # the people asked for, and the new people the approved 新增 requests added
    assert 300 <= counts["registry_person"] < 320 and counts["registry_honour"] >= 300
    assert counts["workshops_studio"] == 20 and counts["workshops_output"] == 20 * 5
    assert counts["events_event"] == 30 and counts["events_participant"] == 300
    assert counts["pending"] >= 13  # at least one a county (13 in the built-in list)
    assert counts["registry_change"] == 3 * counts["pending"]  # and twice as many decided
    for table, n in counts.items():
        if table != "pending":
            assert _rows(first, f"SELECT count(*) FROM {table}") == [(n,)], table

    # the studios' and the events' people are the roster's, by id, name and county (a studio's
    # of its county; the events' snapshot their own), unless a transfer approved since moved them
    for snapshot, county in (("workshops_member m JOIN workshops_studio s ON s.id = m.studio_id", "s"),
                             ("events_participant m", "m")):
        assert _rows(first, f"SELECT count(*) FROM {snapshot} LEFT JOIN registry_person p "
                            f"ON p.id = m.person_id WHERE p.id IS NULL OR p.name != m.name "
                            f"OR p.county_code != {county}.county_code AND p.id NOT IN (SELECT person_id "
                            f"FROM registry_change WHERE kind = '关系转移' AND state = '已通过')") == [(0,)]
        assert _rows(first, f"SELECT count(DISTINCT m.person_id) > 20 FROM {snapshot}") == [(1,)]
    # the reviewer queue: pending requests of every kind, some over 7 days, filed by county staff
    pending = _rows(first, "SELECT kind, submitted_by, submitted_at < datetime('now', '-7 days') "
                           "FROM registry_change WHERE state = '待审核'")
    assert {kind for kind, *_ in pending} == {"新增", "关系转移", "去世", "信息更正"}
    assert any(late for *_, late in pending) and not all(late for *_, late in pending)
    assert all(by.startswith("bench_staff_") for _, by, _ in pending)
    assert _rows(first, "SELECT count(*) FROM core_user WHERE username IN ('bench_admin', 'bench_reviewer')") == [(2,)]

    # deterministic: the same seed makes the same people, requests and participants
    for sql in ("SELECT id, name, county_code, status, employer FROM registry_person ORDER BY id",
                "SELECT id, kind, state, person_id, county_code, payload FROM registry_change ORDER BY id",
                "SELECT event_id, person_id, attendance FROM events_participant ORDER BY id"):
        assert _rows(first, sql) == _rows(second, sql), sql


def start_pages_on(path):
    return start_process([sys.executable, str(ROOT / "bench" / "pages.py"), "--database", str(path),
                          "--repeat", "1"])


def test_the_pages_benchmark_reuses_a_generated_database(tmp_path):
    """``--database`` times the pages on a file generate.py made, without changing it."""
    path = tmp_path / "t.db"
    assert finish(start_generate(path)).returncode == 0
    before = _rows(path, "SELECT count(*), max(id) FROM registry_change")
    done = finish(start_pages_on(path))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["counts"]["registry_person"] >= 300 and result["counts"]["events_event"] == 30
    assert "read (SQLite, WAL)" in done.stdout
    assert _rows(path, "SELECT count(*), max(id) FROM registry_change") == before
