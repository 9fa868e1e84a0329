"""Constants and helpers the tests share (fixtures are in conftest.py)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST_PLUGINS = ROOT / "tests" / "plugins"
BROKEN_PLUGINS = ROOT / "tests" / "broken_plugins"
APP = ROOT / "dashboard" / "app.py"
COOKIE_KEY = "test-cookie-key-0123456789abcdefghijklmnopqrstuvwxyz"
PASSWORD = "correct-horse-9"
# username, display name, role, county
ACCOUNTS = (
    ("admin", "管理员甲", "admin", None),
    ("reviewer", "审核员乙", "reviewer", None),
    ("manager", "领导丙", "manager", None),
    ("staff_jd", "建德工作人员", "staff", "330182"),
    ("staff_ca", "淳安工作人员", "staff", "330127"),
)
NOTES = (("建德便签一", "330182"), ("建德便签二", "330182"), ("淳安便签", "330127"),
         ("上城便签", "330102"))


def testkit():
    """The test plugin's module as the host loaded it (importing it again would redefine its
    tables)."""
    from core.host.loader import get_host

    return get_host().pm.get_plugin("jx_testkit")


def signed_in_app(username: str | None, page: str | None = None, query: dict | None = None):
    """The real app under AppTest, signed in as ``username`` (None: signed out), first run done.

    Sign-in is seeded the way streamlit-authenticator leaves it after a successful form.
    """
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=30)
    if username is not None:
        role = next(a[2] for a in ACCOUNTS if a[0] == username)
        at.session_state["authentication_status"] = True
        at.session_state["username"] = username
        at.session_state["name"] = username
        at.session_state["roles"] = [role]
        at.session_state["jiangxin_session_generation"] = _generation(username)
    if page is not None:
        at.session_state["jiangxin_start_page"] = page
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def _generation(username: str) -> int | None:
    """The account's current session generation (a seeded session belongs to it)."""
    from core.access import auth
    from core.data.db import read_session

    with read_session() as session:
        return auth.session_generation(session, username)


def texts(at) -> str:
    """Everything an AppTest run shows as text, joined (for "does the page show X" checks)."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "error", "warning",
                 "info", "success", "metric", "text"):
        for el in at.get(kind):
            parts.append(shown(getattr(el, "value", "")))
            parts.append(shown(getattr(el, "label", "")))
    for df in at.dataframe:
        parts.append(df.value.to_string())
    return "\n".join(parts)


def shown(source) -> str:
    """The text a Markdown string shows once data in it went through ``core.ui.text.literal``:
    its backslash escapes, word joiners and hard breaks undone (AppTest sees the source)."""
    import re
    import string

    from core.ui.text import JOINER

    text = str(source).replace(JOINER, "").replace("  \n", "\n")
    text = re.sub(r"&#(32|9);", lambda m: chr(int(m[1])), text)
    return re.sub(rf"\\([{re.escape(string.punctuation)}])", r"\1", text)
