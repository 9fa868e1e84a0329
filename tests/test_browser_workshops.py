"""The studios in Chromium: county staff score a studio's yearly review against the construction
standard, see the total and grade as they type, submit it, and the overview's grade tile counts
one more review. At a phone's width, as a review is often scored on site."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from sqlalchemy import create_engine, text

from tests.helpers import PASSWORD
from tests.test_browser import CHROMIUM, browser, running_server, settled, sign_in, wait_for  # noqa: F401

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="Debian's chromium is not installed (.ci/run installs it)")
PHONE = {"width": 390, "height": 844}
GRADE_TILE = "年度评审等次"


@pytest.fixture(scope="module")
def studios_server(tmp_path_factory, roster_template):
    with running_server(tmp_path_factory.mktemp("studios-browser"), roster_template, "", "") as found:
        yield found


def _due_studio_and_criteria(db):
    """A 建德 studio due for this year's review, and the criteria of the standard it is scored
    against (建德's own for this year, else the city's), read from the database."""
    year = dt.date.today().year
    with create_engine(f"sqlite:///{db}").connect() as conn:
        studio_id, name = conn.execute(text(
            "SELECT id, name FROM workshops_studio s WHERE county_code = '330182' AND status = '运行' "
            "AND named_year <= :y AND NOT EXISTS (SELECT 1 FROM workshops_review r "
            "WHERE r.studio_id = s.id AND r.year = :y) ORDER BY county_code, name LIMIT 1"), {"y": year}).one()
        standard = conn.execute(text(
            "SELECT id FROM workshops_standard WHERE year = :y AND county_code IN ('330182', '') "
            "ORDER BY county_code DESC LIMIT 1"), {"y": year}).scalar_one()
        criteria = conn.execute(text(
            "SELECT title, weight FROM workshops_criterion WHERE standard_id = :s "
            "ORDER BY part_order, position"), {"s": standard}).all()
        reviewed = conn.execute(text("SELECT count(*) FROM workshops_review WHERE year = :y "
                                     "AND county_code = '330182'"), {"y": year}).scalar_one()
    return studio_id, name, criteria, reviewed


def _grade_tile_value(page, url: str | None = None) -> int:
    if url is not None:
        page.goto(f"{url}/core-overview")
    tile = page.get_by_test_id("stColumn").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(GRADE_TILE, exact=True))
    wait_for(page, tile.get_by_test_id("stMetricValue"))
    settled(page)
    return int(tile.get_by_test_id("stMetricValue").inner_text().replace(",", ""))


def test_county_staff_score_a_review_on_a_phone_and_the_overviews_grade_tile_moves(studios_server,
                                                                                   browser):  # noqa: F811
    url, db = studios_server
    studio_id, name, criteria, reviewed = _due_studio_and_criteria(db)
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{url}/core-overview")
    sign_in(page, "staff_jd", PASSWORD)
    before = _grade_tile_value(page)  # (signed in on the overview: the cookie is set as it draws)
    assert before == reviewed  # staff of 建德 count 建德's reviews of this year

    page.goto(f"{url}/workshops-review?studio={studio_id}")
    wait_for(page, page.get_by_role("heading", name="年度评审"))
    settled(page)
    # every criterion but the last at full marks, the last at half: the grade follows the total
    for title, weight in criteria[:-1]:
        box = page.get_by_role("spinbutton", name=title, exact=True)
        box.fill(f"{weight:g}")
        box.press("Tab")
        settled(page)
    last_title, last_weight = criteria[-1]
    box = page.get_by_role("spinbutton", name=last_title, exact=True)
    box.fill(f"{last_weight / 2:g}")
    box.press("Tab")
    settled(page)
    total = sum(w for _, w in criteria) - last_weight / 2
    full = sum(w for _, w in criteria)
    grade = "优秀" if total >= 90 else "良好" if total >= 80 else "合格" if total >= 60 else "不合格"
    wait_for(page, page.get_by_text(f"总分 {total:.1f} / {full:g}，等次：{grade}"))

    # the reviewer's note: the hint under the field while typing is Chinese too
    note = page.get_by_role("textbox", name="评审意见")
    note.press_sequentially("台账齐全")
    hint = page.get_by_test_id("InputInstructions")
    wait_for(page, hint)
    page.wait_for_function("() => document.querySelector('[data-testid=InputInstructions]')"
                           ".innerText.includes('回车键确认')", polling=50, timeout=10_000)
    assert "Press" not in hint.inner_text() and "4/1000" in hint.inner_text()
    note.press("Tab")
    settled(page)

    page.get_by_role("button", name="提交评审").click()
    done = page.get_by_text(re.compile(f"已提交 {re.escape(name)} \\d{{4}} 年度评审"))
    wait_for(page, done)
    assert f"等次：{grade}" in done.inner_text()
    with create_engine(f"sqlite:///{db}").connect() as conn:
        assert conn.execute(text("SELECT note, grade FROM workshops_review WHERE studio_id = :s AND year = :y"),
                            {"s": studio_id, "y": dt.date.today().year}).one() == ("台账齐全", grade)
    settled(page)
    # the form is cleared: the studio is no longer offered, and no score is left typed in
    assert page.get_by_role("spinbutton", name=criteria[0][0], exact=True).count() == 0

    assert _grade_tile_value(page, url) == before + 1
    # nothing on the phone is wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()


def test_after_saving_on_a_studios_page_the_next_section_opened_stays_open(studios_server, browser):  # noqa: F811
    """Once a save's message has been shown, opening 添加成员 and searching keeps it open: the
    message used to shift the page and the section closed at its first rerun."""
    url, db = studios_server
    with create_engine(f"sqlite:///{db}").connect() as conn:
        studio_id = conn.execute(text("SELECT id FROM workshops_studio WHERE county_code = '330182' "
                                      "AND status = '运行' ORDER BY name DESC LIMIT 1")).scalar_one()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/workshops-list?studio={studio_id}")
    sign_in(page, "staff_jd", PASSWORD)
    wait_for(page, page.get_by_role("heading", name="工作室详情"))
    settled(page)
    page.get_by_text("补助资金", exact=True).last.click()
    page.get_by_role("spinbutton", name="金额（万元）").fill("12.5")
    page.get_by_role("button", name="保存补助资金").click()
    wait_for(page, page.get_by_text(re.compile(r"补助资金 12\.50 万元")))
    settled(page)

    section = page.get_by_test_id("stExpander").filter(has=page.get_by_text("添加成员", exact=True))
    section.get_by_text("添加成员", exact=True).click()
    search = section.get_by_role("textbox", name="成员")
    wait_for(page, search)
    search.fill("王")
    search.press("Enter")
    settled(page)
    assert section.locator("details").get_attribute("open") is not None
    assert search.is_visible()


def test_back_to_the_studios_list_shows_the_search_as_it_was(studios_server, browser):  # noqa: F811
    """← 返回工作室一览 and the browser's back bring the search box and the list back together:
    the same row opens the same studio as before (not a row of the unfiltered list)."""
    url, db = studios_server
    with create_engine(f"sqlite:///{db}").connect() as conn:
        word, = conn.execute(text(  # a piece of a name that several studios share
            "SELECT substr(name, 1, 2) AS w FROM workshops_studio GROUP BY w "
            "HAVING count(*) BETWEEN 3 AND 40 ORDER BY count(*) DESC LIMIT 1")).one()
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{url}/workshops-list")
    sign_in(page, "admin", PASSWORD)
    box = page.get_by_role("textbox", name="搜索")
    wait_for(page, box)
    box.fill(word)
    box.press("Enter")
    wait_for(page, page.get_by_text(re.compile(r"共 \d+ 家")))
    settled(page)

    def open_row(n: int) -> str:
        grid = page.get_by_test_id("stDataFrame").first
        grid.evaluate("e => e.scrollIntoView({block: 'start'})")
        at = grid.bounding_box()
        page.mouse.click(at["x"] + 70, at["y"] + 35 * n + 35 / 2)
        page.wait_for_url(re.compile(r"studio=\d+"))
        settled(page)
        return re.search(r"studio=(\d+)", page.url)[1]

    second = open_row(2)
    page.get_by_role("button", name="← 返回工作室一览").click()
    wait_for(page, page.get_by_text(re.compile(r"共 \d+ 家")))
    settled(page)
    assert page.get_by_role("textbox", name="搜索").input_value() == word
    assert open_row(2) == second
    page.go_back()
    wait_for(page, page.get_by_text(re.compile(r"共 \d+ 家")))
    settled(page)
    assert page.get_by_role("textbox", name="搜索").input_value() == word
    assert open_row(2) == second
