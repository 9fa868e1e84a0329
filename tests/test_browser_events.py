"""The events in Chromium at a phone's width (390×844), as county staff run a class: create a
素质提升班 on 日程, invite every living 省级 honouree of their county from a roster search,
take attendance at the door with the big buttons, and the overview's 年度计划进度 moves."""

from __future__ import annotations

import datetime as dt
import os
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from tests.helpers import PASSWORD
from tests.test_browser import CHROMIUM, browser, choose, running_server, settled, sign_in, wait_for  # noqa: F401

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="Debian's chromium is not installed (.ci/run installs it)")
PHONE = {"width": 390, "height": 844}
PLAN_TILE = "年度计划进度"
TITLE = "新安江畔工匠素质提升班"


@pytest.fixture(scope="module")
def events_server(tmp_path_factory, roster_template):
    with running_server(tmp_path_factory.mktemp("events-browser"), roster_template, "", "workshops") as found:
        yield found


def _sql(db, query: str, **params):
    with create_engine(f"sqlite:///{db}").connect() as conn:
        return conn.execute(text(query), params).all()


def _tile_value(page, url: str | None = None) -> int:
    if url is not None:
        page.goto(f"{url}/core-overview")
    tile = page.get_by_test_id("stColumn").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(PLAN_TILE, exact=True))
    wait_for(page, tile.get_by_test_id("stMetricValue"))
    settled(page)
    return int(tile.get_by_test_id("stMetricValue").inner_text().replace(",", ""))


def _fill(page, label: str, value: str) -> None:
    box = page.get_by_role("textbox", name=label, exact=True)
    box.fill(value)
    box.press("Tab")


def test_staff_create_a_class_invite_from_the_roster_take_attendance_and_the_plan_moves(events_server,
                                                                                        browser):  # noqa: F811
    url, db = events_server
    now = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    # under way now, whatever the hour: started (attendance may be taken), not over (invitations)
    first_day = now.date() if now.hour >= 7 else now.date() - dt.timedelta(days=1)
    last_day = now.date() + dt.timedelta(days=1)
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{url}/core-overview")
    sign_in(page, "staff_jd", PASSWORD)
    before = _tile_value(page)  # (signed in on the overview: the cookie is set as it draws)

    page.goto(f"{url}/events-calendar")
    wait_for(page, page.get_by_role("heading", name="日程"))
    settled(page)
    page.get_by_text("新建活动", exact=True).click()
    _fill(page, "活动名称", TITLE)
    choose(page, "类型", "素质提升班")
    _fill(page, "主办单位", "建德市总工会")
    _fill(page, "地点", "建德市职工服务中心")
    _fill(page, "日期", first_day.isoformat())
    choose(page, "开始", "06:00")
    choose(page, "结束", "22:00")
    _fill(page, "结束日期（跨天的活动填写）", last_day.isoformat())
    settled(page)
    page.get_by_role("button", name="登记").click()
    wait_for(page, page.get_by_text(re.compile(f"已登记活动“{TITLE}”")))
    (event_id, status), = _sql(db, "SELECT id, status FROM events_event WHERE title = :t AND county_code = '330182'",
                               t=TITLE)
    assert status == "计划"
    page.get_by_role("link", name="打开刚登记的活动").click()
    wait_for(page, page.get_by_role("heading", name=TITLE))
    settled(page)

    # every living 省级 honouree of 建德市, counted by the roster's tables themselves
    wanted = {row.id for row in _sql(db, "SELECT p.id FROM registry_person p WHERE p.county_code = '330182' "
                                         "AND p.status != '去世' AND EXISTS (SELECT 1 FROM registry_honour h "
                                         "WHERE h.person_id = p.id AND h.level = '省级')")}
    assert wanted
    page.get_by_text("按名册条件批量邀请", exact=True).click()
    choose(page, "荣誉级别", "省级")
    wait_for(page, page.get_by_text(f"将邀请 {len(wanted)} 人", exact=False))
    page.get_by_role("button", name="全部邀请").click()
    wait_for(page, page.get_by_text(f"已邀请 {len(wanted)} 人"))
    invited = {row.person_id for row in _sql(db, "SELECT person_id FROM events_participant WHERE event_id = :e",
                                             e=event_id)}
    assert invited == wanted

    page.goto(f"{url}/events-attendance?event={event_id}")
    wait_for(page, page.get_by_text(f"共 {len(wanted)} 人，点姓名即为出席"))
    settled(page)
    waiting = page.get_by_role("button", name=re.compile("未签到$"))
    first_name = waiting.first.inner_text().split()[1]
    for _ in range(2):  # the first two at the door, one big button each
        waiting.first.click()
        settled(page)
    present = _sql(db, "SELECT name FROM events_participant WHERE event_id = :e AND attendance = '出席'", e=event_id)
    assert len(present) == 2 and first_name in {name for (name,) in present}
    assert page.get_by_role("button", name=re.compile("未签到$")).count() == min(len(wanted), 50) - 2
    assert _sql(db, "SELECT status FROM events_event WHERE id = :e", e=event_id) == [("已举办",)]
    # nothing on the phone is wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    assert _tile_value(page, url) == before + 1
    context.close()
