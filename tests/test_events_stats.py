"""参与统计: participation per person and per county for a year, and the roster people not
invited in two years, each checked against raw SQL; county scope for staff; the page per role."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from core.access.auth import CurrentUser
from core.access.permissions import PermissionDenied
from core.data.db import get_engine, read_session, session_scope
from plugins.events import stats
from tests.events_data import ADMIN, invite, make_event
from tests.helpers import signed_in_app, texts

CITY = CurrentUser("admin", "管理员甲", "admin", None)
MANAGER = CurrentUser("manager", "市领导", "manager", None)
STAFF_JD = CurrentUser("staff_jd", "建德工作人员", "staff", "330182")
STAFF_CA = CurrentUser("staff_ca", "淳安工作人员", "staff", "330127")
YEAR = 2025


def sql(query: str, **params):
    with get_engine().connect() as conn:
        return conn.execute(text(query), params).all()


@pytest.fixture
def year_of_events(events_alone):
    """2025: a held 建德 class (3 h) and a held city lecture (2 h), a cancelled 建德 event, a held
    淳安 class; one 建德 event of 2024. People 1-3 of 建德, 4 of 淳安, and a guest."""
    with session_scope(ADMIN) as s:
        jd = make_event(s, title="建德素质提升班", county="330182", starts=dt.datetime(YEAR, 3, 2, 9),
                        status="已举办", class_hours=3)
        city = make_event(s, title="市级事迹宣讲", kind="事迹宣讲", county="", starts=dt.datetime(YEAR, 6, 1, 9),
                          status="已举办", class_hours=2)
        gone = make_event(s, title="取消的活动", county="330182", starts=dt.datetime(YEAR, 7, 1, 9), status="取消")
        ca = make_event(s, title="淳安素质提升班", county="330127", starts=dt.datetime(YEAR, 4, 1, 9),
                        status="已举办", class_hours=4)
        old = make_event(s, title="去年的活动", county="330182", starts=dt.datetime(YEAR - 1, 5, 1, 9),
                         status="已举办")
        invite(s, jd, (1, "王建国", "330182"), (2, "李秀英", "330182"), attendance="出席")
        invite(s, jd, (3, "张伟", "330182"), attendance="缺席")
        invite(s, jd, (None, "来宾甲", ""), attendance="出席")
        invite(s, city, (1, "王建国", "330182"), (4, "陈芳", "330127"), attendance="出席")
        invite(s, city, (2, "李秀英", "330182"), attendance="请假")
        invite(s, gone, (1, "王建国", "330182"), (3, "张伟", "330182"), attendance="出席")
        invite(s, ca, (4, "陈芳", "330127"), attendance="出席")
        invite(s, ca, (1, "王建国", "330182"))  # a 建德 person at a 淳安 event
        invite(s, old, (3, "张伟", "330182"), attendance="出席")
    return {"jd": jd.id, "city": city.id, "ca": ca.id}


PERSON_ORACLE = """
SELECT p.person_id, COUNT(*), SUM(CASE WHEN p.attendance = '出席' THEN 1 ELSE 0 END),
       SUM(CASE WHEN p.attendance = '出席' THEN COALESCE(e.class_hours, 0) ELSE 0 END)
FROM events_participant p JOIN events_event e ON e.id = p.event_id
WHERE p.person_id IS NOT NULL AND e.status <> '取消'
  AND e.starts_at >= :start AND e.starts_at < :end {scope}
GROUP BY p.person_id ORDER BY p.person_id"""


def person_oracle(scope: str = "") -> dict[int, tuple]:
    rows = sql(PERSON_ORACLE.format(scope=scope), start=dt.datetime(YEAR, 1, 1), end=dt.datetime(YEAR + 1, 1, 1))
    return {r[0]: (r[1], r[2], float(r[3])) for r in rows}


def person_rows(user, county=None, offset=0, limit=50):
    with read_session() as s:
        rows, total = stats.person_participation(s, user, YEAR, county, offset, limit)
    return {r["person_id"]: (r["invited"], r["present"], float(r["hours"])) for r in rows}, rows, total


def test_participation_per_person_matches_sql_for_the_city(year_of_events):
    mine, rows, total = person_rows(CITY)
    assert mine == person_oracle() and total == 4
    # the cancelled event and last year's count nowhere; the guest is no person
    assert mine == {1: (3, 2, 5.0), 2: (2, 1, 3.0), 3: (1, 0, 0.0), 4: (2, 2, 6.0)}
    assert [r["person_id"] for r in rows] == [4, 1, 2, 3]  # most attended, then class hours
    assert rows[1]["name"] == "王建国" and rows[1]["last_at"] == dt.datetime(YEAR, 6, 1, 9)


def test_staff_see_their_countys_people_at_the_events_they_see(year_of_events):
    scope = ("AND p.county_code = '330182' AND e.county_code IN ('330182', '')")
    mine, _, total = person_rows(STAFF_JD)
    assert mine == person_oracle(scope) and total == 3
    assert 4 not in mine and mine[1] == (2, 2, 5.0)  # 淳安's event is not theirs to see
    ca, _, _ = person_rows(STAFF_CA)
    assert set(ca) == {4}
    with pytest.raises(PermissionDenied):
        person_rows(STAFF_JD, county="330127")
    assert set(person_rows(CITY, county="330127")[0]) == {4}


def test_people_come_a_page_at_a_time(year_of_events):
    first, _, total = person_rows(CITY, limit=3)
    rest, _, _ = person_rows(CITY, offset=3, limit=3)
    assert total == 4 and len(first) == 3 and set(rest) == {3} and not set(first) & set(rest)


def test_participation_per_county_matches_sql(year_of_events):
    oracle = sql("""
        SELECT e.county_code, COUNT(DISTINCT e.id), COUNT(p.id),
               COALESCE(SUM(CASE WHEN p.attendance = '出席' THEN 1 ELSE 0 END), 0)
        FROM events_event e LEFT JOIN events_participant p ON p.event_id = e.id
        WHERE e.status = '已举办' AND e.starts_at >= :start AND e.starts_at < :end
        GROUP BY e.county_code ORDER BY e.county_code""",
                 start=dt.datetime(YEAR, 1, 1), end=dt.datetime(YEAR + 1, 1, 1))
    with read_session() as s:
        rows = stats.county_participation(s, MANAGER, YEAR)
        staff = stats.county_participation(s, STAFF_JD, YEAR)
    assert [(r["county_code"], r["events"], r["invited"], r["present"]) for r in rows] == [tuple(r) for r in oracle]
    assert [(r["county_code"], r["events"], r["invited"], r["present"]) for r in rows] == \
        [("", 1, 3, 2), ("330127", 1, 2, 1), ("330182", 1, 4, 3)]
    assert rows[2]["rate"] == 0.75
    assert [r["county_code"] for r in staff] == ["", "330182"]  # never 淳安县's


def test_the_exclusion_is_everyone_invited_since_the_cut_off_and_never_null(events_alone):
    now = stats.now_wall()
    with session_scope(ADMIN) as s:
        recent = make_event(s, title="近期", starts=now - dt.timedelta(days=300))
        coming = make_event(s, title="将来", starts=now + dt.timedelta(days=30))
        long_ago = make_event(s, title="三年前", starts=now - dt.timedelta(days=3 * 366))
        gone = make_event(s, title="取消", starts=now - dt.timedelta(days=10), status="取消")
        invite(s, recent, (11, "甲", "330182"), (None, "来宾", ""))
        invite(s, coming, (12, "乙", "330182"))
        invite(s, long_ago, (13, "丙", "330182"), (11, "甲", "330182"))
        invite(s, gone, (14, "丁", "330182"))
    with read_session() as s:
        ids = list(s.scalars(stats.not_invited_query()))
    assert sorted(ids) == [11, 12]


@pytest.fixture
def roster_no_events(events_db):
    """The demo roster with no events: the demo's invitations cover most people, and these
    tests need more than a page of people never invited."""
    with session_scope(ADMIN) as s:
        s.execute(text("DELETE FROM events_participant"))
        s.execute(text("DELETE FROM events_event"))
    return events_db


def test_not_invited_in_two_years_is_the_living_roster_minus_sql(roster_no_events):
    cut = stats.cut_off()
    with read_session() as s:
        person_id, name = s.execute(text("SELECT id, name FROM registry_person WHERE county_code = '330182' "
                                         "AND status <> '去世' ORDER BY id LIMIT 1")).one()
    with session_scope(ADMIN) as s:
        event = make_event(s, title="新近的活动", starts=stats.now_wall() - dt.timedelta(days=20))
        invite(s, event, (person_id, name, "330182"))
    oracle = sql("""
        SELECT COUNT(*) FROM registry_person r WHERE r.county_code = '330182' AND r.status <> '去世'
        AND r.id NOT IN (SELECT p.person_id FROM events_participant p JOIN events_event e ON e.id = p.event_id
                         WHERE p.person_id IS NOT NULL AND e.status <> '取消' AND e.starts_at >= :cut)""",
                 cut=cut)[0][0]
    with read_session() as s:
        page = stats.never_invited(s, STAFF_JD)
        second = stats.never_invited(s, STAFF_JD, offset=50)
        city = stats.never_invited(s, CITY, county="330182", limit=10)
    assert page.total == oracle == city.total and oracle > 50
    assert len(page.people) == 50 and {p.county_code for p in page.people} == {"330182"}
    assert person_id not in {p.id for p in page.people + second.people}
    assert not {p.id for p in page.people} & {p.id for p in second.people}
    assert all(not p.deceased for p in page.people)


def test_without_the_roster_nobody_is_listed_as_not_invited(events_alone):
    with read_session() as s:
        assert stats.never_invited(s, CITY).total == 0


# --- the page ----------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["admin", "manager", "reviewer", "staff_jd"])
def test_the_participation_page_per_role(year_of_events, username):
    at = signed_in_app(username, "events-participation", {"year": str(YEAR)})
    assert not at.exception
    shown = texts(at)
    assert "参与统计" in shown and "无权访问" not in shown
    tables = [t.value for t in at.dataframe]
    names = {n for t in tables if "姓名" in t.columns for n in t["姓名"]}
    assert "王建国" in names and "李秀英" in names
    if username == "staff_jd":
        assert "陈芳" not in names and "淳安县" not in shown
    else:
        assert "陈芳" in names and "淳安县" in shown


def test_the_page_shows_a_new_attendance_at_its_next_run(year_of_events):
    """The per-person list is kept between runs, but not past a write: 张伟's 缺席→出席 shows."""
    def zhang(at):
        people = next(t.value for t in at.dataframe if "出席（次）" in t.value.columns)
        return int(people.loc[people["姓名"] == "张伟", "出席（次）"].iloc[0])

    at = signed_in_app("admin", "events-participation", {"year": str(YEAR)})
    before = zhang(at)
    from plugins.events.attendance import record_attendance

    (pid,), = sql("SELECT id FROM events_participant WHERE event_id = :e AND person_id = 3",
                  e=year_of_events["jd"])
    with session_scope(ADMIN) as s:
        record_attendance(s, CITY, pid, "出席")
    at.run()
    assert not at.exception
    assert zhang(at) == before + 1 == person_oracle()[3][1]


def test_the_participation_page_reads_the_county_from_its_link(year_of_events):
    at = signed_in_app("admin", "events-participation", {"year": str(YEAR), "county": "330127"})
    assert not at.exception
    names = {n for t in at.dataframe if "姓名" in t.value.columns for n in t.value["姓名"]}
    assert names == {"陈芳"}


def test_the_page_lists_the_not_invited_fifty_at_a_time(roster_no_events):
    at = signed_in_app("staff_jd", "events-participation")
    assert not at.exception
    with read_session() as s:
        total = stats.never_invited(s, STAFF_JD, limit=0).total
    shown = texts(at)
    assert f"共 {total} 位在册人员" in shown and "近 2 年未受邀的名册人员" in shown
    listed = [t.value for t in at.dataframe if "最高荣誉" in t.value.columns][0]
    assert len(listed) == 50 and set(listed["区县"]) == {"建德市"}
    pager = at.number_input(key="ev_part_never_page")
    pager.set_value(2).run()
    assert not at.exception
    second = [t.value for t in at.dataframe if "最高荣誉" in t.value.columns][0]
    oracle = sql("""
        SELECT r.name FROM registry_person r WHERE r.county_code = '330182' AND r.status <> '去世'
        AND r.id NOT IN (SELECT p.person_id FROM events_participant p JOIN events_event e ON e.id = p.event_id
                         WHERE p.person_id IS NOT NULL AND e.status <> '取消' AND e.starts_at >= :cut)
        ORDER BY r.county_code, r.name, r.id LIMIT 50 OFFSET 50""", cut=stats.cut_off())
    assert list(second["姓名"]) == [n for (n,) in oracle]


def test_the_page_shows_the_figures_the_overview_tiles_link_to_it_for(year_of_events):
    """出勤率, 参与人数 and 名册参与率 each open this page (?year=&county=): it shows their figures,
    counted here from the tables (events held in the year; rate by the event's county, people by
    their own county; the guest counted apart)."""
    (invited, present), = sql("""
        SELECT COUNT(*), SUM(CASE WHEN p.attendance = '出席' THEN 1 ELSE 0 END)
        FROM events_participant p JOIN events_event e ON e.id = p.event_id
        WHERE e.status = '已举办' AND e.county_code = '330182' AND e.starts_at >= :start AND e.starts_at < :end""",
                              start=dt.datetime(YEAR, 1, 1), end=dt.datetime(YEAR + 1, 1, 1))
    (people,), = sql("""
        SELECT COUNT(DISTINCT p.person_id) FROM events_participant p JOIN events_event e ON e.id = p.event_id
        WHERE e.status = '已举办' AND p.attendance = '出席' AND p.county_code = '330182'
          AND e.starts_at >= :start AND e.starts_at < :end""",
                     start=dt.datetime(YEAR, 1, 1), end=dt.datetime(YEAR + 1, 1, 1))
    assert (invited, present, people) == (4, 3, 2)
    at = signed_in_app("admin", "events-participation", {"year": str(YEAR), "county": "330182"})
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    assert shown["出勤率"] == f"{present / invited * 100:.1f}%"
    assert shown["参与人数"] == str(people)
    assert shown["名册参与率"] == "—"  # no roster here: the page says why, as the tile does
    assert "未启用人员名册，无法计算参与率" in texts(at)
