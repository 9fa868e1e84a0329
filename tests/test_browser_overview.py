"""The overview in Chromium: 查看明细 opens the roster on the people its tile counts, and the wall
screen pinned to a county."""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qs, urlparse

import pytest

from tests.helpers import PASSWORD
from tests.test_browser import CHROMIUM, browser, running_server, settled, sign_in, wait_for  # noqa: F401

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="Debian's chromium is not installed (.ci/run installs it)")


@pytest.fixture(scope="module")
def roster_server(tmp_path_factory, roster_template):
    with running_server(tmp_path_factory.mktemp("overview-browser"), roster_template, "", "workshops,events") as found:
        yield found[0]


def tile(page, title: str):
    """The column of the tile titled ``title`` (a tile to a column)."""
    return page.get_by_test_id("stColumn").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(title, exact=True))


def test_the_national_tiles_details_link_opens_those_people(roster_server, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(roster_server)
    sign_in(page, "manager", PASSWORD)
    national = tile(page, "全国级荣誉获得者")
    wait_for(page, national.get_by_test_id("stMetricValue"))
    settled(page)
    count = int(national.get_by_test_id("stMetricValue").inner_text().replace(",", ""))
    national.get_by_role("link", name="查看明细").click()
    wait_for(page, page.get_by_role("heading", name="人员名册"))
    settled(page)
    assert parse_qs(urlparse(page.url).query) == {"level": ["全国"]}
    wait_for(page, page.get_by_text(re.compile(r"共 \d+ 人")))
    assert page.get_by_text(re.compile(r"共 \d+ 人")).inner_text() == f"共 {count} 人"


def test_the_wall_screen_pinned_to_a_county_fills_the_width(roster_server, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(f"{roster_server}/?wall=1&county=330182")
    sign_in(page, "manager", PASSWORD)
    wait_for(page, page.get_by_text("总览 · 建德市"))
    wait_for(page, page.get_by_text("上次刷新"))
    settled(page)
    first = tile(page, "在册劳模工匠").bounding_box()
    third = tile(page, "在职人员").bounding_box()
    # three tiles side by side across the screen, the last ending near its right edge
    assert abs(first["y"] - third["y"]) < 2 and third["x"] + third["width"] > 1920 * 0.85


def test_a_charts_toolbar_speaks_chinese(roster_server, browser):  # noqa: F811
    """The tools above a chart (shown on hover) are named in Chinese, as a screen reader says
    them: Streamlit names them in English ("Show data", "Download as PNG", "Fullscreen")."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(roster_server)
    sign_in(page, "manager", PASSWORD)
    chart = page.get_by_test_id("stVegaLiteChart").first
    wait_for(page, chart)
    settled(page)
    chart.hover()
    toolbar = page.get_by_test_id("stElementToolbar").first
    wait_for(page, toolbar.get_by_role("button").first)
    page.wait_for_timeout(300)  # the renaming script runs on the next change of the page
    names = [b.get_attribute("aria-label") or b.inner_text() for b in toolbar.get_by_role("button").all()]
    assert names and "查看数据" in names, names
    assert not [n for n in names if re.search(r"[A-Za-z]{2,}", n or "")], names
