"""The frame around every page: configuration, schema check, sign-in, navigation, guards.

Each rerun: build the sign-in from the accounts in the database, then the navigation from the
pages plugins declare (pages the user may not use are hidden, and opening one by its URL shows
无权访问), then run the current page inside an error guard so one plugin's bug stays on its page.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict

import streamlit as st
import streamlit_authenticator as stauth
from sqlalchemy.exc import DatabaseError
from streamlit_authenticator.utilities import LoginError

from core import auth
from core.audit import Actor, record
from core.config import ConfigError, load_settings
from core.db import (
    DatabaseUnavailable,
    damaged,
    get_engine,
    read_session,
    session_scope,
    sqlite_file,
)
from core.migrate import SchemaOutOfDate, check_schema
from core.plugins import PluginHost, get_host
from core.ui import FORBIDDEN, NAV_KEY, USER_KEY

log = logging.getLogger("jiangxin.shell")

START_PAGE_KEY = "jiangxin_start_page"  # lets tests open a given page as the first one
SET_COOKIE_KEY = "jiangxin_set_cookie"
COOKIE_NAME = "jiangxin_auth"
COOKIE_EXPIRY_DAYS = 0.5  # a working day; the cookie is readable by scripts, keep it short
LOGIN_FIELDS = {"Form name": "登录", "Username": "用户名", "Password": "密码", "Login": "登录"}

_schema_ok: set[str] = set()
_schema_lock = threading.Lock()


def main() -> None:
    wall = st.query_params.get("wall") == "1"
    st.set_page_config(page_title="匠心 · 劳模工匠协会", page_icon="🛠️", layout="wide",
                       initial_sidebar_state="collapsed" if wall else "auto")
    try:
        _main()
    except (DatabaseUnavailable, DatabaseError) as exc:
        _stop(database_problem(exc))


def database_problem(exc: Exception) -> str:
    """The Chinese message for a database that cannot be used (missing, removed or replaced
    under the server, damaged, unreachable); the details go to the server log."""
    if not isinstance(exc, DatabaseUnavailable):
        path = sqlite_file(load_settings().database_url)
        exc = (damaged(exc, path) if path is not None else None) or exc
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

    with read_session() as session:
        credentials, locked = auth.authenticator_credentials(session)
    # Hashes come from the database (auto_hash off); no sleep, so deep links survive sign-in.
    authenticator = stauth.Authenticate(credentials, COOKIE_NAME, cookie_key, COOKIE_EXPIRY_DAYS,
                                        auto_hash=False, login_sleep_time=0)
    # (after the constructor, which replaces the dict with a lower-cased copy)
    credentials["usernames"] = AskedUsernames(credentials["usernames"])
    user = _signed_in_user(authenticator)
    if user is not None and not _sidebar(authenticator, user):
        user = None  # signed out just now: fall through to the sign-in form in this same run
    if user is None:
        # Register the pages (hidden) so a deep link survives sign-in, but run none of them.
        st.navigation(_streamlit_pages(host, None)[0], position="hidden")
        _sign_in(authenticator, credentials, locked)
        st.stop()

    st.session_state[USER_KEY] = user
    if st.session_state.pop(SET_COOKIE_KEY, False):
        # Set the sign-in cookie in a run that is not cut short: the run that accepted the form
        # reruns at once to draw the page, which would drop streamlit-authenticator's own
        # cookie component before the browser mounted it.
        with st.sidebar:
            authenticator.cookie_controller.set_cookie()
    sections, declared = _streamlit_pages(host, user)
    current = st.navigation(sections)
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


def _signed_in_user(authenticator) -> auth.CurrentUser | None:
    if not st.session_state.get("authentication_status"):
        return None
    with read_session() as session:
        user = auth.load_current_user(session, st.session_state["username"])
    if user is None:  # disabled or deleted since sign-in
        authenticator.logout(location="unrendered")
        st.session_state.pop(USER_KEY, None)
    return user


def _sign_in(authenticator, credentials: dict, locked: set[str]) -> None:
    st.title("匠心 · 劳模工匠协会")
    st.caption("请使用单位分配的账户登录。")
    try:
        authenticator.login(location="main", fields=LOGIN_FIELDS, key="Login", callback=_on_login)
    except LoginError as exc:
        log.warning("sign-in refused: %s", exc)
        st.error("登录状态已失效，请重新登录。")
        return
    if st.session_state.get("authentication_status") is not False:
        if st.session_state.get("authentication_status"):
            st.rerun()  # signed in just now: draw the page they asked for
        return
    # streamlit-authenticator counts failures in the dict we gave it: that tells us who tried.
    tried = [name for name, data in credentials["usernames"].items()
             if data.get("failed_login_attempts")]
    if any(name in locked for name in tried):
        st.error("该账户因多次登录失败已被锁定，请 15 分钟后再试，或联系管理员重置密码。")
        return
    for name in tried:
        with session_scope(Actor(name, "unknown")) as session:
            if auth.record_failure(session, name):
                st.error("连续 5 次登录失败，账户已锁定 15 分钟。")
                return
    unknown = credentials["usernames"].asked
    if not tried and unknown:  # no such account (or a disabled one): audited, never counted
        with session_scope(Actor(unknown[:64], "unknown")) as session:
            record(session, "login_failed", table="core_user", row_id=unknown[:64],
                   summary="登录失败：没有这个账户或账户已停用")
    st.error("用户名或密码错误。")


class AskedUsernames(dict):
    """The accounts given to streamlit-authenticator, remembering the last username it looked
    up: it reports a sign-in with an unknown username only as a failure, but it asks the
    credentials whether the name is there (``name in credentials["usernames"]``) first."""

    asked: str | None = None

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self.asked = name
        return super().__contains__(name)


def _on_login(info: dict) -> None:
    username = info["username"]
    st.session_state[SET_COOKIE_KEY] = True
    with session_scope(Actor(username, (info.get("roles") or ["?"])[0])) as session:
        auth.clear_failures(session, username)
        record(session, "login", table="core_user", row_id=username, summary="登录")


def _on_logout(info: dict) -> None:
    username = info.get("username")
    if username:
        with session_scope(Actor(username, (info.get("roles") or ["?"])[0])) as session:
            record(session, "logout", table="core_user", row_id=username, summary="退出登录")
    st.session_state.pop(USER_KEY, None)


def allowed_pages(host: PluginHost, user: auth.CurrentUser | None) -> list[tuple[str, object]]:
    """The declared pages ``user`` may open, in navigation order (none when signed out)."""
    if user is None:
        return []
    return [(plugin, page) for plugin, page in host.pages if host.allowed(user, page.permission)]


def _streamlit_pages(host: PluginHost, user: auth.CurrentUser | None):
    """Navigation sections, and which declared page each Streamlit page stands for."""
    start = st.session_state.get(START_PAGE_KEY)
    sections: dict[str, list] = defaultdict(list)
    declared: dict[int, tuple] = {}
    links: dict[str, st.Page] = {}
    allowed = {page.url_path for _, page in allowed_pages(host, user)}
    for plugin, page in host.pages:
        visible = page.url_path in allowed
        default = page.url_path == start if start else page.default
        st_page = st.Page(page.target, title=page.title, icon=page.icon, url_path=page.url_path,
                          default=default, visibility="visible" if visible else "hidden")
        sections[page.section if visible else ""].append(st_page)
        declared[id(st_page)] = (plugin, page)
        if visible:
            links[page.url_path] = st_page
    st.session_state[NAV_KEY] = links
    return dict(sections), declared


def _sidebar(authenticator, user: auth.CurrentUser) -> bool:
    """Who is signed in, and the sign-out button; False when the user signed out just now.

    Sign-out runs before the page so nothing of it is drawn for a signed-out user, and without a
    rerun (a rerun would keep the cookie and sign the user straight back in).
    """
    from core.counties import county_name
    from core.models import ROLE_LABELS

    who = st.sidebar.empty()
    who.caption(f"{user.display_name} · {ROLE_LABELS.get(user.role, user.role)} · "
                f"{county_name(user.county_code)}")
    # Not in a placeholder: clearing it would drop the component that deletes the cookie.
    authenticator.logout("退出登录", location="sidebar", key="Logout", callback=_on_logout)
    if st.session_state.get("authentication_status"):
        return True
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
        st.error("页面出错，已记录。请稍后再试或联系管理员。")
