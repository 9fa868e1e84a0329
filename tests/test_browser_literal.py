"""Payloads in the roster's data, in Chromium: shown as typed, and nothing fetched from outside."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import make_url

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
from tests.test_literal_text import JOINER, PAYLOAD, add_payload_data

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="Debian's chromium is not installed (.ci/run installs it)")

RENDERED = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  return {
    text: main.innerText,
    images: [...main.querySelectorAll('img')].map(i => i.getAttribute('src')).filter(s => !s.startsWith('data:')),
    links: [...main.querySelectorAll('a[href]')].map(a => a.getAttribute('href')).filter(h => !h.startsWith('#')),
    // what the payload's **粗体** and <b>x</b> would become (a page may bold the whole name)
    bold: [...main.querySelectorAll('strong, b')].map(b => b.innerText.trim()).filter(t => t === '粗体' || t === 'x'),
    formulas: main.querySelectorAll('.katex').length,
    coloured: main.querySelectorAll('.stMarkdownColoredText, .stMarkdownColoredBackground').length,
    icons: main.querySelectorAll('[role="img"]').length,
  };
}"""


def check(page, where: str, outside: list[str]) -> None:
    # an element that loads something requests it when it enters the page; wait until every
    # image has finished (loaded or failed), so nothing it fetched is still to come
    page.wait_for_function("() => [...document.images].every(i => i.complete)")
    found = page.evaluate(RENDERED)
    problems = {k: v for k, v in found.items() if k != "text" and v}
    if PAYLOAD not in found["text"].replace(JOINER, ""):
        problems["payload not shown as typed"] = found["text"]
    if outside:
        problems["requests outside the app"] = sorted(set(outside))
    assert problems == {}, where


def test_payloads_show_as_typed_and_the_browser_fetches_nothing_outside(roster_db, tmp_path, browser):  # noqa: F811
    from core.data.db import dispose_engines, read_session
    from plugins.registry import changes
    from plugins.registry.models import ChangeRequest
    from plugins.registry.pages_review import picker_label

    person, pending = add_payload_data()
    with read_session() as session:  # the picker's entry names the person: the payload itself
        request = session.get(ChangeRequest, pending)
        entry = picker_label(request, changes.subjects(session, [request])[pending])
    dispose_engines()  # everything in the one file the server starts from
    with running_server(tmp_path, make_url(roster_db).database, "", "") as (url, _db):
        page = browser.new_page()
        outside = []
        page.on("request", lambda r: None if r.url.startswith((url, "data:", "blob:"))
                else outside.append(r.url))

        page.goto(f"{url}/registry-review")
        sign_in(page, "reviewer", PASSWORD)
        wait_for(page, page.get_by_role("heading", name="审核队列"))
        settled(page)
        choose(page, "审核申请", entry)
        wait_for(page, page.get_by_test_id("stDownloadButton").first)
        check(page, "审核队列", outside)
        label = page.get_by_test_id("stDownloadButton").first.inner_text().replace(JOINER, "")
        assert label == f"下载附件 {PAYLOAD}.pdf"

        page.goto(f"{url}/registry-people")
        settled(page)
        page.get_by_role("textbox", name="搜索").fill("粗体")
        page.get_by_role("textbox", name="搜索").press("Enter")
        settled(page)
        page.goto(f"{url}/registry-people?person={person}")  # the person's own link
        settled(page)
        wait_for(page, page.get_by_text("工作单位："))
        check(page, "人员名册", outside)
        heading = page.get_by_test_id("stHeadingWithActionElements").filter(has_text="粗体").first
        assert heading.inner_text().replace(JOINER, "").strip() == PAYLOAD
        page.close()
    assert outside == []  # 127.0.0.9 (the payload's images) was never asked for
