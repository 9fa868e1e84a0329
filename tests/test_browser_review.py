"""The review flow in Chromium: a reviewer sends a request back, staff fix it and send it again,
the reviewer approves it, and the submitter's 我的申请 shows the new decision."""

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
def review_server(tmp_path_factory, roster_template):
    with running_server(tmp_path_factory.mktemp("review-browser"), roster_template, "", "") as found:
        yield found


def signed_in(browser, url: str, path: str, username: str):  # noqa: F811
    page = browser.new_page()
    page.goto(f"{url}/{path}")
    sign_in(page, username, PASSWORD)
    settled(page)
    return page


def test_returned_fixed_resubmitted_approved_and_the_submitter_is_told(review_server, browser):  # noqa: F811
    url, db = review_server
    with create_engine(f"sqlite:///{db}").connect() as conn:
        person_id, name, number = conn.execute(text(
            "SELECT id, name, id_number FROM registry_person WHERE county_code='330182' AND status='在职' "
            "AND post <> '首席技师' ORDER BY id LIMIT 1")).one()

    # staff file a correction
    staff = signed_in(browser, url, "registry-submit", "staff_jd")
    wait_for(staff, staff.get_by_role("heading", name="提交变动"))
    staff.get_by_text("信息更正", exact=True).click()
    settled(staff)
    staff.get_by_role("textbox", name="查找人员").fill(number)
    staff.get_by_role("textbox", name="查找人员").press("Enter")
    wait_for(staff, staff.get_by_role("textbox", name="职务/工种"))
    settled(staff)
    staff.get_by_role("textbox", name="职务/工种").fill("首席技师")
    staff.get_by_role("textbox", name="变动理由").fill("职务调整")
    wait_for(staff, staff.get_by_role("button", name="提交", exact=True))
    staff.get_by_role("button", name="提交", exact=True).click()
    wait_for(staff, staff.get_by_text("已提交信息更正申请"))
    rid = re.search(r"编号 (\d+)", staff.get_by_text("已提交信息更正申请").inner_text())[1]

    # the reviewer, seeing whom it is about, sends it back with a note
    reviewer = signed_in(browser, url, "registry-review", "reviewer")
    wait_for(reviewer, reviewer.get_by_role("heading", name="审核队列"))
    choose(reviewer, "审核申请", f"编号 {rid} · 信息更正 · {name} · 建德市")
    reviewer.get_by_role("textbox", name="审核意见（驳回或退回修改时必填，提交人可见）").fill("职务应为特级技师")
    reviewer.get_by_role("button", name="退回修改", exact=True).click()
    wait_for(reviewer, reviewer.get_by_text("已退回修改 1 件。"))

    # staff learn of it on 我的申请, open it filled in, fix it and send it again
    staff.goto(f"{url}/registry-mine")
    wait_for(staff, staff.get_by_text("您有 1 条新的审核结果"))
    choose(staff, "查看申请", f"编号 {rid} · 信息更正 · {name} · 退回修改")
    wait_for(staff, staff.get_by_text("审核意见：职务应为特级技师"))
    staff.get_by_role("button", name="修改后重新提交").click()
    post = staff.get_by_role("textbox", name="职务/工种")
    wait_for(staff, post)
    settled(staff)
    assert post.input_value() == "首席技师"
    post.fill("特级技师")
    staff.get_by_role("button", name="重新提交", exact=True).click()
    wait_for(staff, staff.get_by_text(f"已重新提交信息更正申请（编号 {rid}"))

    # the reviewer approves the same request
    reviewer.goto(f"{url}/registry-review")
    wait_for(reviewer, reviewer.get_by_role("heading", name="审核队列"))
    choose(reviewer, "审核申请", f"编号 {rid} · 信息更正 · {name} · 建德市")
    wait_for(reviewer, reviewer.get_by_text("办理经过"))
    reviewer.get_by_role("button", name="通过", exact=True).click()
    wait_for(reviewer, reviewer.get_by_text("已通过 1 件。"))

    # the submitter's 我的申请 shows the new decision
    staff.goto(f"{url}/registry-mine")
    wait_for(staff, staff.get_by_text("您有 1 条新的审核结果"))
    with create_engine(f"sqlite:///{db}").connect() as conn:
        assert conn.execute(text("SELECT post FROM registry_person WHERE id=:i"), {"i": person_id}).scalar() == "特级技师"
        assert conn.execute(text("SELECT state FROM registry_change WHERE id=:i"), {"i": int(rid)}).scalar() == "已通过"
        assert list(conn.execute(text("SELECT action FROM registry_change_event WHERE request_id=:i ORDER BY id"),
                                 {"i": int(rid)}).scalars()) == ["提交", "退回修改", "重新提交", "通过"]
