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


def test_back_to_the_list_shows_the_search_as_it_was_and_a_click_opens_that_row(list_server, browser):  # noqa: F811
    """← 返回名册 (and the browser's back) bring the search box, the filters and the list back
    together: a box shown empty over a filtered list made the next click open the person of
    another list's row."""
    url, db = list_server
    with create_engine(f"sqlite:///{db}").connect() as conn:
        fragment, = conn.execute(text(  # a given name some living people share
            "SELECT substr(name, 2) AS g FROM registry_person WHERE status != '去世' AND length(name) = 3 "
            "GROUP BY g HAVING count(*) BETWEEN 3 AND 40 ORDER BY count(*) DESC LIMIT 1")).one()
        found = conn.execute(text("SELECT id, name FROM registry_person WHERE status != '去世' "
                                  "AND name LIKE :f ORDER BY name, id"), {"f": f"%{fragment}%"}).all()
    page = browser.new_page(viewport=LAPTOP)
    page.goto(f"{url}/registry-people")
    sign_in(page, "admin", PASSWORD)
    box = page.get_by_role("textbox", name="搜索")
    wait_for(page, box)
    box.fill(fragment)
    box.press("Enter")
    wait_for(page, page.get_by_text(f"共 {len(found)} 人"))
    settled(page)

    def open_row(n: int) -> None:
        grid = page.get_by_test_id("stDataFrame")
        grid.evaluate("e => e.scrollIntoView({block: 'start'})")
        at = grid.bounding_box()
        page.mouse.click(at["x"] + 70, at["y"] + ROW * n + ROW / 2)
        wait_for(page, page.get_by_role("heading", name="人员详情"))
        settled(page)

    open_row(2)
    assert f"person={found[1].id}" in page.url
    page.get_by_role("button", name="← 返回名册").click()
    wait_for(page, page.get_by_text(f"共 {len(found)} 人"))
    settled(page)
    assert page.get_by_role("textbox", name="搜索").input_value() == fragment
    open_row(3)  # the third row of the list on screen, not of another
    assert f"person={found[2].id}" in page.url

    page.go_back()  # the browser's back: the list again, as it was
    wait_for(page, page.get_by_text(f"共 {len(found)} 人"))
    settled(page)
    assert page.get_by_role("textbox", name="搜索").input_value() == fragment
    open_row(1)
    assert f"person={found[0].id}" in page.url
