"""Accounts in Debian's Chromium against the real server: the new-account form keeps what was
typed when refused (the browser is what would empty a form), the success message stays, and a
new account's first sign-in by a deep link shows only the form to choose its own password."""

from __future__ import annotations

import os

import pytest

from tests.helpers import CORE_ONLY, PASSWORD, TEST_PLUGINS
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

FIRST, OWN = "chosen-by-admin-1", "only-i-know-it-2"


@pytest.fixture(scope="module")
def server(tmp_path_factory, sqlite_template):
    with running_server(tmp_path_factory.mktemp("accounts"), sqlite_template, str(TEST_PLUGINS),
                        CORE_ONLY) as (url, _db):
        yield url


def box(page, label: str):
    return page.get_by_role("textbox", name=label, exact=True)


def combo(page, label: str):
    return page.get_by_role("combobox", name=label, exact=True)


def test_a_new_account_keeps_its_form_and_then_chooses_its_password(server, browser):  # noqa: F811
    admin = browser.new_page()
    admin.goto(f"{server}/core-users")
    sign_in(admin, "admin", PASSWORD)
    wait_for(admin, admin.get_by_role("heading", name="用户"))
    settled(admin)
    assert combo(admin, "角色").input_value() == ""  # no role until the administrator picks one

    box(admin, "用户名").fill("staff_jd")  # taken
    box(admin, "姓名").fill("富阳新人")
    choose(admin, "角色", "区县工作人员")
    choose(admin, "区县", "富阳区")
    box(admin, "初始密码").fill(FIRST)
    admin.get_by_role("button", name="创建").click()
    wait_for(admin, admin.get_by_text("用户名 staff_jd 已存在"))
    settled(admin)
    assert box(admin, "用户名").input_value() == "staff_jd"
    assert box(admin, "姓名").input_value() == "富阳新人"
    assert combo(admin, "角色").input_value() == "区县工作人员"
    assert combo(admin, "区县").input_value() == "富阳区"

    box(admin, "用户名").fill("staff_fy")
    admin.get_by_role("button", name="创建").click()
    notice = admin.get_by_text("已创建账户 staff_fy，该用户首次登录时须设置自己的密码")
    wait_for(admin, notice)
    settled(admin)
    assert notice.is_visible()  # still there once the rerun is over
    assert box(admin, "用户名").input_value() == ""
    admin.close()

    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server}/jx-testkit-notes")  # a deep link to a page
    sign_in(page, "staff_fy", FIRST)
    wait_for(page, page.get_by_role("heading", name="设置新密码"))
    settled(page)
    assert page.get_by_test_id("stSidebarNav").count() == 0
    assert page.get_by_role("heading", name="测试便签").count() == 0
    box(page, "原密码").fill(FIRST)
    box(page, "新密码").fill(OWN)
    box(page, "再次输入新密码").fill(OWN)
    assert box(page, "原密码").input_value() == FIRST  # typed, not lost to a redraw
    before = page.evaluate("document.cookie")
    page.get_by_role("button", name="保存新密码").click()
    settled(page)
    wait_for(page, page.get_by_role("heading", name="测试便签"))  # the page asked for
    wait_for(page, page.get_by_test_id("stSidebarNav"))
    # the browser writes the new cookie a moment after the page draws (slower with two test
    # workers on two cores): reloading before it is written is a test's haste, not a user's
    page.wait_for_function("([old]) => document.cookie.includes('jiangxin_auth=') && document.cookie !== old",
                           arg=[before], timeout=10_000)
    page.reload()  # the new cookie keeps the session, past the gate
    wait_for(page, page.get_by_role("heading", name="测试便签"))
    context.close()
