"""Chinese everywhere a user reads, in Chromium: every role, every page of its navigation, and the
states a user opens (select lists, the uploader, the grid's corner, expanders). Any Latin word
on screen outside a short allow-list fails the test, with the page and the words."""

from __future__ import annotations

import os
import re
import sqlite3
from contextlib import closing

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.helpers import PASSWORD, ROOT
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

# Words a Chinese screen may show: the product, file formats and units.
ALLOWED = {"jiangxin", "excel", "word", "id", "mb", "kb", "xlsx", "pdf", "jpg", "jpeg", "png", "csv",
           "zjg"}  # zjg: the search field's example of pinyin initials, which are typed in Latin
WORD = re.compile(r"[A-Za-z]{2,}")

# What a user reads: every text node drawn with a size (not shrunk to nothing, not hidden), the
# Chinese a style sheet draws (::before/::after), and the placeholder, title and aria-label of
# every visible element (tooltips and screen readers read those).
SHOWN = r"""() => {
  const out = [];
  const shown = el => {
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden' || s.opacity === '0') return false;
    }
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent.trim();
    const el = n.parentElement;
    if (!text || !el || ['SCRIPT', 'STYLE', 'NOSCRIPT'].includes(el.tagName)) continue;
    if (el.closest('[data-testid=stIconMaterial]')) continue;  // an icon's name draws its glyph
    if (parseFloat(getComputedStyle(el).fontSize) < 1 || !shown(el)) continue;
    const range = document.createRange();
    range.selectNodeContents(n);
    if ([...range.getClientRects()].some(r => r.width > 0 && r.height > 0)) out.push(text);
  }
  for (const el of document.querySelectorAll('body *')) {
    // a placeholder shows only in an empty field
    const attrs = ['title', 'aria-label', ...(el.value ? [] : ['placeholder'])]
      .map(a => el.getAttribute(a)).filter(Boolean);
    const pseudo = ['::before', '::after'].map(p => getComputedStyle(el, p).content)
      .filter(c => c && c !== 'none' && c !== 'normal' && c.startsWith('"'));
    if ((attrs.length || pseudo.length) && shown(el)) out.push(...attrs.map(a => '@' + a), ...pseudo);
  }
  return out;
}"""


def data_names(db) -> set[str]:
    """Names that are data, not interface: account names (and the audit log's actors, such as the
    fixture that filled the database) and plugin names, shown as they are stored."""
    with closing(sqlite3.connect(db)) as conn:
        names = {n for (n,) in conn.execute(
            "SELECT username FROM core_user UNION SELECT actor FROM core_audit_log UNION "
            "SELECT submitted_by FROM registry_change UNION SELECT decided_by FROM registry_change UNION "
            "SELECT updated_by FROM workshops_standard UNION SELECT reviewer FROM workshops_review UNION "
            "SELECT \"by\" FROM workshops_status_change UNION SELECT created_by FROM events_event UNION "
            "SELECT invited_by FROM events_participant UNION SELECT attendance_by FROM events_participant UNION "
            "SELECT updated_by FROM events_target UNION SELECT uploaded_by FROM events_photo") if n}
    plugins = {p.name for p in (ROOT / "plugins").iterdir() if (p / "__init__.py").exists()}
    return names | plugins | {"core"}


def english(page, data: set[str]) -> list[str]:
    """The Latin words the page shows (with the text they stand in), outside the allow-list."""
    found = []
    for text in page.evaluate(SHOWN):
        bare = re.sub(r"[A-Za-z0-9_.-]+", lambda m: "" if m[0] in data else m[0], text)
        words = [w for w in WORD.findall(bare) if w.lower() not in ALLOWED]
        if words:
            found.append(f"{words} in {text[:80]!r}")
    return sorted(set(found))


# (server, username) -> the sign-in cookie of that user's first sign-in through the form: later
# browsers of the same user start with it (signing in again costs seconds and checks nothing new)
_cookies: dict[tuple[str, str], dict] = {}


def signed_in(browser, url, username):  # noqa: F811
    """A new browser (English, the worst case for Streamlit's own texts) signed in as ``username``."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    nav = page.get_by_test_id("stSidebarNav")
    if (url, username) in _cookies:
        context.add_cookies([_cookies[url, username]])
        page.goto(url)
        wait_for(page, nav)
        settled(page)
        return context, page
    page.goto(url)
    sign_in(page, username, PASSWORD)
    try:
        nav.wait_for(timeout=30_000)
    except PlaywrightTimeout:  # the form was filled during a rerun that redrew it empty
        sign_in(page, username, PASSWORD)
        wait_for(page, nav)
    # the sign-in cookie is written after the first page shows: the pages opened next need it
    page.wait_for_function("document.cookie.includes('jiangxin_auth=')", timeout=10_000)
    _cookies[url, username] = next(c for c in context.cookies() if c["name"] == "jiangxin_auth")
    settled(page)
    return context, page


@pytest.fixture(scope="module")
def roster_server(tmp_path_factory, roster_template):
    with running_server(tmp_path_factory.mktemp("chinese-browser"), roster_template, "", "") as found:
        yield found


def open_states(page, lists: bool = True):
    """Open what a user opens on this page, one at a time, and yield a name for each state
    (its drop-down lists only if ``lists``)."""
    yield "page"
    opened = False
    for expander in page.get_by_test_id("stExpander").locator("summary").all():
        if expander.is_visible():
            expander.click()
            opened = True
    if opened:  # nothing clicked: the page is as it was, with no rerun to wait for
        settled(page)
        yield "expanders open"
    for grid in page.get_by_test_id("stDataFrame").all()[:1]:
        grid.hover()
        yield "grid hovered"
    if not lists:
        return
    for box in page.locator("[data-testid=stSelectbox] input, [data-testid=stMultiSelect] input").all():
        if not box.is_visible() or box.is_disabled():
            continue
        box.click()
        if box.get_attribute("aria-expanded") != "true":
            box.press("ArrowDown")  # a multiselect opens from the keyboard, not a click
        page.locator("[role=listbox]:visible").first.wait_for(timeout=10_000)
        yield f"list {box.get_attribute('aria-label')} open"
        page.keyboard.press("Escape")


def test_every_page_of_every_role_shows_no_english(roster_server, browser):  # noqa: F811
    url, db = roster_server
    data = data_names(db)
    problems = []
    # a page's drop-down lists are opened for the first role that sees the page: what a list
    # draws of its own (its empty state, its accessible names) is the same for every role, and
    # opening every list for every role was most of this test's two minutes
    lists_seen: set[str] = set()
    for username in ("admin", "reviewer", "manager", "staff_jd"):
        context, page = signed_in(browser, url, username)
        links = page.get_by_test_id("stSidebarNav").locator("a")
        hrefs = [a.get_attribute("href") for a in links.all()]
        assert len(hrefs) >= 3, hrefs
        for href in hrefs:
            page.goto(href)
            wait_for(page, page.get_by_test_id("stMain"))
            settled(page)
            path = href.rsplit("/", 1)[-1]
            for state in open_states(page, lists=path not in lists_seen):
                for words in english(page, data):
                    problems.append(f"{username} {path} ({state}): {words}")
            lists_seen.add(path)
        context.close()
    assert not problems, "\n".join(problems)


# What a drop zone (found by its label) says under its button.
HINT = """(label) => getComputedStyle(document.querySelector(
  `[data-testid=stFileUploaderDropzone][aria-label^="${label}"] ` +
  '[data-testid=stFileUploaderDropzoneInstructions] span'), '::after').content"""




def test_each_drop_zone_says_its_real_limit_in_chinese(roster_server, browser):  # noqa: F811
    url, _db = roster_server
    context, page = signed_in(browser, url, "admin")
    page.goto(f"{url}/registry-io")  # a spreadsheet: up to the server's largest upload
    wait_for(page, page.locator("[data-testid=stFileUploaderDropzone]:visible").first)
    settled(page)
    assert page.evaluate(HINT, "上传劳模工匠名册") == '"单个文件不超过 50 MB · xlsx"'
    button = page.locator("[data-testid=stFileUploaderDropzone]:visible button p").first
    assert button.evaluate("el => getComputedStyle(el, '::after').content") == '"选择文件"'
    page.goto(f"{url}/registry-submit")  # an attachment: 5 MB
    wait_for(page, page.locator("[data-testid=stFileUploaderDropzone]:visible").first)
    settled(page)
    assert page.evaluate(HINT, "附件") == '"单个文件不超过 5 MB · pdf、jpg、jpeg、png"'
    # a file of another format is refused in the drop zone: its alert and tooltip are Chinese
    page.locator("[data-testid=stFileUploaderDropzone][aria-label^='附件'] input[type=file]").set_input_files(
        files=[{"name": "note.txt", "mimeType": "text/plain", "buffer": b"x"}])
    chip = page.locator("[data-testid=stFileChip][aria-invalid=true]").first
    wait_for(page, chip)
    chip.hover()
    page.wait_for_function("() => document.body.innerText.includes('不接受这种格式的文件')",
                           polling=50, timeout=10_000)
    shown = english(page, {"note.txt"})
    assert shown == [], shown
    context.close()


def test_a_grid_offers_no_download_of_its_own(roster_server, browser):  # noqa: F811
    url, _db = roster_server
    context, page = signed_in(browser, url, "admin")
    page.goto(f"{url}/core-audit")
    grid = page.get_by_test_id("stDataFrame").first
    wait_for(page, grid)
    settled(page)
    grid.hover()
    toolbar = grid.get_by_test_id("stElementToolbar")
    assert not toolbar.is_visible()  # hidden in every grid: its tools speak English
    # and under it the server's setting (client.disableDataExport): the hidden toolbar holds
    # no CSV download either
    names = toolbar.locator("button").evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
    assert names and not any("Download" in n or "CSV" in n for n in names), names
    context.close()
