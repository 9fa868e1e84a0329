"""Events' records (plugins/events/events.py) and photos: creating, changing and the status
rules, county scope in the service functions themselves, the 日程 filters as query parameters,
and the list's pages and totals against plain SQL. The clock is frozen at 15 June 2026, noon."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from core.access.auth import CurrentUser
from core.access.permissions import PermissionDenied
from core.data.db import read_session, session_scope
from core.settings import clock
from plugins.events import events as svc
from plugins.events import photos
from plugins.events.queries import NOT_FOUND, EventError
from tests.events_data import ADMIN, invite, make_event

STAFF_JD = CurrentUser("staff_jd", "建德工作人员", "staff", "330182")
STAFF_CA = CurrentUser("staff_ca", "淳安工作人员", "staff", "330127")
ADMIN_USER = CurrentUser("admin", "管理员甲", "admin", None)
MANAGER = CurrentUser("manager", "领导丙", "manager", None)
JD, CA = "330182", "330127"
NOW = dt.datetime(2026, 6, 15, 12)  # local wall clock
VALUES = dict(kind="素质提升班", title="2026年第一期素质提升班", organiser="建德市总工会", county_code=JD,
              place="建德市职工服务中心", starts_at=dt.datetime(2026, 7, 8, 9), ends_at=dt.datetime(2026, 7, 8, 17),
              capacity=40, class_hours=6, series=None, summary=None)
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
JPG = b"\xff\xd8\xff\xe0" + b"\0" * 100


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "_utc_now", lambda: (NOW - dt.timedelta(hours=8)).replace(tzinfo=dt.UTC))


def sql(query: str, **params):
    """The oracle: plain SQL written here."""
    with read_session() as session:
        return session.execute(text(query), params).all()


def one(query: str, **params):
    return sql(query, **params)[0][0]


def act(user, fn, *args, **kwargs):
    with session_scope(user.actor) as session:
        result = fn(session, user, *args, **kwargs)
        return getattr(result, "id", result)


def event(title="测试活动", county=JD, **kw) -> int:
    with session_scope(ADMIN) as s:
        return make_event(s, title=title, county=county, **kw).id


# --- creating -----------------------------------------------------------------------------------

def test_staff_create_an_event_audited_and_a_duplicate_or_bad_value_is_refused(events_alone):
    eid = act(STAFF_JD, svc.create_event, **VALUES)
    assert sql("SELECT kind, title, county_code, starts_at, status, capacity, class_hours, created_by "
               "FROM events_event") == [("素质提升班", "2026年第一期素质提升班", JD, "2026-07-08 09:00:00.000000",
                                         "计划", 40, 6.0, "staff_jd")]
    assert one("SELECT COUNT(*) FROM core_audit_log WHERE table_name = 'events_event' AND row_id = :i "
               "AND actor = 'staff_jd' AND county_code = :c", i=str(eid), c=JD) == 1
    bad = [({"starts_at": dt.datetime(2026, 7, 8, 14)}, "已有同名活动：建德市 2026年7月8日的“2026年第一期素质提升班”已登记，不能重复登记"),
           ({"title": " "}, "请填写活动名称"),
           ({"title": "长" * 101}, "活动名称不能超过 100 个字"),
           ({"kind": None}, "请选择类型"),
           ({"kind": "不存在的类型"}, "不能使用类型“不存在的类型”"),
           ({"place": ""}, "请填写地点"),
           ({"starts_at": None}, "请填写开始时间"),
           ({"ends_at": dt.datetime(2026, 7, 8, 8)}, "结束时间不能早于开始时间"),
           ({"capacity": 0}, "名额应大于 0"),
           ({"capacity": 2.5}, "名额应为整数"),
           ({"class_hours": "很多"}, "课时应为数字"),
           ({"county_code": "999999"}, PermissionDenied)]
    for change, message in bad:
        if message is PermissionDenied:
            with pytest.raises(PermissionDenied):
                act(STAFF_JD, svc.create_event, **{**VALUES, **change})
            continue
        with pytest.raises(EventError) as refused:
            act(STAFF_JD, svc.create_event, **{**VALUES, **change})
        assert message in str(refused.value), change
    # the same title another day, or in another county, is another event
    act(STAFF_JD, svc.create_event, **{**VALUES, "starts_at": dt.datetime(2026, 7, 9, 9),
                                       "ends_at": dt.datetime(2026, 7, 9, 17)})
    act(ADMIN_USER, svc.create_event, **{**VALUES, "county_code": CA})
    assert one("SELECT COUNT(*) FROM events_event") == 3


def test_county_scope_is_checked_by_the_service_functions(events_alone):
    # staff_jd cannot create a 淳安县 event, nor a city-wide one; a manager cannot create any
    for user, county in ((STAFF_JD, CA), (STAFF_JD, ""), (MANAGER, JD), (MANAGER, "")):
        with pytest.raises(PermissionDenied):
            act(user, svc.create_event, **{**VALUES, "county_code": county})
    city = act(ADMIN_USER, svc.create_event, **{**VALUES, "county_code": "", "title": "全市劳模宣讲"})
    ca = event("千岛湖研学", CA)
    jd = event("建德研学", JD)
    before = sql("SELECT * FROM events_event ORDER BY id")
    # 淳安县's event does not exist for staff_jd; the city's they see but cannot change
    for fn, args, kwargs in ((svc.update_event, (ca,), {"title": "改名"}),
                             (svc.set_status, (ca, "取消", "下雨"), {}),
                             (photos.add_photo, (ca, "a.png", PNG), {})):
        with pytest.raises(EventError, match=NOT_FOUND):
            act(STAFF_JD, fn, *args, **kwargs)
    for fn, args, kwargs in ((svc.update_event, (city,), {"title": "改名"}),
                             (svc.set_status, (city, "取消", "下雨"), {}),
                             (photos.add_photo, (city, "a.png", PNG), {})):
        with pytest.raises(PermissionDenied):
            act(STAFF_JD, fn, *args, **kwargs)
    # nor move their own event to 淳安县 or the city; a manager changes nothing
    with pytest.raises(PermissionDenied):
        act(STAFF_JD, svc.update_event, jd, county_code=CA)
    with pytest.raises(PermissionDenied):
        act(STAFF_JD, svc.update_event, jd, county_code="")
    with pytest.raises(PermissionDenied):
        act(MANAGER, svc.update_event, jd, title="改名")
    assert sql("SELECT * FROM events_event ORDER BY id") == before
    assert one("SELECT COUNT(*) FROM events_photo") == 0
    # staff see the city's events and their own, not the other county's
    with read_session() as session:
        rows, total = svc.list_events(session, STAFF_JD, svc.EventFilter())
    assert {r.title for r in rows} == {"全市劳模宣讲", "建德研学"} and total == 2


def test_update_checks_the_kind_for_the_county_and_refuses_a_duplicate(events_alone):
    a = event("甲活动", starts=dt.datetime(2026, 7, 1, 9))
    event("乙活动", starts=dt.datetime(2026, 7, 1, 14))
    with pytest.raises(EventError, match="的“乙活动”已登记，不能重复登记"):
        act(STAFF_JD, svc.update_event, a, title="乙活动")
    with pytest.raises(EventError, match="不能在此修改：状态"):
        act(STAFF_JD, svc.update_event, a, status="已举办")
    act(STAFF_JD, svc.update_event, a, title="丙活动", place="寿昌镇文化礼堂", capacity=None)
    assert sql("SELECT title, place, capacity FROM events_event WHERE id = :i", i=a) == [
        ("丙活动", "寿昌镇文化礼堂", None)]
    # a county's own kind is for that county's events alone
    with session_scope(ADMIN) as s:
        s.execute(text("INSERT INTO events_kind (name, category, plan_line, county_code, position, active) "
                       "VALUES ('淳安茶艺课', '培训', '淳安茶艺课', :c, 1, :t)"), {"c": CA, "t": True})
    with pytest.raises(EventError, match="建德市的活动不能使用类型“淳安茶艺课”"):
        act(STAFF_JD, svc.update_event, a, kind="淳安茶艺课")
    ca = act(STAFF_CA, svc.create_event, **{**VALUES, "county_code": CA, "kind": "淳安茶艺课"})
    with pytest.raises(EventError, match="全市的活动不能使用类型"):
        act(ADMIN_USER, svc.update_event, ca, county_code="")


def test_status_rules(events_alone):
    future = event("未来的活动", starts=dt.datetime(2026, 7, 1, 9))
    past = event("过去的活动", starts=dt.datetime(2026, 6, 1, 9))
    with pytest.raises(EventError, match="活动尚未开始，不能标为已举办"):
        act(STAFF_JD, svc.set_status, future, "已举办")
    with pytest.raises(EventError, match="请填写取消原因"):
        act(STAFF_JD, svc.set_status, future, "取消", "  ")
    act(STAFF_JD, svc.set_status, future, "取消", "场地检修")
    assert sql("SELECT status, status_reason FROM events_event WHERE id = :i", i=future) == [("取消", "场地检修")]
    with pytest.raises(EventError, match="已取消的活动不能标为已举办"):
        act(STAFF_JD, svc.set_status, future, "已举办")
    with pytest.raises(EventError, match="已是“取消”"):
        act(STAFF_JD, svc.set_status, future, "取消", "再次")
    act(STAFF_JD, svc.set_status, future, "计划")
    act(STAFF_JD, svc.set_status, past, "已举办")
    with pytest.raises(EventError, match="已举办的活动不能改到以后的时间"):
        act(STAFF_JD, svc.update_event, past, starts_at=dt.datetime(2026, 8, 1, 9),
            ends_at=dt.datetime(2026, 8, 1, 12))
    # someone present: it took place and cannot be cancelled
    with session_scope(ADMIN) as s:
        from plugins.events.models import Event

        invite(s, s.get(Event, past), (None, "王建国", JD), attendance="出席")
    with pytest.raises(EventError, match="已有 1 人签到出席"):
        act(STAFF_JD, svc.set_status, past, "取消", "写错了")
    assert one("SELECT COUNT(*) FROM core_audit_log WHERE table_name = 'events_event' AND action = 'update'") == 3


def test_mark_held_if_started_changes_a_started_planned_event_once(events_alone):
    from plugins.events.models import Event

    started, later = event("已开始", starts=dt.datetime(2026, 6, 15, 9)), event("明天", starts=dt.datetime(2026, 6, 16, 9))
    with session_scope(STAFF_JD.actor) as s:
        assert svc.mark_held_if_started(s, STAFF_JD, s.get(Event, started)) is True
        assert svc.mark_held_if_started(s, STAFF_JD, s.get(Event, started)) is False
        assert svc.mark_held_if_started(s, STAFF_JD, s.get(Event, later)) is False
        with pytest.raises(PermissionDenied):
            svc.mark_held_if_started(s, STAFF_CA, s.get(Event, later))
    assert sql("SELECT title, status FROM events_event ORDER BY id") == [("已开始", "已举办"), ("明天", "计划")]


# --- photos -------------------------------------------------------------------------------------

def test_photos_are_checked_limited_and_removed_in_scope(events_alone, monkeypatch):
    eid = event()
    pid = act(STAFF_JD, photos.add_photo, eid, "C:\\照片\\合影.PNG", PNG)
    assert sql("SELECT filename, size, uploaded_by FROM events_photo") == [("合影.PNG", len(PNG), "staff_jd")]
    for name, data, message in (("a.gif", PNG, "jpg 或 png"), ("a.jpg", b"", "是空的"),
                                ("a.jpg", PNG, "不是 jpg 或 png"),
                                ("a.jpg", b"\xff\xd8\xff" + b"\0" * photos.MAX_BYTES, "不能超过 5 MB")):
        with pytest.raises(EventError, match=message):
            act(STAFF_JD, photos.add_photo, eid, name, data)
    monkeypatch.setattr(photos, "MAX_PHOTOS", 2)
    act(STAFF_JD, photos.add_photo, eid, "b.jpg", JPG)
    with pytest.raises(EventError, match="最多保存 2 张"):
        act(STAFF_JD, photos.add_photo, eid, "c.jpg", JPG)
    with read_session() as s:
        assert photos.photo_bytes(s, MANAGER, pid) == PNG
        assert [p.filename for p in photos.photos_of(s, eid)] == ["合影.PNG", "b.jpg"]
        with pytest.raises(EventError, match=NOT_FOUND):
            photos.photo_bytes(s, STAFF_CA, pid)
    with pytest.raises(EventError, match=NOT_FOUND):
        act(STAFF_CA, photos.remove_photo, pid)
    assert act(STAFF_JD, photos.remove_photo, pid) == "合影.PNG"
    assert one("SELECT COUNT(*) FROM events_photo") == 1
    assert sql("SELECT action, summary FROM core_audit_log WHERE table_name = 'events_photo' ORDER BY id")[-1] == (
        "delete", "删除活动照片：合影.PNG（测试活动）")


# --- the list ------------------------------------------------------------------------------------

def test_filters_are_read_from_query_params_and_written_back():
    params = {"county": "淳安", "kind": "素质提升班", "series": "926工匠日 2026", "status": "已举办",
              "month": "2026-09", "q": "  工匠  "}
    flt = svc.filter_from_params(params, ADMIN_USER)
    assert flt == svc.EventFilter(counties=(CA,), kind="素质提升班", series="926工匠日 2026", status="已举办",
                                  start=dt.datetime(2026, 9, 1), end=dt.datetime(2026, 10, 1), text="工匠")
    assert svc.params_of(flt) == {**params, "county": CA, "q": "工匠"}
    assert svc.filter_from_params(params, STAFF_JD).counties is None  # not 淳安: what they see
    assert svc.filter_from_params({"county": "city"}, STAFF_JD).counties == ("",)
    assert svc.params_of(svc.filter_from_params({"county": "city", "month": "2026-12"})) == {
        "county": "city", "month": "2026-12"}
    junk = svc.filter_from_params({"status": "x", "month": "2026-13", "county": "火星"}, MANAGER)
    assert junk == svc.EventFilter() and svc.params_of(junk) == {}


ORACLE = """
SELECT e.id, e.title, e.county_code,
       (SELECT COUNT(*) FROM events_participant p WHERE p.event_id = e.id) AS invited,
       (SELECT COUNT(*) FROM events_participant p WHERE p.event_id = e.id AND p.attendance = '出席') AS present
FROM events_event e WHERE {where} ORDER BY e.starts_at, e.id
"""


def fill_many() -> None:
    """130 events over 2026 in 建德市, 淳安县 and the city, some with people."""
    kinds = ("素质提升班", "技术培训", "劳动教育")
    with session_scope(ADMIN) as s:
        for i in range(130):
            county = (JD, CA, "")[i % 3]
            e = make_event(s, title=f"活动{i:03d}", county=county, kind=kinds[i % 4 % 3],
                           starts=dt.datetime(2026, 1 + i % 11, 1 + i % 28, 9), status=("计划", "已举办")[i % 2],
                           series="926工匠日 2026" if i % 10 == 0 else None)
            if i % 5 == 0:
                invite(s, e, (None, "甲", county), (None, "乙", county), attendance="出席")
                invite(s, e, (None, "丙", county))


def check_list(user, flt: svc.EventFilter, where: str, **params) -> int:
    want = [tuple(r) for r in sql(ORACLE.format(where=where), **params)]
    with read_session() as session:
        rows, total = svc.list_events(session, user, flt, 0, 1000)
        page2, total2 = svc.list_events(session, user, flt, 50, 50)
    assert [(r.id, r.title, r.county_code, r.invited, r.present) for r in rows] == want
    assert total == total2 == len(want)
    assert [r.id for r in page2] == [w[0] for w in want[50:100]]
    return total


def test_the_list_pages_and_totals_match_plain_sql(events_alone):
    fill_many()
    F = svc.EventFilter
    assert check_list(ADMIN_USER, F(), "1 = 1") == 130
    assert check_list(STAFF_JD, F(), "e.county_code IN (:c, '')", c=JD) == 87
    assert check_list(STAFF_CA, F(counties=("",)), "e.county_code = ''") == 43
    assert check_list(ADMIN_USER, F(counties=(CA,), kind="技术培训"), "e.county_code = :c AND e.kind = '技术培训'",
                      c=CA) > 0
    assert check_list(MANAGER, F(status="已举办", series="926工匠日 2026"),
                      "e.status = '已举办' AND e.series = '926工匠日 2026'") >= 0
    start, end = svc.month_bounds(2026, 5)
    assert check_list(STAFF_JD, F(start=start, end=end), "e.county_code IN (:c, '') AND e.starts_at >= :s "
                      "AND e.starts_at < :e", c=JD, s=start, e=end) > 0
    assert check_list(ADMIN_USER, F(text="活动01"), "e.title LIKE '%活动01%'") == 10
    with read_session() as session:
        month = svc.month_counts(session, STAFF_JD, 2026, 5, F(kind="素质提升班"))
        names = svc.series_names(session, STAFF_CA)
    days: dict[int, int] = {}
    for (starts,) in sql("SELECT starts_at FROM events_event WHERE county_code IN (:c, '') AND kind = '素质提升班' "
                         "AND starts_at >= :s AND starts_at < :e", c=JD, s=start, e=end):
        day = (starts if isinstance(starts, dt.datetime) else dt.datetime.fromisoformat(starts)).day
        days[day] = days.get(day, 0) + 1
    assert month == days and days
    assert names == ["926工匠日 2026"]


def test_the_list_pages_and_totals_match_plain_sql_on_postgresql(pg_roster):
    test_the_list_pages_and_totals_match_plain_sql(pg_roster)
