"""The first visit (issue #15): the sign-in form draws without the heavy modules, and
bench/first_visit.py runs at a tiny size and prints figures that make sense."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import COOKIE_KEY, ROOT

CHROMIUM = "/usr/bin/chromium"

# What the sign-in form does not need, and a first visit paid for before (issue #15): pandas,
# numpy and pyarrow (Streamlit's check of a custom component's arguments: the cookie component),
# pypinyin (the roster's models, 0.2 s of phrase dictionary), the cookie library itself, and
# what pages, charts, reports and spreadsheets use.
HEAVY = ("pandas", "numpy", "pyarrow", "altair", "openpyxl", "vl_convert", "docx", "pypinyin",
         "faker", "rustpy_xlsxwriter", "streamlit_authenticator", "extra_streamlit_components")

# In a fresh interpreter: what `jiangxin run` does before it serves (core/cli.py's cmd_run: the
# plugins, the schema check), then the app's first run for a browser without a session; then,
# while the user would type, the shell's warm-up imports what the first page will need.
SIGN_IN_PATH = f"""
import json, sys, threading
from core import cli
cli.load_settings().require_cookie_key()
cli._ready_host()
from streamlit.testing.v1 import AppTest
from dashboard import shell

shell.WARM_UP_DELAY = 3  # seconds after the form's run: time enough to look before it begins
at = AppTest.from_file({str(ROOT / "dashboard" / "app.py")!r}, default_timeout=60).run()
imported = [m for m in {HEAVY!r} if m in sys.modules]
for thread in threading.enumerate():
    if thread.name == "jiangxin-warm-up":
        thread.join(60)
print(json.dumps({{"inputs": [t.label for t in at.text_input],
                  "buttons": [b.label for b in at.button],
                  "errors": [e.value for e in at.error] + [str(e.value) for e in at.exception],
                  "imported": imported, "warmed": sorted(set(sys.modules) & set(shell.WARM_UP_MODULES))}}))
"""


def test_the_sign_in_form_draws_without_the_heavy_modules(roster_db, monkeypatch):
    monkeypatch.setenv("JIANGXIN_DISABLED_PLUGINS", "")  # every built-in plugin, as served
    env = {**os.environ, "JIANGXIN_COOKIE_KEY": COOKIE_KEY, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", SIGN_IN_PATH], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["inputs"] == ["用户名", "密码"] and seen["buttons"] == ["登录"]
    assert seen["errors"] == []
    assert seen["imported"] == [], f"imported before the sign-in form: {seen['imported']}"
    # then, in the background, what the first page after sign-in needs (it need not wait)
    assert seen["warmed"] == sorted(("pyarrow", "pandas", "altair", "dashboard.overview_data"))


@pytest.mark.skipif(not Path(CHROMIUM).exists(),
                    reason="Debian's chromium is not installed (.ci/run installs it)")
def test_the_benchmark_prints_its_figures_at_a_tiny_size(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIANGXIN_")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "first_visit.py"), "--people", "200", "--studios", "10",
         "--events", "10", "--participants", "100", "--rounds", "1", "--pause", "0.5",
         "--database", str(tmp_path / "tiny.db")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    figures = json.loads(out.strip().splitlines()[-1])
    assert figures["bench"] == "first_visit"
    by_label = {f["label"]: f for f in figures["figures"]}
    for what in ("start-up", "first visit", "start-up + first visit", "second visit"):
        f = by_label[f"{what}: jiangxin run / bare Streamlit"]
        assert f["ms"] > 0 and f["floor_ms"] > 0 and f["ratio"] > 0
        assert f"| {what}: jiangxin run / bare Streamlit | {f['ms']:.0f} |" in out
    startup, first, both = (by_label[f"{w}: jiangxin run / bare Streamlit"]["ms"]
                            for w in ("start-up", "first visit", "start-up + first visit"))
    assert both == pytest.approx(startup + first, abs=0.3)  # one round: the sum of its parts
    for when in ("first after start", "again"):
        steps = [f for f in figures["figures"] if f["label"].startswith(f"sign-in ({when}) → ")]
        assert [f["ms"] > 0 for f in steps] == [True] * 5, steps
        # the title, then every tile, then every chart (one watcher, in the page); the page's
        # run ends after its title; the whole, with the goal, last
        title, ran, tiles, charts, _ = (f["ms"] for f in steps)
        assert title <= tiles <= charts and title <= ran, steps
        assert steps[-1]["goal"] == "≤ 1000 ms" and isinstance(steps[-1]["holds"], bool)
        assert steps[-1]["ms"] >= steps[0]["ms"], steps
    assert "总览 has " in out and "总览 has 0 tiles" not in out
    # the database was filled once and kept: a second run would reuse it
    assert (tmp_path / "tiny.db").exists()


@pytest.mark.skipif(not Path(CHROMIUM).exists(),
                    reason="Debian's chromium is not installed (.ci/run installs it)")
def test_the_sign_in_cookie_is_strict_short_and_gone_after_sign_out(tmp_path, sqlite_template):
    """The cookie the page writes itself (no component, so no rerun after sign-in): SameSite
    Strict, path /, half a working day; signing out deletes it."""
    import time

    from playwright.sync_api import sync_playwright

    from tests.helpers import CORE_ONLY, PASSWORD, TEST_PLUGINS
    from tests.test_browser import CHROMIUM_ARGS, running_server, settled, sign_in

    with running_server(tmp_path, sqlite_template, str(TEST_PLUGINS), CORE_ONLY) as (url, _db), \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        page = context.new_page()
        page.goto(url)
        sign_in(page, "admin", PASSWORD)
        page.wait_for_function("document.cookie.includes('jiangxin_auth=')", timeout=30_000)
        [cookie] = [c for c in context.cookies() if c["name"] == "jiangxin_auth"]
        assert (cookie["sameSite"], cookie["path"]) == ("Strict", "/")
        assert 11.9 * 3600 < cookie["expires"] - time.time() <= 12 * 3600
        settled(page)
        page.get_by_role("button", name="退出登录").click()
        page.get_by_role("textbox", name="用户名").wait_for(timeout=30_000)
        page.wait_for_function("!document.cookie.includes('jiangxin_auth=')", timeout=30_000)
        assert [c for c in context.cookies() if c["name"] == "jiangxin_auth"] == []
        browser.close()
