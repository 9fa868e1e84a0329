"""The frame around every page: configuration, schema check, sign-in, navigation, guards.

Each rerun: build the sign-in from the accounts in the database, then the navigation from the
pages plugins declare (pages the user may not use are hidden, and opening one by its URL shows
无权访问), then run the current page inside an error guard so one plugin's bug stays on its page.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import re
import threading
import time
from collections import defaultdict
from email.utils import format_datetime

import streamlit as st
from sqlalchemy.exc import DatabaseError

from core.access import auth
from core.data.audit import record
from core.data.db import (
    DatabaseUnavailable,
    get_engine,
    read_session,
    session_scope,
    unavailable,
)
from core.data.migrate import SchemaOutOfDate, check_schema
from core.host.loader import PluginHost, get_host
from core.settings.config import ConfigError, load_settings
from core.ui import FORBIDDEN, NAV_KEY, USER_KEY
from dashboard import password_gate, style

log = logging.getLogger("jiangxin.shell")

START_PAGE_KEY = "jiangxin_start_page"  # lets tests open a given page as the first one
SET_COOKIE_KEY = "jiangxin_set_cookie"
# The session generation this session signed in with (see core.access.auth): checked on every rerun.
GENERATION_KEY = "jiangxin_session_generation"
COOKIE_NAME = "jiangxin_auth"
COOKIE_EXPIRY_DAYS = 0.5  # a working day; the cookie is readable by scripts, keep it short

# The default page's own pathname: it is served at "/" (see _streamlit_pages).
HOME_URL_PATH = "jiangxin-home"
ASKED_NAME_RE = re.compile(r"^(?!\s)[^/]{1,100}(?<!\s)$")  # what st.Page takes as a url_path

_schema_ok: set[str] = set()
_schema_lock = threading.Lock()

# What the first page after sign-in imports and the sign-in form does not: Streamlit's charts
# and tables (altair, pandas, pyarrow: 0.6-1 s) and the overview's own module. Imported in the
# background once a sign-in form has been served (WARM_UP_DELAY later, so the form is drawn
# first), while the user types: the first sign-in after a restart does not wait for them.
WARM_UP_MODULES = ("pyarrow", "pandas", "altair", "dashboard.overview_data")
WARM_UP_DELAY = 1.0  # seconds
_warm_up_started = threading.Event()


def main() -> None:
    wall = st.query_params.get("wall") == "1"
    st.set_page_config(page_title="匠心 · 劳模工匠协会", page_icon="🛠️", layout="wide",
                       initial_sidebar_state="collapsed" if wall else "auto")
    style.apply()  # Chinese where Streamlit has no setting; labels that fit a phone
    try:
        _main()
    except (DatabaseUnavailable, DatabaseError) as exc:
        _stop(database_problem(exc))


def database_problem(exc: Exception) -> str:
    """The Chinese message for a database that cannot be used (missing, removed or replaced
    under the server, damaged, unreachable); the details go to the server log."""
    exc = unavailable(exc) or exc
    if isinstance(exc, DatabaseUnavailable):
        log.error("database unavailable: %s", exc.en)
        return exc.zh
    log.error("database error: %s", exc, exc_info=exc)
    return "数据库暂时无法使用，已记录。请稍后再试或联系管理员。"


def _main() -> None:
    settings = load_settings()
    try:
        cookie_key = settings.require_cookie_key()
        host = get_host(settings)
        _check_schema_once(host)
    except ConfigError as exc:
        log.error("configuration: %s", exc)
        _stop(f"系统配置错误，请联系管理员：{exc}")
    except SchemaOutOfDate as exc:
        _stop(str(exc))

    user = _signed_in_user(cookie_key)
    if user is not None and not _sidebar(user):
        user = None  # signed out just now: fall through to the sign-in form in this same run
    if user is None:
        # Register the pages (hidden) so a deep link survives sign-in, but run none of them.
        st.navigation(_streamlit_pages(host, None)[0], position="hidden")
        _sign_in(cookie_key)
        st.stop()

    st.session_state[USER_KEY] = user
    if st.session_state.pop(SET_COOKIE_KEY, False):
        # Set the sign-in cookie in a run that is not cut short: the run that accepted the form
        # reruns at once to draw the page, which would drop the script before the browser ran it.
        _set_cookie(user, cookie_key)
    # A password an administrator chose: only the form to choose one's own, before any page.
    password_gate.enforce(user, lambda: st.navigation(_streamlit_pages(host, None)[0],
                                                      position="hidden"))
    sections, declared = _streamlit_pages(host, user)
    # every page listed: collapsed, Streamlit hides the rest behind "View N more" (English)
    current = st.navigation(sections, expanded=True)
    _run_page(host, user, current, *declared[id(current)])


def _stop(message: str) -> None:
    """Show ``message`` alone and end the run. An (empty) navigation keeps Streamlit from
    listing the files of dashboard/pages/ as pages."""
    st.navigation([st.Page(lambda: None, title="匠心", url_path="unavailable")], position="hidden")
    st.error(message)
    st.stop()


def _check_schema_once(host: PluginHost) -> None:
    engine = get_engine()
    key = str(engine.url)
    if key in _schema_ok:
        return
    check_schema(engine, host)
    with _schema_lock:
        _schema_ok.add(key)


# What a cookie's value may hold: the token's characters (base64url and dots), or nothing.
COOKIE_VALUE_RE = re.compile(r"^[A-Za-z0-9_.-]*$")
_SIGNED_OUT_KEYS = ("name", "username", "authentication_status", "roles")


def _write_cookie(value: str, expires: dt.datetime, where=None) -> None:
    """Set the sign-in cookie (or, with a past ``expires``, delete it) from the page: a script
    in the sidebar (or ``where``) writes it as streamlit-authenticator's cookie component did
    (JavaScript, path /, SameSite=Strict, not httpOnly). No component: a component's value comes back and
    reruns the whole page (twice after each sign-in), and its arguments make Streamlit import
    pandas and pyarrow (0.5 s on a first visit). The cookie is read from the request
    (``st.context.cookies``)."""
    if not COOKIE_VALUE_RE.match(value):
        raise ValueError("not a cookie value")
    when = format_datetime(expires.astimezone(dt.UTC), usegmt=True)
    script = (f"<script>document.cookie = '{COOKIE_NAME}={value}; path=/; expires={when}; "
              "SameSite=Strict';</script>")
    (where or st.sidebar).html(script, unsafe_allow_javascript=True)


def _set_cookie(user: auth.CurrentUser, cookie_key: str) -> None:
    """The sign-in cookie of this session's generation, for COOKIE_EXPIRY_DAYS."""
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=COOKIE_EXPIRY_DAYS)
    _write_cookie(auth.encode_session_token(user.username, st.session_state[GENERATION_KEY],
                                            cookie_key, expires.timestamp()), expires)


def _signed_out(where=None) -> None:
    """Forget the signed-in user in this session and delete the cookie (this run's page then
    shows the sign-in form); the script that deletes it goes in the sidebar, or ``where``."""
    for key in _SIGNED_OUT_KEYS:
        st.session_state[key] = None
    st.session_state.pop(USER_KEY, None)
    st.session_state.pop(GENERATION_KEY, None)
    _write_cookie("", dt.datetime(1970, 1, 1, tzinfo=dt.UTC), where)


def _mark_signed_in(user: auth.CurrentUser, generation: int) -> None:
    """Mark the session signed in with the keys streamlit-authenticator used (the tests seed
    them), plus the generation the session belongs to."""
    st.session_state.update({"authentication_status": True, "username": user.username,
                             "name": user.display_name, "roles": [user.role], GENERATION_KEY: generation})


def _signed_in_user(cookie_key: str) -> auth.CurrentUser | None:
    """The signed-in user, checked against the database on every rerun: a session whose
    account is gone or disabled, or whose generation moved on (signed out elsewhere, a new
    password, another role or county), ends here. Without a session, a valid cookie of the
    account's current generation resumes one (audited)."""
    if st.session_state.get("authentication_status"):
        with read_session() as session:
            user = auth.session_user(session, st.session_state.get("username"),
                                     st.session_state.get(GENERATION_KEY))
        if user is None:
            _signed_out(st.container())  # also deletes the cookie (no sidebar: the form follows)
        return user
    claims = auth.decode_session_token(st.context.cookies.get(COOKIE_NAME), cookie_key)
    resumed = auth.resume_session(claims) if claims else None
    if resumed is None:
        return None  # no cookie, a bad one, or one whose session has ended: the form
    user, generation = resumed
    _mark_signed_in(user, generation)
    return user


SIGN_IN_MESSAGES = {
    "wrong": "用户名或密码错误。",
    "locked": "该账户因多次登录失败已被锁定，请 15 分钟后再试，或联系管理员重置密码。",
    "locked_now": "连续 5 次登录失败，账户已锁定 15 分钟。",
}


def _sign_in(cookie_key: str) -> None:
    st.title("匠心 · 劳模工匠协会")
    st.caption("请使用单位分配的账户登录。")
    with st.form(key="Login"):
        st.subheader("登录")
        username = st.text_input("用户名", autocomplete="off")
        password = st.text_input("密码", type="password", autocomplete="off")
        submitted = st.form_submit_button("登录")
    if not submitted:
        _warm_up()
        return
    result = auth.attempt_sign_in(username, password, secret=cookie_key.encode())
    if result.outcome == "ok":
        _mark_signed_in(result.user, result.generation)
        st.session_state[SET_COOKIE_KEY] = True
        st.rerun()  # signed in just now: draw the page they asked for
    st.session_state["authentication_status"] = False
    st.error(SIGN_IN_MESSAGES[result.outcome])


def _warm_up() -> None:
    """Import WARM_UP_MODULES in a background thread, once per server process."""
    if _warm_up_started.is_set():
        return
    _warm_up_started.set()

    def work() -> None:
        time.sleep(WARM_UP_DELAY)  # the form is drawn first
        for name in WARM_UP_MODULES:
            try:
                importlib.import_module(name)
            except Exception as exc:  # the page will say it when it needs the module
                log.warning("warm-up: cannot import %s: %s", name, exc)

    threading.Thread(target=work, name="jiangxin-warm-up", daemon=True).start()


def _sign_out(user: auth.CurrentUser) -> None:
    """Sign-out ends every session of the account and refuses its cookies (the generation),
    then forgets the user here and deletes this browser's cookie."""
    with session_scope(user.actor) as session:
        auth.end_sessions_of(session, user.username)
        record(session, "logout", table="core_user", row_id=user.username, summary="退出登录")
    _signed_out()


def allowed_pages(host: PluginHost, user: auth.CurrentUser | None) -> list[tuple[str, object]]:
    """The declared pages ``user`` may open, in navigation order (none when signed out)."""
    if user is None:
        return []
    return [(plugin, page) for plugin, page in host.pages if host.allowed(user, page.permission)]


def _streamlit_pages(host: PluginHost, user: auth.CurrentUser | None):
    """Navigation sections, and which declared page each Streamlit page stands for.

    Streamlit serves the default page at ``/`` only, yet reserves its own pathname, so a deep
    link to it (``/core-overview``) would show its English "Page not found". The default page is
    therefore a copy at a reserved pathname (``HOME_URL_PATH``), served at ``/``, and the page
    itself stays at its own pathname, hidden. A pathname that is no page at all gets a hidden
    copy of the default page too, so no URL shows that notice.

    The default page is the user's start page (:func:`start_page`: 工作台 for staff and
    reviewers, 总览 for the others, before sign-in and for the wall screen ``/?wall=1``), or
    ``START_PAGE_KEY``'s (tests).
    """
    sections: dict[str, list] = defaultdict(list)
    declared: dict[int, tuple] = {}
    links: dict[str, st.Page] = {}
    allowed = {page.url_path for _, page in allowed_pages(host, user)}
    # ``/?wall=1`` is the office display: the overview's wall screen, whoever signed it in
    wall = st.query_params.get("wall") == "1"
    start = st.session_state.get(START_PAGE_KEY) or start_page(host, None if wall else user, allowed)
    home = None
    asked = _asked_page_name()
    # (a deep link to the reserved pathname itself gets the alias below instead)
    home_path = HOME_URL_PATH if asked != HOME_URL_PATH else HOME_URL_PATH + "-1"
    for plugin, page in host.pages:
        visible = page.url_path in allowed
        visibility = "visible" if visible else "hidden"
        default = page.url_path == start
        st_page = st.Page(page.target, title=page.title, icon=page.icon, url_path=page.url_path,
                          visibility="hidden" if default else visibility)
        if default:
            home = (plugin, page)
            shown = st.Page(page.target, title=page.title, icon=page.icon,
                            url_path=home_path, default=True, visibility=visibility)
            sections[page.section if visible else ""].append(shown)
            sections[""].append(st_page)
            declared[id(shown)] = (plugin, page)
        else:
            shown = st_page
            sections[page.section if visible else ""].append(st_page)
        declared[id(st_page)] = (plugin, page)
        if visible:
            links[page.url_path] = shown
    if home is not None and asked and asked not in {page.url_path for _, page in host.pages}:
        plugin, page = home
        alias = st.Page(page.target, title=page.title, icon=page.icon, url_path=asked,
                        visibility="hidden")
        sections[""].append(alias)
        declared[id(alias)] = home
    st.session_state[NAV_KEY] = links
    return dict(sections), declared


def start_page(host: PluginHost, user: auth.CurrentUser | None,
               allowed: set[str] | None = None) -> str | None:
    """The url_path of the page ``user`` lands on at ``/``: the first page (in navigation order)
    whose ``default_for`` holds the user's role and which the user may open, else the
    ``default`` page (also before sign-in, when there is no role)."""
    if allowed is None:
        allowed = {page.url_path for _, page in allowed_pages(host, user)}
    role = getattr(user, "role", None)
    for _, page in host.pages:
        if role in page.default_for and page.url_path in allowed:
            return page.url_path
    return next((page.url_path for _, page in host.pages if page.default), None)


def _asked_page_name() -> str | None:
    """The pathname the browser asked for in this run (a deep link), if it can be a page's."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    name = getattr(getattr(get_script_run_ctx(), "pages_manager", None),
                   "intended_page_name", None)
    return name if isinstance(name, str) and ASKED_NAME_RE.match(name) else None


def _sidebar(user: auth.CurrentUser) -> bool:
    """Who is signed in, and the sign-out button; False when the user signed out just now.

    Sign-out runs before the page so nothing of it is drawn for a signed-out user, and without a
    rerun (a rerun would keep the cookie and sign the user straight back in).
    """
    from core.data.models import ROLE_LABELS
    from core.settings.counties import county_name
    from core.ui.text import literal

    who = st.sidebar.empty()
    who.caption(f"{literal(user.display_name)} · {ROLE_LABELS.get(user.role, user.role)} · "
                f"{county_name(user.county_code)}")
    if not st.sidebar.button("退出登录", key="Logout"):
        return True
    _sign_out(user)  # its script that deletes the cookie goes below, not in the placeholder
    who.empty()
    return False


def _run_page(host: PluginHost, user: auth.CurrentUser, current, plugin: str, page) -> None:
    if not host.allowed(user, page.permission):
        st.error(FORBIDDEN)
        return
    try:
        current.run()
    except DatabaseUnavailable as exc:  # not the page's bug: the database is missing or damaged
        st.error(database_problem(exc))
    except Exception as exc:  # a page's bug stays on its page; details go to the server log
        host.report(plugin, f"页面 {page.url_path} 出错: {type(exc).__name__}: {exc}", exc)
        if host.settings.strict_plugins:
            raise  # strict mode (CI): the error itself, so AppTest's at.exception shows it
        st.error("页面出错，已记录。请稍后再试或联系管理员。")
