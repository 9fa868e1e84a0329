"""日程 under AppTest, per role: the events each role sees (county scope), the filters read from
the link and written back, the month calendar, "共 N 场" and the pages against plain SQL, and
the 新建活动 form (clears after submit, refuses a duplicate). Clock frozen at 15 June 2026."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from core.data.db import read_session, session_scope
from core.settings import clock
from plugins.events.pages_calendar import month_grid_html
from tests.events_data import ADMIN, invite, make_event
from tests.helpers import signed_in_app, texts

JD, CA = "330182", "330127"
NOW = dt.datetime(2026, 6, 15, 12)
PAGE = "events-calendar"


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "_utc_now", lambda: (NOW - dt.timedelta(hours=8)).replace(tzinfo=dt.UTC))


def sql(query: str, **params):
    with read_session() as session:
        return session.execute(text(query), params).all()


def one(query: str, **params):
    return sql(query, **params)[0][0]


def shown_count(at) -> int:
    counts = [m.value for m in at.markdown if m.value.startswith("**共 ")]
    assert len(counts) == 1, texts(at)
    return int(counts[0].removeprefix("**共 ").removesuffix(" 场**"))


def titles(at) -> list[str]:
    """The events the list links to, by title (the link's label names it first, in bold)."""
    return [link.label.split("**")[1].replace("\\", "") for link in at.get("page_link")
            if "**" in link.label]


def few_events() -> dict[str, int]:
    with session_scope(ADMIN) as s:
        ids = {"jd": make_event(s, title="建德素质提升班", county=JD, starts=dt.datetime(2026, 6, 8, 9)).id,
               "ca": make_event(s, title="千岛湖劳动教育", county=CA, kind="劳动教育",
                                starts=dt.datetime(2026, 6, 20, 9)).id,
               "city": make_event(s, title="全市工匠宣讲", county="", kind="事迹宣讲",
                                  starts=dt.datetime(2026, 6, 26, 14), series="926工匠日 2026").id,
               "july": make_event(s, title="七月技术培训", county=JD, kind="技术培训",
                                  starts=dt.datetime(2026, 7, 3, 9)).id}
    return ids


ROLES = (("admin", {"建德素质提升班", "千岛湖劳动教育", "全市工匠宣讲"}, True),
         ("manager", {"建德素质提升班", "千岛湖劳动教育", "全市工匠宣讲"}, False),
         ("reviewer", {"建德素质提升班", "千岛湖劳动教育", "全市工匠宣讲"}, False),
         ("staff_jd", {"建德素质提升班", "全市工匠宣讲"}, True),
         ("staff_ca", {"千岛湖劳动教育", "全市工匠宣讲"}, True))


def test_each_role_sees_this_months_events_in_its_scope_and_editors_may_create(events_alone):
    few_events()
    for username, seen, editor in ROLES:
        at = signed_in_app(username, page=PAGE)
        assert not at.exception, username
        assert shown_count(at) == len(seen), username
        assert set(titles(at)) == seen, username
        assert ("新建活动" in [e.label for e in at.expander]) == editor, username
        assert "2026年6月" in texts(at) and f"本月 {len(seen)} 场" in texts(at), username
        shown = texts(at)
        for title in {"建德素质提升班", "千岛湖劳动教育"} - seen:  # the other county's, nowhere
            assert title not in shown, username


def test_the_calendar_grid_counts_each_day_and_fits_a_phone():
    html = month_grid_html(2026, 6, {8: 1, 26: 3}, dt.date(2026, 6, 15))
    assert html.count("<tr>") == 1 + 5  # the weekday row and five weeks (June 2026 starts on a Monday)
    assert "<div class='jx-d'>8</div><div class='jx-n'>1 场</div>" in html
    assert "<div class='jx-d'>26</div><div class='jx-n'>3 场</div>" in html
    assert "class='jx-today'><div class='jx-d'>15</div>" in html
    assert "table-layout:fixed" in html and "width:100%" in html  # seven equal columns, the screen's width


def test_filters_are_read_from_the_link_and_written_back(events_alone):
    few_events()
    at = signed_in_app("admin", page=PAGE, query={"county": "city", "series": "926工匠日 2026"})
    assert at.selectbox(key="evc_county").value == "city"
    assert at.selectbox(key="evc_series").value == "926工匠日 2026"
    assert titles(at) == ["全市工匠宣讲"] and shown_count(at) == 1
    at.selectbox(key="evc_county").select("").run()
    at.selectbox(key="evc_series").select("").run()
    at.selectbox(key="evc_kind").select("素质提升班").run()
    assert at.query_params["kind"] == ["素质提升班"] or at.query_params["kind"] == "素质提升班"
    assert "county" not in at.query_params and "series" not in at.query_params
    assert titles(at) == ["建德素质提升班"]
    # the month: next month by the button, written to the link
    at.selectbox(key="evc_kind").select("").run()
    at.button(key="evc_next").click().run()
    assert "2026-07" in str(at.query_params["month"])
    assert titles(at) == ["七月技术培训"]
    # all months, and a text search
    at.selectbox(key="evc_month").select("all").run()
    at.text_input(key="evc_q").input("培训").run()
    assert set(titles(at)) == {"七月技术培训"} and "all" in str(at.query_params["month"])
    # staff asking for another county by link get their own scope, not 淳安县's events
    at = signed_in_app("staff_jd", page=PAGE, query={"county": CA})
    assert at.selectbox(key="evc_county").value == "" and "千岛湖劳动教育" not in texts(at)
    assert set(titles(at)) == {"建德素质提升班", "全市工匠宣讲"}


def test_the_list_counts_and_pages_50_like_plain_sql(events_alone):
    with session_scope(ADMIN) as s:
        for i in range(123):
            e = make_event(s, title=f"培训{i:03d}", county=(JD, CA, "")[i % 3],
                           starts=dt.datetime(2026, 6, 1 + i % 30, 8 + i % 10))
            if i % 7 == 0:
                invite(s, e, (None, "甲", JD), attendance="出席")
    rows = sql("SELECT e.title, (SELECT COUNT(*) FROM events_participant p WHERE p.event_id = e.id) "
               "FROM events_event e WHERE e.county_code IN (:c, '') ORDER BY e.starts_at, e.id", c=JD)
    want = [r[0] for r in rows]
    at = signed_in_app("staff_jd", page=PAGE)
    assert shown_count(at) == len(want) == 82
    assert titles(at) == want[:50]
    # under each title its kind, county and status, and present of invited once people are invited
    attended = [c.value for c in at.caption if "出席 1/1 人" in c.value]
    assert len(attended) == sum(1 for r in rows[:50] if r[1]) > 0
    assert all(c.startswith("素质提升班 · ") for c in attended)
    at.number_input(key="evc_page").set_value(2).run()
    assert titles(at) == want[50:100]


def test_the_new_event_form_clears_and_refuses_a_duplicate(events_alone):
    at = signed_in_app("staff_jd", page=PAGE)
    form = "evc_new_0"
    at.text_input(key=f"{form}_title").input("寿昌镇素质提升班")
    at.text_input(key=f"{form}_organiser").input("建德市总工会")
    at.text_input(key=f"{form}_place").input("寿昌镇文化礼堂")
    at.text_input(key=f"{form}_day").input("2026-07-08")
    at.button(key=f"FormSubmitter:{form}-登记").click().run()
    assert [e.value for e in at.error] == ["请选择类型"] and one("SELECT COUNT(*) FROM events_event") == 0
    at.selectbox(key=f"{form}_kind").set_value("素质提升班")
    at.button(key=f"FormSubmitter:{form}-登记").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["已登记活动“寿昌镇素质提升班”（建德市，2026年7月8日 周三）。"]
    assert at.text_input(key="evc_new_1_title").value == ""  # the form starts empty again
    assert at.selectbox(key="evc_new_1_kind").value is None
    assert sql("SELECT title, kind, county_code, starts_at, ends_at, status, created_by FROM events_event") == [
        ("寿昌镇素质提升班", "素质提升班", JD, "2026-07-08 09:00:00.000000", "2026-07-08 11:30:00.000000", "计划",
         "staff_jd")]
    form = "evc_new_1"
    at.text_input(key=f"{form}_title").input("寿昌镇素质提升班")
    at.text_input(key=f"{form}_organiser").input("建德市总工会")
    at.text_input(key=f"{form}_place").input("寿昌镇文化礼堂")
    at.text_input(key=f"{form}_day").input("2026年7月8日")
    at.selectbox(key=f"{form}_kind").set_value("素质提升班")
    at.button(key=f"FormSubmitter:{form}-登记").click().run()
    assert [e.value for e in at.error] == ["已有同名活动：建德市 2026年7月8日的“寿昌镇素质提升班”已登记，不能重复登记"]
    assert one("SELECT COUNT(*) FROM events_event") == 1


def test_an_admin_chooses_the_county_or_the_city(events_alone):
    at = signed_in_app("admin", page=PAGE)
    form = "evc_new_0"
    assert at.selectbox(key=f"{form}_county").value is None  # unchosen, not 全市 by default
    at.text_input(key=f"{form}_title").input("全市劳模宣讲")
    at.text_input(key=f"{form}_organiser").input("市总工会")
    at.text_input(key=f"{form}_place").input("市工人文化宫")
    at.text_input(key=f"{form}_day").input("2026-09-26")
    at.selectbox(key=f"{form}_kind").set_value("事迹宣讲")
    at.button(key=f"FormSubmitter:{form}-登记").click().run()
    assert [e.value for e in at.error] == ["请选择所属区县"]
    at.selectbox(key=f"{form}_county").set_value("")
    at.button(key=f"FormSubmitter:{form}-登记").click().run()
    assert not at.exception and sql("SELECT title, county_code FROM events_event") == [("全市劳模宣讲", "")]
    # staff_jd see the city's event in their calendar (September)
    at = signed_in_app("staff_jd", page=PAGE, query={"month": "2026-09"})
    assert titles(at) == ["全市劳模宣讲"]


def test_the_links_of_the_tiles_and_to_dos_open_exactly_what_they_count(events_alone):
    """未来30天活动 links ?status=计划&from=&to=, 待签到的活动 ?attendance=未签到: the list holds
    what they count (plain SQL), says so, and 清除 drops the link's conditions."""
    ids = few_events()
    with session_scope(ADMIN) as s:
        ended = make_event(s, title="已结束待签到", county=JD, kind="技术培训", starts=dt.datetime(2026, 6, 10, 9))
        done = make_event(s, title="已结束已签到", county=JD, kind="技术培训", starts=dt.datetime(2026, 6, 11, 9),
                          status="已举办")
        invite(s, ended, (None, "来宾甲", ""), (None, "来宾乙", ""))
        invite(s, done, (None, "来宾丙", ""), attendance="出席")
        invite(s, s.get(type(ended), ids["jd"]), (None, "来宾丁", ""))  # 8 June: ended, not taken
    window = sql("SELECT title FROM events_event WHERE status = '计划' AND starts_at >= '2026-06-15' "
                 "AND starts_at < '2026-07-15' AND county_code IN ('330182', '')")
    at = signed_in_app("staff_jd", page=PAGE, query={"status": "计划", "from": "2026-06-15", "to": "2026-07-14"})
    assert not at.exception
    assert set(titles(at)) == {t for (t,) in window} == {"全市工匠宣讲", "七月技术培训"}
    assert "开始日期 2026-06-15 至 2026-07-14" in texts(at)
    awaiting = sql("SELECT e.title FROM events_event e WHERE e.county_code IN ('330182', '') "
                   "AND e.status != '取消' AND e.ends_at < '2026-06-15 12:00:00' AND EXISTS (SELECT 1 FROM "
                   "events_participant p WHERE p.event_id = e.id AND p.attendance IS NULL)")
    at = signed_in_app("staff_jd", page=PAGE, query={"attendance": "未签到"})
    assert set(titles(at)) == {t for (t,) in awaiting} == {"已结束待签到", "建德素质提升班"}
    assert shown_count(at) == 2 and "已结束、尚有人未签到" in texts(at)
    at.button(key="evc_clear_link").click().run()
    assert "attendance" not in at.query_params and shown_count(at) > 2
