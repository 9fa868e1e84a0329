"""The approval-throughput benchmark runs (small) in every test run, so it cannot rot: 40 pending
requests decided by 8 reviewers at once (and 40 more by one, 16 more untimed), on SQLite and, when
JIANGXIN_TEST_POSTGRES_URL is set, on PostgreSQL. What is asserted is that no decision was lost
or doubled, never a rate; and that the benchmark's check does find a lost one."""

from __future__ import annotations

import json
import os
import sys

import pytest

from tests.helpers import ROOT, finish, start_process

PG_ENV = "JIANGXIN_TEST_POSTGRES_URL"


def _approvals():
    """bench/approvals.py as a module, without leaving bench/ on sys.path (its files' names,
    events, pages, roster…, would shadow others for the rest of the run)."""
    import importlib

    saved = list(sys.path)
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        return importlib.import_module("approvals")
    finally:
        sys.path[:] = saved


def _run(*extra: str) -> dict:
    done = finish(start_process([sys.executable, str(ROOT / "bench" / "approvals.py"), "--requests", "40",
                                 "--people", "400", "--threads", "8", "--rounds", "1", *extra]), timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "filed 96 pending requests through changes.submit_*" in out
    assert "| 8 threads | 40 of 40 |" in out and "| 1 thread (floor) | 40 of 40 |" in out
    assert "none lost: yes" in out
    result = json.loads(out.strip().splitlines()[-1])
    (figure,) = result["figures"]
    assert result["bench"] == "approvals" and result["requests"] == 96 and result["threads"] == 8
    assert figure["decisions"] == 40 and figure["none_lost"] is True
    assert figure["failures"] == 0 and figure["lost"] == 0
    assert figure["ms"] > 0 and figure["floor_ms"] > 0 and figure["per_s"] > 0
    return result


def test_eight_reviewers_at_once_lose_no_decision_on_sqlite():
    result = _run()
    assert result["database"] == "SQLite, WAL"
    assert "≥ 200 decisions/s" in result["figures"][0]["goal"]


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} not set")
def test_eight_reviewers_at_once_lose_no_decision_on_postgresql():
    assert _run("--postgres", os.environ[PG_ENV])["database"] == "PostgreSQL"


def test_the_check_finds_a_decision_not_made_and_one_made_twice(roster_db):
    approvals = _approvals()
    Tally, _decide_all, check, make_requests = (approvals.Tally, approvals._decide_all, approvals.check,
                                                approvals.make_requests)

    from core.access.auth import CurrentUser
    from core.data.db import session_scope, utcnow
    from plugins.registry.models import ChangeEvent

    requests = make_requests(6)
    reviewer = CurrentUser("reviewer_check", "审核员", "reviewer", None)
    tally = Tally()
    _decide_all(reviewer, requests[:5], tally, None)
    assert tally.failures == [] and len(tally.decided) == 5
    problems = check(requests, tally)
    assert "1 decisions not made" in problems
    assert any(p.startswith(f"request {requests[5]['id']}:") for p in problems)
    _decide_all(reviewer, requests[5:], tally, None)
    assert check(requests, tally) == []
    first = requests[0]
    with session_scope(reviewer.actor) as s:  # as if a second reviewer had decided it again
        s.add(ChangeEvent(request_id=first["id"], action=first["decision"], actor="reviewer_other", at=utcnow()))
    problems = check(requests, tally)
    assert f"request {first['id']}: 2 {first['decision']} steps in its history" in problems
    assert "7 decision steps in the history for 6 requests" in problems


def _statements(fn) -> list[str]:
    """The statements ``fn(session)`` sends inside its own session_scope (BEGIN included)."""
    from sqlalchemy import event

    from core.data.db import get_engine

    sent: list[str] = []

    def seen(conn, cursor, statement, *args):
        sent.append(statement.split(None, 2)[0] + " " + statement.split(None, 3)[1 if statement.startswith(
            ("BEGIN", "SAVEPOINT", "RELEASE")) else 2 if statement.startswith(("INSERT", "DELETE")) else 1])

    event.listen(get_engine(), "before_cursor_execute", seen)
    try:
        fn()
    finally:
        event.remove(get_engine(), "before_cursor_execute", seen)
    return sent


def test_a_decision_costs_few_statements_and_a_request_already_loaded_shows_it(roster_db):
    """The roster alone (no other plugin listening): a rejection is the conditional UPDATE (the
    request comes back by RETURNING), the data version, the person it names, the step and the
    audit entry; an approval adds the change, its audit entry and data version, nothing more."""
    make_requests = _approvals().make_requests

    from core.access.auth import CurrentUser
    from core.data.db import session_scope
    from plugins.registry import changes
    from plugins.registry.models import ChangeRequest, Person

    requests = [r for r in make_requests(12) if r["kind"] in ("信息更正", "去世", "关系转移")][:2]
    reviewer = CurrentUser("reviewer_count", "审核员", "reviewer", None)

    def reject():
        with session_scope(reviewer.actor) as s:
            loaded = s.get(ChangeRequest, requests[0]["id"])  # as a page holding the request would
            assert loaded.state == "待审核"
            changes.decide(s, reviewer, loaded.id, False, "材料不全")
            assert (loaded.state, loaded.decided_by) == ("已驳回", "reviewer_count")

    def approve():
        with session_scope(reviewer.actor) as s:
            changes.decide(s, reviewer, requests[1]["id"], True)

    rejected = _statements(reject)
    assert rejected[0] == "BEGIN IMMEDIATE" and rejected[1] == "SELECT registry_change.id,"  # the page's own get
    assert rejected[2:] == ["UPDATE registry_change", "INSERT core_data_version", "SELECT registry_person.id,",
                            "INSERT registry_change_event", "INSERT core_audit_log"], rejected
    approved = _statements(approve)
    table = {"信息更正": "UPDATE registry_person", "去世": "UPDATE registry_person",
             "关系转移": "UPDATE registry_person"}[requests[1]["kind"]]
    assert approved == ["BEGIN IMMEDIATE", "UPDATE registry_change", "INSERT core_data_version",
                        "SELECT registry_person.id,", "INSERT registry_change_event", "INSERT core_audit_log",
                        table, "INSERT core_audit_log", "INSERT core_data_version"], approved
    with session_scope(reviewer.actor) as s:
        assert s.get(Person, requests[1]["person"]).employer is not None


def test_a_county_reviewer_decides_in_their_county_and_finds_nothing_elsewhere(roster_db):
    """The decision's UPDATE, kept compiled, with the reviewer's counties as a parameter."""
    from core.access.auth import CurrentUser
    from core.data.db import session_scope
    from plugins.registry import changes
    from plugins.registry.models import ChangeRequest

    requests = [r for r in _approvals().make_requests(30) if r["kind"] != "新增人员"]
    with session_scope(None, write=False) as s:
        county = {r["id"]: s.get(ChangeRequest, r["id"]).county_code for r in requests}
    home = next(r for r in requests if county[r["id"]] == "330182")
    away = next(r for r in requests if county[r["id"]] != "330182")
    reviewer = CurrentUser("reviewer_jd", "建德审核员", "reviewer", "330182")
    with session_scope(reviewer.actor) as s:
        assert changes.decide(s, reviewer, home["id"], False, "材料不全").state == "已驳回"
    with pytest.raises(changes.ChangeError, match="找不到该申请"), session_scope(reviewer.actor) as s:
        changes.decide(s, reviewer, away["id"], True)
    with session_scope(None, write=False) as s:
        assert s.get(ChangeRequest, away["id"]).state == "待审核"
        assert s.get(ChangeRequest, home["id"]).decided_by == "reviewer_jd"
