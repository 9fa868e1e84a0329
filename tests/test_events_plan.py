"""The yearly plan: what progress counts (held sessions of that year and plan line only), how the
city figure adds up its counties (docs/events.md), who may set targets and add kinds, and the
年度计划 page per role.

Oracles are raw SQL on events_event / events_kind / events_target and hand-counted numbers. The
clock is set to 15 August 2026 (Beijing) so "the rest of the year" is fixed."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import text

from core.access.permissions import PermissionDenied
from core.data.audit import Actor
from core.data.db import read_session, session_scope
from plugins.events import plan
from plugins.events.plan import PlanLine
from plugins.events.queries import EventError
from tests.events_data import ADMIN, make_event

JIANDE, CHUNAN, SHANGCHENG = "330182", "330127", "330102"
LECTURES, QUALITY = "事迹宣讲和技术培训", "素质提升班"
YEAR = 2026
ADMIN_USER = Actor("admin", "admin")
MANAGER = Actor("manager", "manager")
STAFF_JD = Actor("staff_jd", "staff", JIANDE)
STAFF_CA = Actor("staff_ca", "staff", CHUNAN)


@pytest.fixture
def db(events_alone, monkeypatch) -> str:
    """The events alone (no roster), no events; the clock at 15 August 2026, 10:00 Beijing."""
    from core.settings import clock

    monkeypatch.setattr(clock, "_utc_now", lambda: dt.datetime(YEAR, 8, 15, 2, 0, tzinfo=dt.UTC))
    return events_alone


def rows(sql: str, **params) -> list[tuple]:
    with read_session() as s:
        return [tuple(r) for r in s.execute(text(sql), params)]


def on(month: int, day: int, year: int = YEAR, hour: int = 9) -> dt.datetime:
    return dt.datetime(year, month, day, hour)


def as_dict(lines: list[PlanLine]) -> dict[str, tuple[int, int, int]]:
    return {p.line: (p.target, p.held, p.planned_rest) for p in lines}


def make(**kw) -> int:
    with session_scope(ADMIN) as s:
        return make_event(s, **kw).id


# --- what progress counts --------------------------------------------------------------------------


def test_progress_counts_only_held_sessions_of_that_year_and_line(db):
    held = {"status": "已举办", "county": JIANDE, "kind": "素质提升班"}
    make(starts=on(3, 2), **held)
    make(starts=on(6, 30), **held)
    make(starts=dt.datetime(YEAR, 12, 31, 22), hours=1, **held)  # last evening of the year: counts
    make(starts=dt.datetime(YEAR - 1, 12, 31, 23), **held)  # the year before (ends in this one)
    make(starts=dt.datetime(YEAR + 1, 1, 1, 0), **held)  # the year after, at midnight
    make(starts=on(4, 1), status="取消", county=JIANDE, kind="素质提升班")  # cancelled
    make(starts=on(5, 1), status="计划", county=JIANDE, kind="素质提升班")  # planned, its day gone
    make(starts=on(10, 8), status="计划", county=JIANDE, kind="素质提升班")  # planned later: the rest
    make(starts=on(11, 8), status="取消", county=JIANDE, kind="素质提升班")  # cancelled later
    make(starts=on(10, 8, YEAR + 1), status="计划", county=JIANDE, kind="素质提升班")  # next year
    make(starts=on(5, 20), status="已举办", county=JIANDE, kind="技术培训")  # another line
    make(starts=on(5, 20), status="已举办", county=JIANDE, kind="劳动教育")  # an event line
    make(starts=on(5, 21), status="已举办", county=CHUNAN, kind="素质提升班")  # another county
    make(starts=on(5, 22), status="已举办", county="", kind="素质提升班")  # the city's own
    with read_session() as s:
        got = as_dict(plan.progress(s, YEAR, JIANDE))
        last = as_dict(plan.progress(s, YEAR - 1, JIANDE))
        city_own = as_dict(plan.progress(s, YEAR, ""))
    assert got == {QUALITY: (0, 3, 1), LECTURES: (0, 1, 0), "劳动教育": (0, 1, 0)}
    assert last == {QUALITY: (0, 1, 0)}  # a past year has nothing left to plan
    # the city's own: the academy's default targets, its one held class
    assert city_own == {LECTURES: (10, 0, 0), QUALITY: (4, 1, 0)}
    # the oracle: raw SQL on the held events of 建德 in the year
    [(n,)] = rows("SELECT count(*) FROM events_event WHERE county_code = :c AND status = '已举办' "
                  "AND kind = '素质提升班' AND starts_at >= '2026-01-01' AND starts_at < '2027-01-01'", c=JIANDE)
    assert got[QUALITY][1] == n == 3


def test_a_cancelled_session_stops_counting(db):
    event = make(starts=on(5, 8), status="已举办", county=JIANDE)
    with read_session() as s:
        assert as_dict(plan.progress(s, YEAR, JIANDE))[QUALITY][1] == 1
    with session_scope(ADMIN) as s:
        s.execute(text("UPDATE events_event SET status = '取消' WHERE id = :i"), {"i": event})
    with read_session() as s:
        assert QUALITY not in as_dict(plan.progress(s, YEAR, JIANDE))


def test_a_countys_own_kind_counts_towards_its_line_and_a_city_kind_keeps_its_own(db):
    with session_scope(STAFF_JD) as s:
        plan.add_kind(s, STAFF_JD, "建德工匠讲堂", "培训", LECTURES, JIANDE)
        plan.add_kind(s, STAFF_JD, "新安江研学", "活动", "研学", JIANDE)
    make(starts=on(4, 1), status="已举办", county=JIANDE, kind="建德工匠讲堂")
    make(starts=on(4, 2), status="已举办", county=JIANDE, kind="新安江研学")
    make(starts=on(4, 3), status="已举办", county=JIANDE, kind="事迹宣讲")
    with read_session() as s:
        assert as_dict(plan.progress(s, YEAR, JIANDE)) == {LECTURES: (0, 2, 0), "研学": (0, 1, 0)}


# --- the city figure -------------------------------------------------------------------------------


def city_oracle(year: int) -> dict[str, tuple[int, int]]:
    """Line -> (target, held), by hand from raw SQL, as docs/events.md says the city figure adds
    up: every scope's stored targets (the city's own falling back to 10 and 4) summed, and every
    held event of the year counted once, by the city kind's line, else its county's kind's."""
    defaults = {LECTURES: 10, QUALITY: 4}
    stored_city = dict(rows("SELECT plan_line, target FROM events_target WHERE year = :y AND county_code = ''",
                            y=year))
    target = {**defaults, **stored_city}
    for line, n in rows("SELECT plan_line, sum(target) FROM events_target WHERE year = :y AND county_code != '' "
                        "GROUP BY plan_line", y=year):
        target[line] = target.get(line, 0) + n
    held = dict(rows("""
        SELECT coalesce(ck.plan_line, ok.plan_line, e.kind) AS line, count(*)
        FROM events_event e
        LEFT JOIN events_kind ck ON ck.name = e.kind AND ck.county_code = ''
        LEFT JOIN events_kind ok ON ok.name = e.kind AND ok.county_code = e.county_code
        WHERE e.status = '已举办' AND e.starts_at >= :a AND e.starts_at < :b
        GROUP BY line""", a=f"{year}-01-01", b=f"{year + 1}-01-01"))
    return {line: (target.get(line, 0), held.get(line, 0)) for line in {*target, *held}
            if target.get(line, 0) or held.get(line, 0)}


def test_the_city_figure_adds_up_the_citys_own_and_every_countys(db):
    with session_scope(ADMIN_USER) as s:
        plan.set_target(s, ADMIN_USER, YEAR, "", LECTURES, 12)  # replaces the default 10
        plan.set_target(s, ADMIN_USER, YEAR, SHANGCHENG, QUALITY, 1)
    with session_scope(STAFF_JD) as s:
        plan.set_target(s, STAFF_JD, YEAR, JIANDE, LECTURES, 3)
        plan.set_target(s, STAFF_JD, YEAR, JIANDE, QUALITY, 2)
        plan.add_kind(s, STAFF_JD, "建德工匠讲堂", "培训", LECTURES, JIANDE)
    with session_scope(STAFF_CA) as s:
        plan.set_target(s, STAFF_CA, YEAR, CHUNAN, QUALITY, 2)
        plan.set_target(s, STAFF_CA, YEAR - 1, CHUNAN, QUALITY, 9)  # another year: not added
    for county, kind, status, when in [
        ("", "事迹宣讲", "已举办", on(3, 1)), ("", "技术培训", "已举办", on(4, 1)),
        ("", "素质提升班", "计划", on(9, 1)), ("", "素质提升班", "取消", on(3, 9)),
        (JIANDE, "技术培训", "已举办", on(2, 1)), (JIANDE, "建德工匠讲堂", "已举办", on(2, 2)),
        (JIANDE, "素质提升班", "已举办", on(6, 1)), (JIANDE, "素质提升班", "计划", on(11, 1)),
        (CHUNAN, "素质提升班", "已举办", on(3, 3)), (CHUNAN, "素质提升班", "已举办", on(7, 3)),
        (CHUNAN, "素质提升班", "已举办", on(7, 3, YEAR - 1)),
        (SHANGCHENG, "劳动教育", "已举办", on(5, 5)), (SHANGCHENG, "素质提升班", "取消", on(5, 6)),
    ]:
        make(county=county, kind=kind, status=status, starts=when)
    with read_session() as s:
        city = plan.city_progress(s, YEAR)
        parts = plan.by_scope(s, YEAR)
    got = as_dict(city)
    # by hand: targets 12 (city) + 3 (建德) = 15 and 4 (city default) + 2 + 2 + 1 = 9;
    # held lectures 2 (city) + 2 (建德, its own kind included) = 4; classes 0 + 1 + 2 = 3
    assert got == {LECTURES: (15, 4, 0), QUALITY: (9, 3, 2), "劳动教育": (0, 1, 0)}
    assert {line: (t, h) for line, (t, h, _) in got.items()} == city_oracle(YEAR)
    # and it is the sum of the parts the page lists
    for line, (target, held, rest) in got.items():
        assert target == sum(p.target for lines in parts.values() for p in lines if p.line == line)
        assert held == sum(p.held for lines in parts.values() for p in lines if p.line == line)
        assert rest == sum(p.planned_rest for lines in parts.values() for p in lines if p.line == line)
    assert set(parts) == {"", JIANDE, CHUNAN, SHANGCHENG}
    assert [p.line for p in city] == [LECTURES, QUALITY, "劳动教育"]  # the plan's order


# --- who may change the plan -----------------------------------------------------------------------


def test_staff_set_their_countys_targets_and_the_administrator_the_citys(db):
    with session_scope(STAFF_JD) as s:
        plan.set_target(s, STAFF_JD, YEAR, JIANDE, QUALITY, 5)
    for who, county in [(STAFF_JD, CHUNAN), (STAFF_JD, ""), (STAFF_CA, JIANDE), (MANAGER, JIANDE),
                        (MANAGER, ""), (Actor("reviewer", "reviewer"), "")]:
        with pytest.raises(PermissionDenied), session_scope(who) as s:
            plan.set_target(s, who, YEAR, county, QUALITY, 1)
        with pytest.raises(PermissionDenied), session_scope(who) as s:
            plan.add_kind(s, who, "新类型", "活动", "新项目", county)
    with session_scope(ADMIN_USER) as s:
        plan.set_target(s, ADMIN_USER, YEAR, "", QUALITY, 6)
        plan.set_target(s, ADMIN_USER, YEAR, CHUNAN, QUALITY, 2)
        plan.set_target(s, ADMIN_USER, YEAR, JIANDE, QUALITY, 4)  # an admin may change a county's
    assert sorted(rows("SELECT county_code, plan_line, target, updated_by FROM events_target")) == [
        ("", QUALITY, 6, "admin"), (CHUNAN, QUALITY, 2, "admin"), (JIANDE, QUALITY, 4, "admin")]
    # every write is in the audit log, with its county and in words
    logged = rows("SELECT actor, action, county_code, summary FROM core_audit_log "
                  "WHERE table_name = 'events_target' ORDER BY id")
    assert logged == [
        ("staff_jd", "create", JIANDE, f"设定{YEAR} 年建德市“{QUALITY}”目标 5 场"),
        ("admin", "create", "", f"设定{YEAR} 年市本级“{QUALITY}”目标 6 场"),
        ("admin", "create", CHUNAN, f"设定{YEAR} 年淳安县“{QUALITY}”目标 2 场"),
        ("admin", "update", JIANDE, f"修改{YEAR} 年建德市“{QUALITY}”目标 4 场"),
    ]
    with read_session() as s:
        assert plan.targets(s, YEAR, "") == {LECTURES: 10, QUALITY: 6}
        assert plan.targets(s, YEAR, JIANDE) == {QUALITY: 4}
        assert plan.targets(s, YEAR - 1, JIANDE) == {}


@pytest.mark.parametrize(("year", "line", "target", "message"), [
    (YEAR, QUALITY, -1, "目标场次须为 0 到 999 之间的整数"),
    (YEAR, QUALITY, 1000, "目标场次须为 0 到 999 之间的整数"),
    (YEAR, QUALITY, 2.5, "目标场次须为 0 到 999 之间的整数"),
    (YEAR + 2, QUALITY, 3, "年度须在 2000 到 2027 之间"),
    (YEAR, "不存在的项目", 3, "没有这个计划项目：不存在的项目"),
    (YEAR, "", 3, "请选择计划项目"),
])
def test_bad_targets_are_refused_in_chinese_and_nothing_is_written(db, year, line, target, message):
    with pytest.raises(EventError, match=message), session_scope(STAFF_JD) as s:
        plan.set_target(s, STAFF_JD, year, JIANDE, line, target)
    assert rows("SELECT count(*) FROM events_target") == [(0,)]


def test_a_kind_is_added_once_per_county_and_never_over_a_city_kind(db):
    with session_scope(STAFF_JD) as s:
        kind = plan.add_kind(s, STAFF_JD, " 建德工匠讲堂 ", "培训", LECTURES, JIANDE)
        assert kind.name == "建德工匠讲堂"
    for name, category, line, message in [("建德工匠讲堂", "培训", LECTURES, "已有同名的活动类型"),
                                          ("技术培训", "培训", LECTURES, "已有同名的活动类型"),
                                          ("", "培训", LECTURES, "类型名称须为 1 到 20 个字"),
                                          ("讲堂二", "讲座", LECTURES, "类别须为培训、活动之一"),
                                          ("讲堂二", "培训", "", "计划项目须为 1 到 30 个字")]:
        with pytest.raises(EventError, match=message), session_scope(STAFF_JD) as s:
            plan.add_kind(s, STAFF_JD, name, category, line, JIANDE)
    with session_scope(STAFF_CA) as s:  # another county may use the same name for its own
        plan.add_kind(s, STAFF_CA, "建德工匠讲堂", "活动", "讲堂", CHUNAN)
    assert sorted(rows("SELECT county_code, name, plan_line FROM events_kind WHERE county_code != ''")) == [
        (CHUNAN, "建德工匠讲堂", "讲堂"), (JIANDE, "建德工匠讲堂", LECTURES)]
    with session_scope(STAFF_JD) as s:  # a new county line can be given a target
        plan.add_kind(s, STAFF_JD, "新安江研学", "活动", "研学", JIANDE)
        plan.set_target(s, STAFF_JD, YEAR, JIANDE, "研学", 2)
    with pytest.raises(EventError, match="没有这个计划项目"), session_scope(STAFF_CA) as s:
        plan.set_target(s, STAFF_CA, YEAR, CHUNAN, "研学", 2)  # not a line of 淳安's kinds


# --- the 年度计划 page, per role ----------------------------------------------------------------------


def page(username: str, **query):
    from tests.helpers import signed_in_app

    at = signed_in_app(username, page="events-plan", query=query)
    assert not at.exception, at.exception
    return at


def shown(at) -> str:
    from tests.helpers import texts

    return texts(at)


def bars_of(at) -> list[str]:
    """The progress bars' texts (one per plan line with a target)."""
    return [shown_text(p.proto.text) for p in at.get("progress")]


def shown_text(source: str) -> str:
    from tests.helpers import shown as undo

    return undo(source)


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_the_administrator_sees_the_city_figure_and_what_it_adds_up(db):
    make(starts=on(3, 1), status="已举办", county="", kind="事迹宣讲")
    make(starts=on(3, 2), status="已举办", county=JIANDE, kind="素质提升班")
    make(starts=on(3, 3), status="取消", county=CHUNAN, kind="素质提升班")
    with session_scope(STAFF_JD) as s:
        plan.set_target(s, STAFF_JD, YEAR, JIANDE, QUALITY, 3)
    at = page("admin")
    text = shown(at)
    assert f"{YEAR} 年全市（市本级和各区县合计）计划进度" in text
    # 4 (the academy's default) + 3 (建德); 建德's one held class; 淳安's cancelled one not
    assert bars_of(at) == [f"{LECTURES}：已举办 1 场 / 目标 10 场，尚差 9 场",
                           f"{QUALITY}：已举办 1 场 / 目标 7 场，尚差 6 场"]
    assert "全市数字由以下相加" in text
    [chart] = at.get("vega_lite_chart")
    assert json.loads(chart.proto.spec)["title"]["text"] == f"{YEAR} 年各计划项目已举办场数与目标"
    assert not [b for b in at.button if b.label == "保存目标"]  # 全市 itself is not edited


def test_the_administrator_sets_the_citys_own_target_on_the_page(db):
    at = page("admin", county="city", year=str(YEAR))
    assert at.selectbox(key="events_plan_scope").value == "city"
    field = next(n for n in at.number_input if n.label == QUALITY)
    assert field.value == 4  # the academy's default
    field.set_value(6)
    button(at, "保存目标").click().run()
    assert not at.exception
    assert f"已保存 {YEAR} 年市本级目标：{QUALITY} 6 场。" in shown(at)
    assert rows("SELECT county_code, plan_line, target FROM events_target") == [("", QUALITY, 6)]
    assert next(n for n in at.number_input if n.label == QUALITY).value == 6


def test_county_staff_edit_their_county_read_the_citys_own_and_never_see_another(db):
    at = page("staff_jd", county=CHUNAN)  # another county in the link: their own instead
    assert at.selectbox(key="events_plan_scope").options == ["建德市", "市本级"]
    assert at.selectbox(key="events_plan_scope").value == JIANDE
    next(n for n in at.number_input if n.label == LECTURES).set_value(3)
    button(at, "保存目标").click().run()
    assert rows("SELECT county_code, plan_line, target, updated_by FROM events_target") == [
        (JIANDE, LECTURES, 3, "staff_jd")]
    at.selectbox(key="events_plan_scope").select("city").run()
    assert not at.exception
    assert "您可以查看本计划，修改须由管理员进行。" in shown(at)
    assert not [b for b in at.button if b.label in ("保存目标", "新增类型")]


def test_a_manager_reads_a_countys_plan_from_the_link(db):
    with session_scope(STAFF_JD) as s:
        plan.set_target(s, STAFF_JD, YEAR - 1, JIANDE, QUALITY, 2)
    make(starts=on(3, 2, YEAR - 1), status="已举办", county=JIANDE)
    at = page("manager", county=JIANDE, year=str(YEAR - 1))
    assert bars_of(at) == [f"{QUALITY}：已举办 1 场 / 目标 2 场，尚差 1 场"]
    assert "您可以查看本计划，修改须由管理员或建德市工作人员进行。" in shown(at)
    assert not at.get("number_input")


def test_staff_add_a_kind_once_and_the_form_clears(db):
    at = page("staff_jd")
    at.text_input(key="events_kind_name_0").input("建德工匠讲堂")
    at.selectbox(key="events_kind_category_0").select("培训")
    at.selectbox(key="events_kind_line_0").select(LECTURES)
    button(at, "新增类型").click().run()
    assert not at.exception
    assert f"已新增建德市活动类型“建德工匠讲堂”，计入{LECTURES}。" in shown(at)
    assert at.text_input(key="events_kind_name_1").value == ""  # a fresh form
    assert "建德工匠讲堂" in at.dataframe[-1].value["类型"].tolist()
    at.text_input(key="events_kind_name_1").input("建德工匠讲堂")
    button(at, "新增类型").click().run()
    assert "已有同名的活动类型“建德工匠讲堂”" in shown(at)
    assert rows("SELECT count(*) FROM events_kind WHERE name = '建德工匠讲堂'") == [(1,)]


def test_the_worked_example_of_docs_events_md(db):
    """docs/events.md, "How the city figure adds up its counties": 4 + 2 + 2 = 8, 1 + 3 + 0 = 4."""
    with session_scope(STAFF_JD) as s:
        plan.set_target(s, STAFF_JD, YEAR, JIANDE, QUALITY, 2)
    with session_scope(STAFF_CA) as s:
        plan.set_target(s, STAFF_CA, YEAR, CHUNAN, QUALITY, 2)
    make(county="", status="已举办", starts=on(3, 1))
    for month in (3, 4, 5):
        make(county=JIANDE, status="已举办", starts=on(month, 9))
    with read_session() as s:
        city = as_dict(plan.city_progress(s, YEAR))
    assert city[QUALITY] == (8, 4, 0)
    doc = (__import__("pathlib").Path(__file__).parents[1] / "docs" / "events.md").read_text(encoding="utf-8")
    assert "The city figure is target 4 + 2 + 2 = 8, held\n1 + 3 + 0 = 4." in doc
