"""The events' contributions to core: overview tiles, to-dos and the yearly report's section,
each checked against raw SQL on the demo database (roster + events) with events of each test's
own added, county scope included; the roster share with the roster disabled."""

from __future__ import annotations

import datetime as dt
import sqlite3
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import make_url

from core.access.auth import CurrentUser
from core.data.db import read_session, session_scope
from core.host.metrics import MetricContext
from core.host.todos import NORMAL, SOON, collect_todos
from plugins.events import plan
from tests.events_data import ADMIN, invite, make_event
from tests.helpers import ACCOUNTS, signed_in_app

JIANDE, CHUNAN = "330182", "330127"
LECTURES, QUALITY = "事迹宣讲和技术培训", "素质提升班"
THIS_YEAR = dt.datetime.now(ZoneInfo("Asia/Shanghai")).year
LAST = THIS_YEAR - 1
TODAY = dt.date(THIS_YEAR, 11, 20)  # the clock: 20 November, 10:00 Beijing


@pytest.fixture
def db(events_db, monkeypatch) -> str:
    from core.settings import clock

    monkeypatch.setattr(clock, "_utc_now", lambda: dt.datetime(THIS_YEAR, 11, 20, 2, 0, tzinfo=dt.UTC))
    return make_url(events_db).database


def sql(path: str, query: str, *args):
    with sqlite3.connect(path) as conn:
        return conn.execute(query, args).fetchall()


def one(path: str, query: str, *args):
    return sql(path, query, *args)[0][0]


def scope(county: str | None, column: str = "county_code") -> str:
    return f" AND {column} = '{county}'" if county else ""


def user(username: str) -> CurrentUser:
    _, name, role, own = next(a for a in ACCOUNTS if a[0] == username)
    return CurrentUser(username, name, role, own)


def living(path: str, county: str, n: int) -> list[tuple[int, str, str]]:
    """``n`` living roster people of ``county`` as (id, name, county) for invite()."""
    return sql(path, "SELECT id, name, county_code FROM registry_person WHERE status != '去世' AND county_code = ? "
                     "ORDER BY id LIMIT ?", county, n)


def at(month: int, day: int, year: int = THIS_YEAR, hour: int = 9) -> dt.datetime:
    return dt.datetime(year, month, day, hour)


@pytest.fixture
def events(db) -> dict[str, int]:
    """Events of this test's own: held ones with attendance in 建德 and 淳安 and the city's own,
    a guest, last year's, a cancelled one, and planned ones within and beyond 30 days."""
    jd, ca = living(db, JIANDE, 6), living(db, CHUNAN, 3)
    ids = {}
    with session_scope(ADMIN) as s:
        e = make_event(s, title="建德素质提升班一", kind="素质提升班", county=JIANDE, starts=at(3, 5), status="已举办")
        invite(s, e, *jd[:3], attendance="出席")
        invite(s, e, jd[3], attendance="缺席")
        invite(s, e, jd[4], attendance="请假")
        invite(s, e, (None, "来宾甲", JIANDE), attendance="出席")
        e2 = make_event(s, title="建德技术培训", kind="技术培训", county=JIANDE, starts=at(6, 5), status="已举办",
                        class_hours=2.0)
        invite(s, e2, jd[0], attendance="出席")
        invite(s, e2, jd[5])  # attendance not taken: a to-do
        ids["untaken"] = e2.id
        e3 = make_event(s, title="淳安事迹宣讲", kind="事迹宣讲", county=CHUNAN, starts=at(4, 9), status="已举办")
        invite(s, e3, *ca[:2], attendance="出席")
        invite(s, e3, ca[2], attendance="缺席")
        e4 = make_event(s, title="市本级926工匠日", kind="展示交流", county="", starts=at(9, 26), status="已举办",
                        series=f"926工匠日 {THIS_YEAR}", class_hours=None)
        invite(s, e4, jd[0], ca[0], attendance="出席")
        e5 = make_event(s, title="去年的班", kind="素质提升班", county=JIANDE, starts=at(5, 5, LAST), status="已举办")
        invite(s, e5, jd[5], attendance="出席")
        e6 = make_event(s, title="取消的班", kind="素质提升班", county=JIANDE, starts=at(7, 5), status="取消")
        invite(s, e6, jd[5], attendance="出席")  # never counts
        make_event(s, title="下周的宣讲", kind="事迹宣讲", county=JIANDE, starts=at(11, 27))
        make_event(s, title="明年的宣讲", kind="事迹宣讲", county=JIANDE, starts=at(1, 5, THIS_YEAR + 1))
        make_event(s, title="取消的宣讲", kind="事迹宣讲", county=JIANDE, starts=at(11, 28), status="取消")
        make_event(s, title="淳安下月的班", kind="素质提升班", county=CHUNAN, starts=at(12, 15))
    with session_scope(ADMIN) as s:
        plan.set_target(s, ADMIN, THIS_YEAR, JIANDE, QUALITY, 3)
    return ids


# --- the oracle: what each tile must count, in raw SQL -----------------------------------------


def held_where(year: int, alias: str = "e") -> str:
    return (f"{alias}.status = '已举办' AND {alias}.starts_at >= '{year}-01-01' "
            f"AND {alias}.starts_at < '{year + 1}-01-01'")


def oracle(path: str, county: str | None, year: int) -> dict:
    # plan: held events whose (city kind's) line has a target in the scope
    if county is None:
        targeted = {LECTURES, QUALITY} | {line for (line,) in sql(
            path, "SELECT plan_line FROM events_target WHERE year = ? AND target > 0", year)}
    else:
        targeted = {line for (line,) in sql(path, "SELECT plan_line FROM events_target WHERE year = ? "
                                                  "AND county_code = ? AND target > 0", year, county)}
    held = sql(path, f"""SELECT k.plan_line FROM events_event e JOIN events_kind k ON k.name = e.kind
                         AND k.county_code = '' WHERE {held_where(year)}{scope(county, 'e.county_code')}""")
    first, last = TODAY, TODAY + dt.timedelta(days=29)
    upcoming = one(path, f"SELECT count(*) FROM events_event WHERE status = '计划' AND starts_at >= ? "
                         f"AND starts_at < ?{scope(county)}", f"{first} 00:00:00",
                   f"{last + dt.timedelta(days=1)} 00:00:00")
    invited, present = sql(path, f"""SELECT count(*), sum(p.attendance = '出席') FROM events_participant p
                                     JOIN events_event e ON e.id = p.event_id
                                     WHERE {held_where(year)}{scope(county, 'e.county_code')}""")[0]
    people = one(path, f"""SELECT count(DISTINCT p.person_id) FROM events_participant p
                           JOIN events_event e ON e.id = p.event_id WHERE {held_where(year)}
                           AND p.attendance = '出席' AND p.person_id IS NOT NULL{scope(county, 'p.county_code')}""")
    roster = one(path, f"SELECT count(*) FROM registry_person WHERE status != '去世'{scope(county)}")
    took_part = one(path, f"""SELECT count(*) FROM registry_person r WHERE r.status != '去世'{scope(county, 'r.county_code')}
                              AND EXISTS (SELECT 1 FROM events_participant p JOIN events_event e ON e.id = p.event_id
                              WHERE p.person_id = r.id AND p.attendance = '出席' AND {held_where(year)})""")
    return {
        "events-plan": sum(1 for (line,) in held if line in targeted),
        "events-upcoming": upcoming,
        "events-attendance": f"{(present or 0) / invited * 100:.1f}%" if invited else "—",
        "events-participants": people,
        "events-roster-share": f"{took_part / roster * 100:.1f}%",
        "invited": invited, "present": present or 0, "roster": roster, "took_part": took_part,
    }


def computed(county: str | None, year: int | None):
    from core.host.loader import get_host

    metrics = {k: m for k, m in get_host().metrics.items() if k.startswith("events-")}
    with read_session() as s:
        ctx = MetricContext(session=s, counties=(county,) if county else None, year=year)
        return {key: metric.compute(ctx) for key, metric in metrics.items()}


@pytest.mark.parametrize(("county", "year"), [(None, None), (JIANDE, None), (CHUNAN, None), (JIANDE, LAST)])
def test_each_tile_counts_what_raw_sql_counts(db, events, county, year):
    results = computed(county, year)
    assert sorted(results) == sorted(["events-plan", "events-upcoming", "events-attendance",
                                      "events-participants", "events-roster-share"])
    the_year = year or THIS_YEAR
    want = oracle(db, county, the_year)
    for key, result in results.items():
        assert result.value == want[key], key
    if county == JIANDE and year is None:
        assert results["events-upcoming"].value >= 1  # 下周的宣讲 at least; the cancelled one not
        assert results["events-participants"].value >= 3  # this test's own three
    assert results["events-roster-share"].caption == (
        f"健在的名册人员 {want['roster']:,} 人中，{want['took_part']:,} 人 {the_year} 年至少出席一次")
    if want["invited"]:
        assert results["events-attendance"].caption.startswith(
            f"{the_year} 年邀请 {want['invited']:,} 人次，出席 {want['present']:,} 人次")
    # the participants' chart splits the number by times present: its bars add up to it
    spread = results["events-participants"].rows
    assert sum(r["人数"] for r in spread) == want["events-participants"]
    # every chart says what it counts
    for result in results.values():
        if result.chart is not None:
            title = result.chart.to_dict()["title"]["text"]
            assert any(word in title for word in ("场数", "人次", "（人", "人）")), title


def test_the_plan_tile_for_the_city_adds_up_its_counties(db, events):
    result = computed(None, None)["events-plan"]
    with read_session() as s:
        city = {p.line: p for p in plan.city_progress(s, THIS_YEAR)}
    assert result.value == city[LECTURES].held + city[QUALITY].held
    # 市本级's stored target (else the academy's 4) plus every county's
    city_own = sql(db, "SELECT target FROM events_target WHERE year = ? AND county_code = '' AND plan_line = ?",
                   THIS_YEAR, QUALITY)
    counties = one(db, "SELECT sum(target) FROM events_target WHERE year = ? AND county_code != '' "
                       "AND plan_line = ?", THIS_YEAR, QUALITY)
    assert counties >= 3  # 建德's 3 at least
    assert {r["计划项目"]: r["目标（场）"] for r in result.rows}[QUALITY] == (city_own[0][0] if city_own else 4) + counties
    assert result.chart.to_dict()["title"]["text"] == f"{THIS_YEAR} 年各计划项目已举办场数与目标"


def test_without_the_roster_the_share_tile_says_there_is_none(events_alone):
    with read_session() as s:
        result = next(m for m in __import__("core.host.loader", fromlist=["get_host"]).get_host().metrics.values()
                      if m.key == "events-roster-share").compute(MetricContext(session=s, counties=None, year=None))
    assert result.value == "—"
    assert result.caption == "未启用人员名册，无法计算参与率"


# --- the overview, as county staff see it ---------------------------------------------------------


TITLES = {"events-plan": "年度计划进度", "events-upcoming": "未来30天活动", "events-attendance": "出勤率",
          "events-participants": "年度参与人数", "events-roster-share": "名册参与率"}


def tiles(app) -> dict:
    found = {}

    def walk(node):
        for child in getattr(node, "children", {}).values():
            if getattr(child, "type", None) == "metric":
                found[child.label] = node
            else:
                walk(child)

    walk(app.main)
    return found


def link_of(block) -> tuple[str, dict[str, str]]:
    [link] = block.get("page_link")
    return link.proto.page, dict(parse_qsl(link.proto.query_string))


def test_county_staff_see_their_countys_figures_and_the_links_carry_the_filters(db, events):
    app = signed_in_app("staff_jd", page="core-overview")
    assert not app.exception
    shown = {m.label: m.value for m in app.metric}
    want = oracle(db, JIANDE, THIS_YEAR)
    for key, title in TITLES.items():
        assert shown[title] == str(want[key]), title
    blocks = tiles(app)
    links = {key: link_of(blocks[title]) for key, title in TITLES.items()}
    year = str(THIS_YEAR)
    assert links["events-plan"] == ("events-plan", {"county": JIANDE, "year": year})
    assert links["events-upcoming"] == ("events-calendar", {
        "county": JIANDE, "status": "计划", "from": TODAY.isoformat(),
        "to": (TODAY + dt.timedelta(days=29)).isoformat()})
    for key in ("events-attendance", "events-participants", "events-roster-share"):
        assert links[key] == ("events-participation", {"county": JIANDE, "year": year}), key


def test_a_chosen_year_reaches_the_tiles_and_their_links(db, events):
    app = signed_in_app("admin", page="core-overview")
    app.selectbox(key="overview_year").select(LAST).run()
    assert not app.exception
    shown = {m.label: m.value for m in app.metric}
    want = oracle(db, None, LAST)
    assert shown["年度参与人数"] == str(want["events-participants"])
    assert shown["出勤率"] == want["events-attendance"]
    blocks = tiles(app)
    assert link_of(blocks["年度计划进度"]) == ("events-plan", {"year": str(LAST)})
    assert link_of(blocks["未来30天活动"])[1].get("year") is None  # the next 30 days: no year


# --- to-dos ---------------------------------------------------------------------------------------


def awaiting(path: str, county: str | None) -> int:
    return one(path, f"""SELECT count(*) FROM events_event e WHERE e.ends_at < ? AND e.status != '取消'
                         AND EXISTS (SELECT 1 FROM events_participant p WHERE p.event_id = e.id
                         AND p.attendance IS NULL){scope(county, 'e.county_code')}""", f"{TODAY} 10:00:00")


def behind(path: str, county: str) -> int:
    """Lines of ``county``'s own plan ("" 市本级, with the academy's defaults) whose held sessions
    are below target × the share of the year gone by the end of 20 November."""
    share = (TODAY - dt.date(THIS_YEAR, 1, 1)).days + 1
    share /= (dt.date(THIS_YEAR + 1, 1, 1) - dt.date(THIS_YEAR, 1, 1)).days
    targets = {LECTURES: 10, QUALITY: 4} if county == "" else {}
    targets.update(sql(path, "SELECT plan_line, target FROM events_target WHERE year = ? AND county_code = ?",
                       THIS_YEAR, county))
    held = dict(sql(path, f"""SELECT k.plan_line, count(*) FROM events_event e JOIN events_kind k ON k.name = e.kind
                              AND k.county_code = '' WHERE {held_where(THIS_YEAR)} AND e.county_code = ?
                              GROUP BY k.plan_line""", county))
    return sum(1 for line, target in targets.items() if target and held.get(line, 0) < target * share)


def event_todos(username: str) -> dict[str, tuple]:
    with read_session() as s:
        return {t.key: (t.count, t.urgency, t.link, t.link_params)
                for t in collect_todos(s, user(username)) if t.key.startswith("events-")}


def test_each_role_gets_its_event_to_dos_with_raw_sql_counts(db, events):
    held = one(db, f"SELECT count(*) FROM events_event e WHERE {held_where(THIS_YEAR)} AND county_code = ? "
                   "AND kind = '素质提升班'", JIANDE)
    with session_scope(ADMIN) as s:  # 建德 behind on its classes
        plan.set_target(s, ADMIN, THIS_YEAR, JIANDE, QUALITY, held + 5)
    jd, ca, city = awaiting(db, JIANDE), awaiting(db, CHUNAN), awaiting(db, None)
    assert jd >= 1  # 建德技术培训, ended in June with one attendance not taken
    got = event_todos("staff_jd")
    count, urgency, link, params = got["events-attendance"]
    assert count == jd and urgency == SOON  # ended more than 7 days ago
    if jd == 1:
        assert (link, params) == ("events-attendance", {"event": str(events["untaken"])})
    else:
        assert (link, params) == ("events-calendar", {"attendance": "未签到"})
    assert behind(db, JIANDE) >= 1
    assert got["events-plan-behind"] == (behind(db, JIANDE), NORMAL, "events-plan",
                                         {"year": str(THIS_YEAR), "county": JIANDE})
    assert event_todos("staff_ca").get("events-attendance", (0,))[0] == ca
    admin = event_todos("admin")
    assert admin["events-attendance"][0] == city
    assert admin.get("events-plan-behind", (0,))[0] == behind(db, "")
    assert event_todos("manager") == {}
    assert event_todos("reviewer") == {}


def test_the_attendance_to_do_goes_once_attendance_is_taken(db, events):
    before = event_todos("staff_jd")["events-attendance"][0]
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE events_participant SET attendance = '缺席' WHERE event_id = ? AND attendance IS NULL",
                     (events["untaken"],))
    assert event_todos("staff_jd").get("events-attendance", (0,))[0] == before - 1 == awaiting(db, JIANDE)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE events_participant SET attendance = '缺席' WHERE attendance IS NULL")
    assert "events-attendance" not in event_todos("staff_jd")
    assert "events-attendance" not in event_todos("admin")


def test_a_plan_is_not_behind_before_july_nor_once_on_schedule(db, events, monkeypatch):
    from core.settings import clock

    monkeypatch.setattr(clock, "_utc_now", lambda: dt.datetime(THIS_YEAR, 6, 30, 2, 0, tzinfo=dt.UTC))
    assert "events-plan-behind" not in event_todos("staff_jd")
    monkeypatch.setattr(clock, "_utc_now", lambda: dt.datetime(THIS_YEAR, 11, 20, 2, 0, tzinfo=dt.UTC))
    with sqlite3.connect(db) as conn:  # 建德 plans only 素质提升班 this year, 3 of them
        conn.execute("DELETE FROM events_target WHERE county_code = ? AND plan_line != ?", (JIANDE, QUALITY))
    held = one(db, f"SELECT count(*) FROM events_event e WHERE {held_where(THIS_YEAR)} AND county_code = ? "
                   "AND kind = '素质提升班'", JIANDE)
    with session_scope(ADMIN) as s:
        plan.set_target(s, ADMIN, THIS_YEAR, JIANDE, QUALITY, held + 1)  # one short: behind
    assert event_todos("staff_jd")["events-plan-behind"][0] == 1
    with session_scope(ADMIN) as s:  # held = target × 89%: on schedule by 20 November
        plan.set_target(s, ADMIN, THIS_YEAR, JIANDE, QUALITY, held)
    assert "events-plan-behind" not in event_todos("staff_jd")


# --- the yearly report ----------------------------------------------------------------------------


def test_the_report_section_says_the_figures_of_the_year(db, events):
    from plugins.events.report import sections

    with read_session() as s:
        [section] = sections(s, THIS_YEAR, (JIANDE,))
    assert section.title == "活动培训"
    plan_rows, kinds = (t.rows for t in section.tables)
    held = one(db, f"SELECT count(*) FROM events_event e WHERE {held_where(THIS_YEAR)} AND county_code = ? "
                   "AND kind = '素质提升班'", JIANDE)
    assert {r["计划项目"]: (r["目标（场）"], r["已举办（场）"]) for r in plan_rows}[QUALITY] == (3, held)
    state = "已完成" if held >= 3 else f"尚差 {3 - held} 场"
    assert f"{QUALITY}目标 3 场，已举办 {held} 场，{state}" in section.text
    assert section.text.startswith(f"{THIS_YEAR} 年建德市年度计划：")
    # by kind against raw SQL (建德's events of the year)
    by_kind = dict(sql(db, f"SELECT kind, count(*) FROM events_event e WHERE {held_where(THIS_YEAR)} "
                           "AND county_code = ? GROUP BY kind", JIANDE))
    assert {r["类型"]: r["已举办（场）"] for r in kinds if r["类型"] != "合计"} == {
        k: by_kind.get(k, 0) for k in {r["类型"] for r in kinds if r["类型"] != "合计"}}
    total = kinds[-1]
    assert total["类型"] == "合计" and total["已举办（场）"] == sum(by_kind.values())
    hours = one(db, f"SELECT coalesce(sum(class_hours), 0) FROM events_event e WHERE {held_where(THIS_YEAR)} "
                    "AND county_code = ?", JIANDE)
    assert total["课时"] == hours
    cancelled = one(db, f"SELECT count(*) FROM events_event WHERE status = '取消' AND county_code = ? "
                        f"AND starts_at >= '{THIS_YEAR}-01-01' AND starts_at < '{THIS_YEAR + 1}-01-01'", JIANDE)
    assert total["取消（场）"] == cancelled
    people = oracle(db, JIANDE, THIS_YEAR)["events-participants"]
    times = one(db, f"""SELECT count(*) FROM events_participant p JOIN events_event e ON e.id = p.event_id
                        WHERE {held_where(THIS_YEAR)} AND p.attendance = '出席' AND p.person_id IS NOT NULL
                        AND p.county_code = ?""", JIANDE)
    assert f"名册人员中 {people:,} 人至少出席一次，共出席 {times:,} 人次" in section.text
    [chart] = section.charts
    assert chart.to_dict()["title"]["text"] == f"建德市 {THIS_YEAR} 年各计划项目已举办场数与目标"


def test_the_citys_report_counts_the_926_series_and_what_the_city_figure_adds_up(db, events):
    from plugins.events.report import sections

    with read_session() as s:
        [section] = sections(s, THIS_YEAR, None)
    series = sql(db, f"""SELECT count(*), sum(status = '已举办') FROM events_event WHERE series LIKE '926工匠日%'
                         AND status != '取消' AND starts_at >= '{THIS_YEAR}-01-01'
                         AND starts_at < '{THIS_YEAR + 1}-01-01'""")[0]
    present = one(db, f"""SELECT count(*) FROM events_participant p JOIN events_event e ON e.id = p.event_id
                          WHERE e.series LIKE '926工匠日%' AND {held_where(THIS_YEAR)} AND p.attendance = '出席'""")
    assert f"926工匠日系列活动 {series[0]} 场，已举办 {series[1]} 场，出席 {present:,} 人次。" in section.text
    assert "全市数字为市本级和各区县之和" in section.text
    plan_rows, _, parts = (t.rows for t in section.tables)
    with read_session() as s:
        city = {p.line: p for p in plan.city_progress(s, THIS_YEAR)}
    assert {r["计划项目"]: r["已举办（场）"] for r in plan_rows} == {line: p.held for line, p in city.items()}
    assert parts[0]["范围"] == "市本级"
    assert {r["范围"]: r[QUALITY] for r in parts}["建德市"].endswith("/3")
