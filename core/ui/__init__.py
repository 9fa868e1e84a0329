"""Helpers for page code (Streamlit): who is signed in, the plugin host, permission checks.

    from core.ui.text import literal
    from core.ui import current_user, require
    def board():
        user = require("hello.view")   # stops the page with 无权访问 when not allowed
        st.write(literal(user.display_name))   # data is shown as text, never as Markdown
"""

from __future__ import annotations

import streamlit as st

from core.access.auth import CurrentUser
from core.host.loader import PluginHost, get_host

USER_KEY = "jiangxin_user"
NAV_KEY = "jiangxin_nav"  # url_path -> st.Page the user may open (set by the shell)
FORBIDDEN = "无权访问"


def host() -> PluginHost:
    return get_host()


def current_user() -> CurrentUser | None:
    """The signed-in user (set by the dashboard shell before any page runs), or None."""
    return st.session_state.get(USER_KEY)


def can(permission: str | None) -> bool:
    return host().allowed(current_user(), permission)


def require(permission: str | None) -> CurrentUser:
    """The signed-in user if they hold ``permission``; otherwise show 无权访问 and stop the page."""
    user = current_user()
    if not host().allowed(user, permission):
        st.error(FORBIDDEN)
        st.stop()
    return user


def page_link(url_path: str, label: str, query_params: dict[str, str] | None = None,
              **kwargs) -> bool:
    """A link to another plugin's page, drawn only when the user may open it.

    ``query_params`` (e.g. ``{"county": "330182", "level": "全国"}``) are put in the target's
    URL, where its page reads them with ``st.query_params``; without them the link clears the
    current page's parameters."""
    page = st.session_state.get(NAV_KEY, {}).get(url_path)
    if page is None:
        return False
    st.page_link(page, label=label, query_params=query_params or None, **kwargs)
    return True


def format_time(value) -> str:
    """A stored (naive UTC) timestamp in the users' time zone (JIANGXIN_TIME_ZONE), to the second."""
    from core.settings import clock

    if value is None:
        return ""
    return clock.to_local(value).strftime("%Y-%m-%d %H:%M:%S")


def data_version_now(tables) -> int:
    """A number that grows with every write to ``tables``, read now in a read session of its
    own: the key of a page's ``st.cache_data`` that must see the next write at the next run.

        rows = counted(filters, data_version_now({"registry_person"}))"""
    from core.data.audit import data_version
    from core.data.db import read_session

    with read_session() as session:
        return data_version(session, set(tables))


def keep_list_filters(keys, away: bool, name: str) -> None:
    """The filters (widget ``keys``) of a list that a record replaces on the same page while
    ``away`` (e.g. ``"person" in st.query_params``), for the list to come back as it was.

    Kept while the record is shown (a widget not drawn in a run is forgotten), and set once more
    in the run that draws the list again (by a 返回 button or the browser's back): only a value
    set in the widget's own run reaches the browser, which otherwise draws the widgets empty over
    the kept list, and the next click on a row acts on another list's row. ``name`` tells the
    page's list from others. Call it before the list's widgets are drawn."""
    marker = f"jiangxin_away_from_{name}"
    if away:
        st.session_state[marker] = True
    elif not st.session_state.pop(marker, False):
        return
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
