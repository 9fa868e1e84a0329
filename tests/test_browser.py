"""The real server in Debian's Chromium: sign in through the real form and see the overview."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers import COOKIE_KEY, CORE_ONLY, PASSWORD, ROOT, TEST_PLUGINS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (.ci/run installs it)")


# what `jiangxin run --port 0` prints once it listens: the port the system gave it
LISTENING = re.compile(r"URL: https?://[^\s/]+:(\d+)")


@contextmanager
def running_server(folder, template, plugin_path: str, disabled: str):
    """``jiangxin run`` on a copy of ``template`` in ``folder``; yields (url, database path).

    The server binds port 0 and the port it got is read from its log: a port found free here and
    handed over could be taken before the server binds it (by another pytest-xdist worker's
    server, or by any outgoing connection), and the health check would then reach another server.
    """
    db = folder / "jx.db"
    shutil.copy(template, db)
    env = {**os.environ, "JIANGXIN_DATABASE_URL": f"sqlite:///{db}", "JIANGXIN_COOKIE_KEY": COOKIE_KEY,
           "JIANGXIN_PLUGIN_PATH": plugin_path, "JIANGXIN_VAR_DIR": str(folder / "var"),
           "JIANGXIN_DISABLED_PLUGINS": disabled, "PYTHONUNBUFFERED": "1"}
    for key in ("JIANGXIN_DEMO", "JIANGXIN_COUNTIES_FILE"):
        env.pop(key, None)
    log_path = folder / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "core.cli", "run", "--port", "0"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if url is None:
                found = LISTENING.search(log_path.read_text(errors="replace"))
                url = f"http://127.0.0.1:{found[1]}" if found else None
            if url is not None:
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200:
                        break
                except OSError:
                    pass
            time.sleep(0.1)
        else:
            proc.kill()
            proc.wait()
            pytest.fail("server did not start:\n" + log_path.read_text(errors="replace"))
        try:
            yield url, db
        finally:
            _stop(proc)


_stopping: list[subprocess.Popen] = []


def _stop(proc: subprocess.Popen) -> None:
    """Ask a server to stop and go on: its shutdown (about a second) overlaps the next test.
    Every server told to stop is waited for (or killed) when the test run ends."""
    proc.terminate()
    if not _stopping:
        atexit.register(_reap_all)
    _stopping.append(proc)


def _reap_all() -> None:
    for proc in _stopping:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def server_and_db(tmp_path_factory, sqlite_template):
    with running_server(tmp_path_factory.mktemp("browser"), sqlite_template, str(TEST_PLUGINS),
                        CORE_ONLY) as (url, db):
        yield url, db


@pytest.fixture(scope="module")
def server(server_and_db):
    return server_and_db[0]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def wait_for(page, locator, timeout: int = 30_000) -> None:
    """Wait until ``locator`` is visible; on time-out, fail with what the page shows instead."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        locator.wait_for(timeout=timeout)
    except PlaywrightTimeout:
        pytest.fail(f"{locator} never appeared; the page shows:\n{page.inner_text('body')}")


# True once the app's script has not been running for ``quiet`` ms in a row, watched from the
# page itself (every 50 ms, in the page), so a rerun that starts and ends between two checks of a
# slow test process is still seen and restarts the count.
QUIET = """([token, quiet]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const idle = app !== null && app.getAttribute('data-test-script-state') === 'notRunning';
  const now = performance.now();
  const key = '__jx_settled_' + token;
  if (!idle || window[key] === undefined) window[key] = idle ? now : null;
  else if (window[key] === null) window[key] = now;
  return idle && window[key] !== null && now - window[key] >= quiet;
}"""
_settle_calls = iter(range(10**9))


def settled(page, quiet: int = 500) -> None:
    """Wait until the app's script has finished its run and stayed finished for ``quiet`` ms
    (the sign-in cookie component may rerun it once after load; a form filled during that
    rerun would be redrawn empty)."""
    page.wait_for_function(QUIET, arg=[next(_settle_calls), quiet], polling=50,
                       timeout=30_000)


def choose(page, label: str, option: str, attempts: int = 4) -> None:
    """Pick ``option`` in the selectbox labelled ``label`` by filtering it, as a user picks from
    a long list. The list re-renders while it filters and whenever a rerun lands: the filter is
    set in one step (no keystroke lost to a re-render), the option is clicked once it is the
    only one of its name, and a click that selected nothing (an option detached under it) is
    tried again from scratch. Done when the closed box shows ``option`` once the app settled."""
    from playwright.sync_api import Error as PlaywrightError

    field = page.get_by_role("combobox", name=label, exact=True)
    listed = page.get_by_role("option", name=option, exact=True)
    shows = """([label, name]) => { const box = document.querySelector(
        `input[role="combobox"][aria-label="${label}"]`);
        return box !== null && box.getAttribute('aria-expanded') !== 'true' && box.value === name; }"""
    failures = []
    for _ in range(attempts):
        settled(page)
        if page.evaluate(shows, [label, option]):  # chosen (maybe by the last attempt)
            return
        try:
            field.click(timeout=10_000)
            field.fill(option, timeout=10_000)
            page.wait_for_function(
                """([name]) => [...document.querySelectorAll('[role="option"]')]
                       .filter(o => o.innerText.trim() === name).length === 1""",
                arg=[option], polling=50, timeout=10_000)
            listed.click(timeout=10_000)
            page.wait_for_function(shows, arg=[label, option], polling=50, timeout=10_000)
        except PlaywrightError as exc:  # TimeoutError is one too
            failures.append(str(exc).splitlines()[0])
            page.keyboard.press("Escape")
    settled(page)
    if not page.evaluate(shows, [label, option]):
        pytest.fail(f"could not choose {option!r} in {label!r} ({failures}); the page shows:\n"
                    f"{page.inner_text('body')}")


def sign_in(page, username: str, password: str) -> None:
    settled(page)
    page.get_by_role("textbox", name="用户名").fill(username)
    page.get_by_role("textbox", name="密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()


def test_sign_in_through_the_real_form_shows_the_overview(server, browser):
    page = browser.new_page()
    outside = []
    page.on("request", lambda r: None if r.url.startswith((server, "data:", "blob:"))
            else outside.append(r.url))
    page.goto(server)
    sign_in(page, "admin", PASSWORD)
    wait_for(page, page.get_by_role("heading", name="总览"))
    wait_for(page, page.get_by_text("测试便签数"))
    assert page.get_by_test_id("stMetricValue").first.is_visible()
    wait_for(page, page.get_by_text("上次刷新"))
    nav = page.get_by_test_id("stSidebarNav")
    for title in ("总览", "测试便签", "插件", "审计日志", "用户", "我的账户"):
        assert nav.get_by_text(title, exact=True).is_visible(), title
    assert outside == []  # an internal tool: nothing is fetched from outside the server

    page.reload()  # the sign-in cookie keeps the user signed in
    wait_for(page, page.get_by_role("heading", name="总览"))
    settled(page)
    page.get_by_role("button", name="退出登录").click()
    wait_for(page, page.get_by_role("textbox", name="用户名").first)
    settled(page)
    # one sign-in form once the app has settled (a stale copy may show during the rerun)
    page.wait_for_function(
        "document.querySelectorAll('input[aria-label=\"用户名\"]').length === 1", timeout=10_000)
    page.reload()  # and signing out removed it
    wait_for(page, page.get_by_role("textbox", name="用户名"))
    assert page.get_by_role("heading", name="总览").count() == 0
    page.close()


def test_a_deep_link_survives_sign_in_and_forbidden_pages_stay_closed(server, browser):
    page = browser.new_page()
    page.goto(f"{server}/core-audit")
    sign_in(page, "admin", PASSWORD)
    wait_for(page, page.get_by_role("heading", name="审计日志"))

    staff = browser.new_page()
    staff.goto(f"{server}/core-audit")
    sign_in(staff, "staff_jd", PASSWORD)
    wait_for(staff, staff.get_by_text("无权访问"))
    assert staff.get_by_role("heading", name="审计日志").count() == 0
    page.close()
    staff.close()


def test_a_deep_link_right_after_a_restart_still_lands_on_its_page(tmp_path, sqlite_template, browser):
    # The first session of a fresh server opens /core-audit before st.navigation has ever run:
    # no "Page not found" notice from Streamlit, and sign-in lands on the page.
    with running_server(tmp_path, sqlite_template, str(TEST_PLUGINS), CORE_ONLY) as (url, _db):
        page = browser.new_page()
        page.goto(f"{url}/core-audit")
        # the page has settled on the sign-in form: a "Page not found" notice would be up by now
        wait_for(page, page.get_by_role("textbox", name="用户名"))
        settled(page)
        assert page.get_by_text("Page not found").count() == 0
        sign_in(page, "admin", PASSWORD)
        wait_for(page, page.get_by_role("heading", name="审计日志"))
        page.close()


def test_no_deep_link_shows_page_not_found_signed_in_or_out(server, browser):
    # The default page is served at "/", yet Streamlit reserves its own pathname: a deep link
    # to /core-overview (or to a page that does not exist) said "Page not found" in English.
    context = browser.new_context()
    page = context.new_page()
    paths = ["core-overview", "core-audit", "no-such-page", "jiangxin-home", "robots.txt", "%E4%BA%BA", "a%20b"]
    landing = ["总览", "审计日志", "总览", "总览", "总览", "总览", "总览"]  # signed in, each lands here
    for path in paths:
        page.goto(f"{server}/{path}")
        settled(page)
        assert page.get_by_text("Page not found").count() == 0, path
        assert page.get_by_role("textbox", name="用户名").count() == 1, path
    sign_in(page, "admin", PASSWORD)
    wait_for(page, page.get_by_role("heading", name="总览"))
    # the sign-in cookie is written after the overview shows: the links below need it
    page.wait_for_function("document.cookie.includes('jiangxin_auth=')", timeout=10_000)
    for path, heading in zip(paths, landing, strict=True):
        page.goto(f"{server}/{path}")
        # settled on the page the link leads to (its heading drawn), not on a notice
        wait_for(page, page.get_by_role("heading", name=heading, exact=True))
        settled(page)
        assert page.get_by_text("Page not found").count() == 0, path
    context.close()


def _signed_in_cookie(server, browser, username: str) -> dict:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server}/core-overview")  # staff and reviewers start on 工作台
    sign_in(page, username, PASSWORD)
    wait_for(page, page.get_by_role("heading", name="总览"))
    page.wait_for_function("document.cookie.includes('jiangxin_auth=')", timeout=10_000)
    cookie = next(c for c in context.cookies() if c["name"] == "jiangxin_auth")
    return context, page, cookie


def _opens_signed_in(server, browser, cookie: dict) -> bool:
    """A fresh browser given only ``cookie``: signed in (the overview) or the sign-in form."""
    context = browser.new_context()
    context.add_cookies([cookie])
    page = context.new_page()
    page.goto(f"{server}/core-overview")
    form, overview = page.get_by_role("textbox", name="用户名"), page.get_by_role("heading", name="总览")
    wait_for(page, form.or_(overview))
    settled(page)
    signed_in = overview.count() == 1
    assert page.locator('[data-testid="stException"]').count() == 0
    assert signed_in != (form.count() == 1)
    context.close()
    return signed_in


def test_copied_cookies_stop_working_when_their_session_ends(server_and_db, browser):
    import time

    from core.access import auth
    from core.data.audit import Actor
    from core.data.db import session_scope

    server, db = server_and_db
    # sign-out ends the session: a copy of its cookie no longer signs in
    context, page, cookie = _signed_in_cookie(server, browser, "reviewer")
    assert _opens_signed_in(server, browser, cookie)  # the copy works while the session lives
    settled(page)
    page.get_by_role("button", name="退出登录").click()
    wait_for(page, page.get_by_role("textbox", name="用户名").first)
    assert not _opens_signed_in(server, browser, cookie)
    context.close()

    # a password change (here by an admin, in this process, on the server's database)
    context, page, cookie = _signed_in_cookie(server, browser, "manager")
    with session_scope(Actor("admin", "admin"), url=f"sqlite:///{db}") as s:
        auth.set_password(s, "manager", "another-pass-1")
    assert not _opens_signed_in(server, browser, cookie)
    page.reload()  # and the session that was open ends at its next rerun
    wait_for(page, page.get_by_role("textbox", name="用户名"))
    context.close()

    # every other event that ends a session, each with a cookie taken just before it
    url, admin = f"sqlite:///{db}", Actor("admin", "admin")

    def after(username, *changes, actor=admin):
        context, _page, cookie = _signed_in_cookie(server, browser, username)
        context.close()
        for change in changes:
            with session_scope(actor, url=url) as s:
                change(s)
            assert not _opens_signed_in(server, browser, cookie), (username, change)

    # disabled, then enabled again: the old cookie stays dead
    after("staff_jd", lambda s: auth.update_user(s, "staff_jd", disabled=True),
          lambda s: auth.update_user(s, "staff_jd", disabled=False))
    after("staff_jd", lambda s: auth.update_user(s, "staff_jd", role="reviewer"))
    after("staff_jd", lambda s: auth.update_user(s, "staff_jd", county_code="330127"))
    after("staff_ca", lambda s: auth.change_own_password(s, "staff_ca", PASSWORD, "another-pass-2"),
          actor=Actor("staff_ca", "staff", "330127"))  # their own change, in another browser

    # forged cookies are no cookie: the sign-in form, no error box
    claims = {"username": "admin", "exp_date": time.time() + 3600,
              "exp": int(time.time() + 3600), "gen": 0}
    import base64
    import json

    import jwt

    def b64(part):
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()

    for value in (f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}.",
                  jwt.encode(claims, COOKIE_KEY, algorithm="HS512"), "garbage"):
        assert not _opens_signed_in(server, browser, {**cookie, "value": value})
