"""Takes the screenshots the docs show, from what a fresh `make run` shows.

    .venv/bin/python docs/screenshots.py        # writes docs/overview.png and docs/img/*.png

It creates a demo database in a temporary folder (`jiangxin init-db` and `jiangxin demo`, as
`make run` does), starts `jiangxin run` on it and drives Debian's Chromium with Playwright,
signed in as the demo accounts. Look at every picture before committing it: the fonts must be
installed (Debian `fonts-noto-cjk`, `fonts-noto-color-emoji`), or Chinese shows as boxes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_browser import (  # noqa: E402  (the browser helpers the tests use)
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    settled,
    sign_in,
    wait_for,
)

IMAGES = ROOT / "docs" / "img"
DEMO_PASSWORD = "jiangxin-demo"
WIDE = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}


@contextmanager
def demo_server(folder: Path):
    """What `make run` does, in ``folder``: a demo database and `jiangxin run` on it; yields
    the URL."""
    env = {**os.environ, "JIANGXIN_DATABASE_URL": f"sqlite:///{folder / 'demo.db'}",
           "JIANGXIN_DEMO": "1", "JIANGXIN_VAR_DIR": str(folder / "var")}
    env.pop("JIANGXIN_PLUGIN_PATH", None)
    for command in (["init-db"], ["demo"]):
        subprocess.run([sys.executable, "-m", "core.cli", *command], cwd=ROOT, env=env, check=True,
                       capture_output=True)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "core.cli", "run", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def shoot(browser, url: str, user: str, path: str, name: str, *, viewport=WIDE, then=None,
          full_page: bool = True) -> None:
    """Sign in as ``user``, open ``path`` and save the page as ``name``."""
    context = browser.new_context(viewport=viewport, device_scale_factor=1, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{url}/{path}")
    sign_in(page, user, DEMO_PASSWORD)
    wait_for(page, page.get_by_test_id("stMain"))
    settled(page, quiet=1500)
    if then is not None:
        then(page)
        settled(page, quiet=1500)
    target = ROOT / "docs" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=full_page)
    print("wrote", target.relative_to(ROOT))
    context.close()


def _studio(folder: Path, *, due: bool = False) -> int:
    """A running 建德 studio of the demo (one still due for this year's review, if ``due``)."""
    import sqlite3
    from contextlib import closing

    due_only = ("AND NOT EXISTS (SELECT 1 FROM workshops_review r WHERE r.studio_id = s.id "
                "AND r.year = CAST(strftime('%Y', 'now') AS INTEGER))") if due else ""
    with closing(sqlite3.connect(folder / "demo.db")) as conn:
        return conn.execute("SELECT id FROM workshops_studio s WHERE county_code = '330182' "
                            f"AND status = '运行' {due_only} ORDER BY name LIMIT 1").fetchone()[0]


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with demo_server(folder) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            shoot(browser, url, "demo_manager", "", "overview.png", full_page=False)
            shoot(browser, url, "demo_reviewer", "", "img/workbench-reviewer.png")
            shoot(browser, url, "demo_staff", "", "img/workbench-phone.png", viewport=PHONE)
            shoot(browser, url, "demo_manager", "core-report", "img/report.png")
            shoot(browser, url, "demo_reviewer", "registry-review", "img/review-queue.png")
            shoot(browser, url, "demo_staff", "registry-mine", "img/my-requests.png")
            shoot(browser, url, "demo_staff", "registry-submit", "img/submit.png")
            shoot(browser, url, "demo_staff", "registry-people", "img/roster-phone.png",
                  viewport=PHONE, full_page=False)
            shoot(browser, url, "demo_manager", "workshops-list", "img/studios-list.png", full_page=False)
            shoot(browser, url, "demo_staff", f"workshops-list?studio={_studio(folder)}",
                  "img/studio-phone.png", viewport=PHONE)
            shoot(browser, url, "demo_staff", f"workshops-review?studio={_studio(folder, due=True)}",
                  "img/studio-review-phone.png", viewport=PHONE)
            shoot(browser, url, "demo_manager", "workshops-output", "img/studios-output.png")
            browser.close()


if __name__ == "__main__":
    main()
