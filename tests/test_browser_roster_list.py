"""The 人员名册 list in Chromium: a page's rows all shown without a scroll box of their own,
every column within a laptop's screen, and a click on a row opens that person."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from tests.helpers import PASSWORD
from tests.test_browser import (  # noqa: F401
    CHROMIUM,
    browser,
    running_server,
    settled,
    sign_in,
    wait_for,
)

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="Debian's chromium is not installed (.ci/run installs it)")

LAPTOP = {"width": 1366, "height": 768}
ROW = 35  # plugins.registry.pages.ROW_HEIGHT


@pytest.fixture(scope="module")
def list_server(tmp_path_factory, roster_template):
    with running_server(tmp_path_factory.mktemp("roster-list"), roster_template, "", "") as found:
        yield found


def test_a_page_of_people_shows_whole_and_a_click_on_a_row_opens_the_person(list_server, browser):  # noqa: F811
    url, db = list_server
    page = browser.new_page(viewport=LAPTOP)
    page.goto(f"{url}/registry-people")
    sign_in(page, "admin", PASSWORD)
    wait_for(page, page.get_by_test_id("stDataFrame"))
    settled(page)
    grid = page.get_by_test_id("stDataFrame")
    box = grid.bounding_box()
    assert box["height"] >= 51 * ROW  # the header and 50 rows, not a ten-row box
    # nothing hidden behind a scroll bar of its own: the grid's scroller holds all it shows
    scroller = grid.locator(".dvn-scroller").first
    sizes = scroller.evaluate("e => [e.scrollHeight, e.clientHeight, e.scrollWidth, e.clientWidth]")
    assert sizes[0] <= sizes[1] + 2, sizes  # no inner vertical scroll
    assert sizes[2] <= sizes[3] + 2, sizes  # every column fits the width

    with create_engine(f"sqlite:///{db}").connect() as conn:
        third = conn.execute(text("SELECT id, name FROM registry_person WHERE status != '去世' "
                                  "ORDER BY name, id LIMIT 1 OFFSET 2")).one()
    # click the third row's 姓名 cell, the table's top scrolled to the top of the window
    grid.evaluate("e => e.scrollIntoView({block: 'start'})")
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 70, box["y"] + ROW * 3 + ROW / 2)
    wait_for(page, page.get_by_role("heading", name="人员详情"))
    settled(page)
    assert f"person={third.id}" in page.url
    assert page.get_by_test_id("stHeadingWithActionElements").filter(has_text=third.name).count() >= 1
