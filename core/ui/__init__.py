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
