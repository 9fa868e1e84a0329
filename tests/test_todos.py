"""To-dos and the 工作台: what each role is asked to do, counted against the database in raw SQL.

The demo's requests are filed by the demo accounts; here 建德's and 淳安's staff requests become
staff_jd's and staff_ca's, and 萧山's become the administrator's (an administrator may both file
and decide, never their own), so each role has real requests of its own in every state.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import make_url

from core.access.auth import CurrentUser
from core.data.db import read_session, session_scope
from core.host.pages import Page
from core.host.todos import NORMAL, OVERDUE, SOON, Todo, collect_todos, sort_key
from tests.helpers import ACCOUNTS, ROOT, shown, signed_in_app

QUEUE, MINE = "registry-review", "registry-mine"
BADGES = {OVERDUE: ":red-badge[已逾期]", SOON: ":orange-badge[尽快处理]", NORMAL: ":blue-badge[待办]"}


def user(username: str, county: str | None = "same") -> CurrentUser:
    _, name, role, own = next(a for a in ACCOUNTS if a[0] == username)
    return CurrentUser(username, name, role, own if county == "same" else county)


def db_path(url: str) -> str:
    return make_url(url).database


def stamp(when: dt.datetime) -> str:
    """A naive UTC time as SQLAlchemy stores it in SQLite (text that sorts as time does)."""
    return when.strftime("%Y-%m-%d %H:%M:%S.%f")


@pytest.fixture
def roster(roster_db):
    """The demo roster with its requests handed to the test accounts; one of staff_jd's pending
    requests was filed 9 days ago. Yields the SQLite file's path."""
    path = db_path(roster_db)
    with sqlite3.connect(path) as conn:
        for demo, ours in (("demo_staff", "staff_jd"), ("demo_staff_ca", "staff_ca"),
                           ("demo_staff_xs", "admin")):
            conn.execute("UPDATE registry_change SET submitted_by = ? WHERE submitted_by = ?", (ours, demo))
        conn.execute("UPDATE registry_change SET submitted_at = ? WHERE id = (SELECT max(id) FROM "
                     "registry_change WHERE submitted_by = 'staff_jd' AND state = '待审核')",
                     (stamp(dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=9)),))
    return path


# --- the oracle: raw SQL on the file --------------------------------------------------------


def _count(path: str, where: str, args: tuple) -> tuple[int, str | None]:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT count(*), min(at) FROM (SELECT *, {where[0]} AS at "
                            f"FROM registry_change) WHERE {where[1]}", args).fetchone()


def expected(path: str, username: str, county: str | None = None,
             role: str | None = None) -> list[tuple]:
    """(title, count, urgency, page, params, oldest) of every roster to-do ``username`` (of
    ``role``, by default their account's) must see within ``county`` (None: the whole city),
    most urgent first, then oldest first."""
    role = role or next(a[2] for a in ACCOUNTS if a[0] == username)
    cutoff = stamp(dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=7))
    scope = f" AND county_code = '{county}'" if county else ""
    rows = []
    if role in ("reviewer", "admin"):
        to_decide = "state = '待审核' AND submitted_by != ?" + scope
        rows += [("超过 7 天未审核的名册变动", OVERDUE, QUEUE, {"overdue": "1"},
                  _count(path, ("submitted_at", to_decide + " AND submitted_at < ?"), (username, cutoff))),
                 ("待审核的名册变动", NORMAL, QUEUE, {"overdue": "0"},
                  _count(path, ("submitted_at", to_decide + " AND submitted_at >= ?"), (username, cutoff)))]
    if role in ("staff", "admin"):
        mine = "submitted_by = ?" + scope
        rows += [("退回修改的变动申请", SOON, MINE, {"state": "退回修改"},
                  _count(path, ("decided_at", mine + " AND state = '退回修改'"), (username,))),
                 ("新驳回的变动申请", NORMAL, MINE, {"state": "已驳回", "new": "1"},
                  _count(path, ("decided_at", mine + " AND state = '已驳回' AND seen_by_submitter = 0"),
                         (username,))),
                 ("提交超过 7 天仍待审核的申请", NORMAL, MINE, {"state": "待审核", "overdue": "1"},
                  _count(path, ("submitted_at", mine + " AND state = '待审核' AND submitted_at < ?"),
                         (username, cutoff)))]
    found = [(title, n, urgency, page, params, oldest)
             for title, urgency, page, params, (n, oldest) in rows if n]
    return sorted(found, key=lambda r: (-r[2], r[5]))


# --- what the page shows ----------------------------------------------------------------------


def cards(at) -> list[tuple]:
    """(title, count, urgency, page, params) of each card on 工作台, top to bottom."""
    found = []
    for block in at.main.children.values():
        for child in _walk(block):
            if child.type == "markdown" and child.value in BADGES.values():
                urgency = next(u for u, badge in BADGES.items() if badge == child.value)
            if child.type == "page_link":
                title, count = shown(child.proto.label).removeprefix("**").split("** · ")
                found.append((title, int(count.removesuffix(" 件")), urgency, child.proto.page,
                              dict(parse_qsl(child.proto.query_string))))
    return found


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def page_title(at) -> str:
    return at.title[0].value


@pytest.mark.parametrize("username", ["reviewer", "staff_jd", "staff_ca", "admin"])
def test_each_role_sees_its_roster_to_dos_most_urgent_and_oldest_first(roster, username):
    at = signed_in_app(username, page="core-workbench")
    assert not at.exception
    want = expected(roster, username)
    assert want  # the data gives every role something to do
    assert cards(at) == [row[:5] for row in want]
    # the oldest date, local, and how long it has waited
    oldest = dt.datetime.fromisoformat(want[0][5]).replace(tzinfo=dt.UTC).astimezone(
        dt.timezone(dt.timedelta(hours=8)))
    waited = (dt.datetime.now(dt.UTC) - oldest).days
    assert any(c.value.startswith(f"最早 {oldest:%Y-%m-%d}，已等 {waited} 天") for c in at.caption)


def test_a_manager_has_nothing_to_do(roster):
    at = signed_in_app("manager", page="core-workbench")
    assert not at.exception
    assert [s.value for s in at.success] == ["暂无待办事项"]
    assert not at.get("page_link")


def test_reviewers_never_get_their_own_requests_to_decide(roster):
    with sqlite3.connect(roster) as conn:
        own = conn.execute("SELECT count(*) FROM registry_change WHERE submitted_by = 'admin' "
                           "AND state = '待审核'").fetchone()[0]
    assert own > 0
    total = lambda rows: sum(r[1] for r in rows if r[3] == QUEUE)  # noqa: E731
    assert total(cards(signed_in_app("admin", page="core-workbench"))) == \
        total(cards(signed_in_app("reviewer", page="core-workbench"))) - own


def test_to_dos_stay_within_the_users_counties(roster):
    # a reviewer of 建德 only, and staff_jd had they moved to 淳安: their counties' requests only
    with read_session() as session:
        county_reviewer = CurrentUser("reviewer_jd", "建德审核员", "reviewer", "330182")
        got = [(t.title, t.count) for t in collect_todos(session, county_reviewer)]
        assert got == [(r[0], r[1]) for r in expected(roster, "reviewer_jd", "330182", "reviewer")]
        assert collect_todos(session, user("staff_jd", county="330127")) == []


def test_deciding_a_request_removes_it_from_the_reviewers_workbench(roster):
    from plugins.registry import changes

    at = signed_in_app("reviewer", page="core-workbench")
    before = cards(at)
    assert before[0][:2] == ("超过 7 天未审核的名册变动", expected(roster, "reviewer")[0][1])
    with sqlite3.connect(roster) as conn:
        oldest = conn.execute("SELECT id FROM registry_change WHERE state = '待审核' AND "
                              "submitted_by != 'reviewer' ORDER BY submitted_at LIMIT 1").fetchone()[0]
    reviewer = user("reviewer")
    with session_scope(reviewer.actor) as session:
        changes.decide(session, reviewer, oldest, approve=False, reason="材料不全")
    at.run()
    assert cards(at)[0][1] == before[0][1] - 1
    assert cards(at) == [row[:5] for row in expected(roster, "reviewer")]


WRITE_ELSEWHERE = """
import sys
from core.access.auth import CurrentUser
from core.data.db import session_scope
from plugins.registry import changes

reviewer = CurrentUser("admin", "管理员甲", "admin", None)
with session_scope(reviewer.actor) as session:
    changes.decide(session, reviewer, int(sys.argv[1]), approve=True)
"""


def test_with_two_servers_on_one_database_the_count_follows_a_write_made_on_the_other(roster):
    at = signed_in_app("reviewer", page="core-workbench")
    before = dict((c[0], c[1]) for c in cards(at))
    at.run()  # unchanged data: the cached counts
    assert dict((c[0], c[1]) for c in cards(at)) == before
    with sqlite3.connect(roster) as conn:
        newest = conn.execute("SELECT id FROM registry_change WHERE state = '待审核' AND submitted_by "
                              "NOT IN ('reviewer', 'admin') ORDER BY submitted_at DESC LIMIT 1").fetchone()[0]
    # another process (the other app server) decides it, through the roster's own service
    subprocess.run([sys.executable, "-c", WRITE_ELSEWHERE, str(newest)], cwd=ROOT, check=True,
                   timeout=60)
    with sqlite3.connect(roster) as conn:
        assert conn.execute("SELECT state FROM registry_change WHERE id = ?", (newest,)).fetchone() == ("已通过",)
    at.run()
    after = dict((c[0], c[1]) for c in cards(at))
    assert after["待审核的名册变动"] == before["待审核的名册变动"] - 1
    assert list(after.items()) == [(r[0], r[1]) for r in expected(roster, "reviewer")]


@pytest.mark.parametrize(("username", "start"), [("staff_jd", "工作台"), ("reviewer", "工作台"),
                                                 ("manager", "总览"), ("admin", "总览")])
def test_staff_and_reviewers_start_on_the_workbench_managers_on_the_overview(roster, username, start):
    at = signed_in_app(username)  # at "/"
    assert not at.exception
    assert page_title(at) == start
    # the other page is still in the navigation, and opens at its own address
    nav = at.session_state["jiangxin_nav"]
    assert {"core-overview", "core-workbench"} <= set(nav)
    other = "core-overview" if start == "工作台" else "core-workbench"
    assert page_title(signed_in_app(username, page=other)) == ("总览" if start == "工作台" else "工作台")
    # the office display, /?wall=1, is the overview's wall screen whoever signed it in
    wall = signed_in_app(username, query={"wall": "1"})
    assert not wall.title and any("总览" in m.value for m in wall.markdown)


def test_opening_my_requests_reads_the_rejections_and_their_to_do_goes(roster):
    at = signed_in_app("staff_jd", page="core-workbench")
    assert "新驳回的变动申请" in [c[0] for c in cards(at)]
    signed_in_app("staff_jd", page=MINE)  # reads the new decisions
    at.run()
    assert "新驳回的变动申请" not in [c[0] for c in cards(at)]
    assert "退回修改的变动申请" in [c[0] for c in cards(at)]  # still to fix


@pytest.mark.parametrize("username", ["reviewer", "staff_jd", "admin"])
def test_each_card_opens_a_page_listing_exactly_what_it_counts(roster, username):
    """A card's link carries its filters: the page it opens lists as many requests as the card
    says (the queue's caption, 我的申请's table), counted by the page, not by the to-do."""
    # opening 我的申请 reads the new decisions, so the card of new ones is opened first
    found = sorted(cards(signed_in_app(username, page="core-workbench")), key=lambda c: "new" not in c[4])
    for title, count, _, page, params in found:
        opened = signed_in_app(username, page=page.removesuffix(".py"), query=params)
        assert not opened.exception, title
        if page.startswith(QUEUE):
            listed = next(int(c.value.split(" ")[1]) for c in opened.caption if c.value.startswith("待审核 "))
        else:
            listed = len(opened.dataframe[0].value)
        assert listed == count, (title, params)


PROBE = '''
import datetime as dt
from core.host.hookspecs import hookimpl
from core.host.todos import SOON, Todo

@hookimpl
def jiangxin_todos(session, user):
    return [
        Todo(key="jx-probe-zero", title="无事", count=0, link="core-account"),
        Todo(key="jx-probe-audit", title="只有管理员能处理", count=2, link="core-audit"),
        Todo(key="jx-probe-nowhere", title="没有这个页面", count=1, link="jx-probe-nowhere"),
        Todo(key="jx-probe-old", title="很早的事", count=1, link="core-account", oldest=dt.date(2020, 1, 1)),
        Todo(key="jx-probe-soon", title="尽快的事", count=3, link="core-account", urgency=SOON,
             oldest=dt.date(2026, 1, 1), unit="场"),
    ]
'''


def test_collect_leaves_out_nothing_to_do_and_pages_the_user_cannot_open(roster, tmp_path, monkeypatch):
    (tmp_path / "jx_probe.py").write_text(PROBE, encoding="utf-8")
    monkeypatch.setenv("JIANGXIN_PLUGIN_PATH", str(tmp_path))
    with read_session() as session:
        staff = collect_todos(session, user("staff_jd"))
        admin = collect_todos(session, user("admin"))
    probe = [t.key for t in staff if t.key.startswith("jx-probe")]
    assert probe == ["jx-probe-soon", "jx-probe-old"]
    assert "jx-probe-audit" in [t.key for t in admin]
    assert staff == sorted(staff, key=sort_key) and len(staff) > 2
    # the page says 场 where a to-do counts in 场, and counts to-dos when the units differ
    at = signed_in_app("staff_jd", page="core-workbench")
    assert any(shown(link.proto.label) == "**尽快的事** · 3 场" for link in at.get("page_link"))
    assert any(c.value.startswith(f"共 {len(staff)} 项待办") for c in at.caption)


def test_sorting_puts_the_most_urgent_first_then_the_oldest():
    old, new = dt.datetime(2026, 1, 1, 3), dt.date(2026, 6, 1)
    todos = [Todo("a-new", "甲", 1, "x", oldest=new), Todo("a-none", "乙", 1, "x"),
             Todo("a-late", "丙", 1, "x", oldest=new, urgency=OVERDUE),
             Todo("a-old", "丁", 1, "x", oldest=old), Todo("a-soon", "戊", 1, "x", urgency=SOON)]
    assert [t.key for t in sorted(todos, key=sort_key)] == ["a-late", "a-soon", "a-old", "a-new", "a-none"]


def test_a_start_page_for_roles_is_checked_like_the_rest_of_a_page():
    from core.host.loader import _check_page

    page = Page("x-y", "甲", lambda: None, default_for={"staff"})
    assert page.default_for == frozenset({"staff"}) and _check_page(page) is None
    assert "default_for" in _check_page(Page("x-y", "甲", lambda: None, default_for="staff"))
    assert "default_for" in _check_page(Page("x-y", "甲", lambda: None, default_for=frozenset({1})))


def test_the_roster_counts_the_same_on_postgresql(pg_url, monkeypatch):
    """The roster's to-do SQL on PostgreSQL, on requests whose figures are known."""
    from core.data.audit import Actor
    from core.data.db import get_engine, utcnow
    from core.data.migrate import upgrade
    from core.host.loader import get_host
    from plugins.registry.models import ChangeRequest

    monkeypatch.setenv("JIANGXIN_PLUGIN_PATH", "")
    monkeypatch.delenv("JIANGXIN_DISABLED_PLUGINS", raising=False)
    upgrade(get_engine(), get_host())
    now = utcnow()
    requests = [  # state, submitter, county, days since filed, days since decided, seen
        ("待审核", "staff_jd", "330182", 10, None, True), ("待审核", "staff_jd", "330182", 1, None, True),
        ("待审核", "reviewer", "330127", 20, None, True), ("退回修改", "staff_jd", "330182", 5, 2, False),
        ("已驳回", "staff_jd", "330182", 3, 1, False), ("已驳回", "staff_jd", "330182", 30, 25, True)]
    with session_scope(Actor("fixture", "admin")) as s:
        for i, (state, by, county, filed, decided, seen) in enumerate(requests):
            s.add(ChangeRequest(kind="信息更正", state=state, county_code=county, payload={}, reason="理由",
                                submitted_by=by, submitted_at=now - dt.timedelta(days=filed),
                                decided_at=None if decided is None else now - dt.timedelta(days=decided),
                                open_key=f"信息更正:{i}", seen_by_submitter=seen))

    def got(who: CurrentUser) -> list[tuple]:
        with read_session() as session:
            return [(t.key, t.count, t.urgency, t.oldest.date()) for t in collect_todos(session, who)]

    ago = lambda days: (now - dt.timedelta(days=days)).date()  # noqa: E731
    assert got(user("reviewer")) == [("registry-to-decide-overdue", 1, OVERDUE, ago(10)),
                                     ("registry-to-decide", 1, NORMAL, ago(1))]
    assert got(CurrentUser("reviewer_ca", "淳安审核员", "reviewer", "330127")) == [
        ("registry-to-decide-overdue", 1, OVERDUE, ago(20))]
    assert got(user("staff_jd")) == [("registry-returned", 1, SOON, ago(2)),
                                     ("registry-waiting", 1, NORMAL, ago(10)),
                                     ("registry-rejected", 1, NORMAL, ago(1))]
    assert got(user("manager")) == []
