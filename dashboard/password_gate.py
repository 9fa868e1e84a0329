"""The first own password: an account whose password an administrator chose (a new account, a
reset) sees nothing but this form until its user has chosen a password of their own.

The shell calls :func:`enforce` after sign-in and before any navigation or page, so no link or
URL gets past it. The form itself (:func:`change_password_form`) is also 我的账户's: the same
fields and rules, and ``auth.change_own_password`` is what clears the flag.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.access import auth
from core.data.db import session_scope
from core.ui.text import literal

CHANGED_KEY = "jiangxin_password_changed"  # the run after the gate: say the password is set
FORM_KEY = "first_password"


def enforce(user: auth.CurrentUser, hide_pages: Callable[[], object]) -> None:
    """Show only the change-password form and end the run when ``user`` must choose a password;
    otherwise return at once. ``hide_pages`` registers the pages without showing or running any
    (so a deep link survives the gate)."""
    if st.session_state.pop(CHANGED_KEY, False):
        st.toast("密码已设置，欢迎使用。")
    if not user.must_change_password:
        return
    hide_pages()
    st.title("设置新密码")
    st.info("您的密码由管理员设置。请先设置只有您自己知道的新密码，然后才能使用系统。")
    if change_password_form(user, FORM_KEY, submit_label="保存新密码", title=None):
        st.session_state[CHANGED_KEY] = True
        st.rerun()  # the flag is cleared: the page they asked for
    st.stop()


def change_password_form(user: auth.CurrentUser, key: str, *, submit_label: str = "保存",
                         title: str | None = "修改密码") -> bool:
    """原密码, 新密码 twice; True once the password is changed (audited, through
    ``auth.change_own_password``: the old one must be right, the new one follow the rules and
    differ from it). Shows its own Chinese error otherwise."""
    with st.form(key, clear_on_submit=True):  # passwords are never kept in the form
        if title:
            st.subheader(title)
        old = st.text_input("原密码", type="password")
        new = st.text_input("新密码", type="password",
                            help=f"至少 {auth.MIN_PASSWORD_LENGTH} 个字符")
        again = st.text_input("再次输入新密码", type="password")
        submitted = st.form_submit_button(submit_label)
    if not submitted:
        return False
    if new != again:
        st.error("两次输入的新密码不一致")
        return False
    try:
        with session_scope(user.actor) as session:
            auth.change_own_password(session, user.username, old, new)
            generation = auth.session_generation(session, user.username)
    except auth.AccountError as exc:
        st.error(literal(exc))
        return False
    from dashboard.shell import GENERATION_KEY, SET_COOKIE_KEY  # the shell imports this module

    # Every other session of the account has ended; this one goes on, with a cookie of the
    # new generation (set on the next full run).
    st.session_state[GENERATION_KEY] = generation
    st.session_state[SET_COOKIE_KEY] = True
    return True
