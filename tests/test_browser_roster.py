"""The roster in Chromium: staff submit a death, a reviewer approves it, everyone sees 去世."""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import create_engine, text

from tests.helpers import PASSWORD
from tests.test_browser import (  # noqa: F401
    CHROMIUM,
    browser,
    choose,
    running_server,
    settled,
    sign_in,
    wait_for,
)

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="Debian's chromium is not installed (.ci/run installs it)")


@pytest.fixture(scope="module")
def roster_server(tmp_path_factory, roster_template):
    with running_server(tmp_path_factory.mktemp("roster-browser"), roster_template, "", "") as found:
        yield found


def metric(page, title: str) -> int:
    tile = page.get_by_test_id("stMetric").filter(has_text=title).first
    return int(tile.get_by_test_id("stMetricValue").inner_text().replace(",", ""))


def test_staff_submit_a_death_a_reviewer_approves_and_the_counts_follow(roster_server, browser):  # noqa: F811
    url, db = roster_server
    with create_engine(f"sqlite:///{db}").connect() as conn:
        number, name = conn.execute(text("SELECT id_number, name FROM registry_person WHERE county_code='330182' "
                                         "AND status='在职' ORDER BY id LIMIT 1")).one()

    staff = browser.new_page()
    staff.goto(f"{url}/core-overview")  # staff start on 工作台; the figures are on 总览
    sign_in(staff, "staff_jd", PASSWORD)
    wait_for(staff, staff.get_by_text("在册劳模工匠"))
    settled(staff)
    before = metric(staff, "在册劳模工匠")

    staff.goto(f"{url}/registry-submit")
    settled(staff)
    staff.get_by_text("去世", exact=True).click()
    settled(staff)
    staff.get_by_role("textbox", name="查找人员").fill(number)
    staff.get_by_role("textbox", name="查找人员").press("Enter")
    settled(staff)
    wait_for(staff, staff.get_by_text("去世日期"))
    # dates are typed as the spreadsheets write them (core.ui.dates)
    staff.get_by_role("textbox", name="去世日期").fill("2026年11月1日")
    staff.get_by_role("textbox", name="变动理由").fill("家属告知，附死亡证明")
    staff.get_by_role("button", name="提交").click()
    wait_for(staff, staff.get_by_text("已提交去世申请"))
    request_id = re.search(r"编号 (\d+)", staff.get_by_text("已提交去世申请").inner_text())[1]

    reviewer = browser.new_page()
    reviewer.goto(f"{url}/registry-review")
    sign_in(reviewer, "reviewer", PASSWORD)
    wait_for(reviewer, reviewer.get_by_role("heading", name="审核队列"))
    settled(reviewer)
    choose(reviewer, "审核申请", f"编号 {request_id} · 去世 · {name} · 建德市")  # filtered by typing
    reviewer.get_by_role("button", name="通过", exact=True).click()
    wait_for(reviewer, reviewer.get_by_text("已通过 1 件。"))

    staff.goto(f"{url}/registry-people")
    settled(staff)
    staff.get_by_role("textbox", name="搜索").fill(number)
    staff.get_by_role("textbox", name="搜索").press("Enter")
    settled(staff)
    wait_for(staff, staff.get_by_text("没有找到符合条件的人员。"))  # deceased: out of default search
    staff.goto(f"{url}/core-overview")
    wait_for(staff, staff.get_by_text("在册劳模工匠"))
    settled(staff)
    assert metric(staff, "在册劳模工匠") == before - 1
    with create_engine(f"sqlite:///{db}").connect() as conn:
        assert conn.execute(text("SELECT status FROM registry_person WHERE id_number=:n"),
                            {"n": number}).scalar() == "去世"
