"""The dashboard on a phone (390 x 844) in Chromium: choosing a page in the sidebar closes the
sidebar, and no label breaks inside a word."""

from __future__ import annotations

import os

import pytest

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

PHONE = {"width": 390, "height": 844}
IPHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")

# True while the sidebar lies over the page (it is open and reaches into the main area).
COVERS = """() => {
  const bar = document.querySelector('[data-testid=stSidebar]');
  const main = document.querySelector('[data-testid=stMain]');
  if (!bar || !main) return false;
  const b = bar.getBoundingClientRect();
  return b.width > 0 && b.right > main.getBoundingClientRect().left + 1;
}"""

LABELS = ("[data-testid=stMain] [data-testid=stWidgetLabel] p, "
          "[data-testid=stMain] [data-testid=stMetricLabel] p, "
          "[data-testid=stMain] [data-testid=stExpander] summary p, "
          "[data-testid=stMain] [data-testid=stTab] p, [data-testid=stMain] button p")

# Labels broken inside a word: a line ends between two letters, one of them Chinese (a break at
# a space or punctuation is fine). Returns each broken label with the letters around the break.
BROKEN = """(selector) => {
  const letter = /[\\p{L}\\p{N}]/u, chinese = /[\\u3400-\\u9fff]/;
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.getBoundingClientRect().width === 0) continue;
    const chars = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      for (let i = 0; i < n.textContent.length; i++) {
        const range = document.createRange();
        range.setStart(n, i);
        range.setEnd(n, i + 1);
        const rect = range.getClientRects()[0];
        if (rect) chars.push([n.textContent[i], rect.top]);
      }
    }
    for (let i = 1; i < chars.length; i++) {
      const [a, b] = [chars[i - 1][0], chars[i][0]];
      if (chars[i][1] > chars[i - 1][1] + 2 && letter.test(a) && letter.test(b)
          && chinese.test(a + b)) { out.push(el.innerText + ' (' + a + '/' + b + ')'); break; }
    }
  }
  return out;
}"""

# Labels a narrow column could break inside a word: those without the keep-all rule.
BREAKABLE = """(selector) => [...document.querySelectorAll(selector)]
  .filter(el => el.getBoundingClientRect().width > 0
                && getComputedStyle(el).wordBreak !== 'keep-all')
  .map(el => el.innerText)"""


@pytest.fixture(scope="module")
def roster_server(tmp_path_factory, roster_template):
    with running_server(tmp_path_factory.mktemp("phone-browser"), roster_template, "", "") as found:
        yield found


# server -> the sign-in cookie of the first sign-in through the form: later browsers start with
# it (signing in again costs seconds and checks nothing new)
_cookies: dict[str, dict] = {}


def signed_in_phone(browser, url, user_agent=None):  # noqa: F811
    context = browser.new_context(viewport=PHONE, is_mobile=user_agent is not None,
                                  has_touch=user_agent is not None, user_agent=user_agent)
    page = context.new_page()
    if url in _cookies:
        context.add_cookies([_cookies[url]])
        page.goto(url)
    else:
        page.goto(url)
        sign_in(page, "admin", PASSWORD)
    wait_for(page, page.get_by_role("heading", name="总览"))
    if url not in _cookies:
        page.wait_for_function("document.cookie.includes('jiangxin_auth=')", timeout=10_000)
        _cookies[url] = next(c for c in context.cookies() if c["name"] == "jiangxin_auth")
    settled(page)
    return context, page


@pytest.mark.parametrize("user_agent", [IPHONE_UA, None], ids=["phone", "narrow-window"])
def test_choosing_a_page_in_the_sidebar_closes_it(roster_server, browser, user_agent):  # noqa: F811
    url, _db = roster_server
    context, page = signed_in_phone(browser, url, user_agent)
    assert not page.evaluate(COVERS)  # a small screen starts with the sidebar closed
    page.get_by_test_id("stExpandSidebarButton").click()
    page.wait_for_function(COVERS, polling=50, timeout=10_000)
    page.get_by_test_id("stSidebarNav").get_by_text("审计日志", exact=True).click()
    wait_for(page, page.get_by_role("heading", name="审计日志"))
    settled(page)
    page.wait_for_function(f"() => !({COVERS})()", polling=50, timeout=10_000)
    # the page itself can be used: its first field takes a click (nothing lies over it)
    page.get_by_role("textbox", name="起始日期").click(timeout=10_000)
    context.close()


def test_no_label_breaks_inside_a_word_on_a_phone(roster_server, browser):  # noqa: F811
    url, _db = roster_server
    context, page = signed_in_phone(browser, url, IPHONE_UA)
    problems = []
    for path in ("", "registry-people", "registry-submit", "registry-review", "registry-io",
                 "core-audit", "core-users", "core-account"):
        page.goto(f"{url}/{path}")
        wait_for(page, page.locator("h1").first)
        settled(page)
        expanders = page.get_by_test_id("stExpander").locator("summary").all()
        for expander in expanders:
            expander.click()
        if expanders:  # nothing clicked: no rerun to wait for
            settled(page)
        labels = page.locator(LABELS)
        assert labels.count() > 0, path
        problems += [f"{path}: broken {label}" for label in page.evaluate(BROKEN, LABELS)]
        problems += [f"{path}: may break {label}" for label in page.evaluate(BREAKABLE, LABELS)]
    assert not problems, "\n".join(problems)
    context.close()
