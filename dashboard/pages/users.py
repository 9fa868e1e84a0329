"""用户: administrators create accounts, change role and county, disable, reset passwords.

A new account and a reset password are the administrator's choice, so the user must choose
their own at the next sign-in (``must_change_password``, dashboard/password_gate.py). The
new-account form keeps what was typed when it is refused and is emptied only after success;
the outcome of a save is kept in the session so that it is still shown after the rerun.
"""

import streamlit as st
from sqlalchemy import select

from core.access import auth
from core.data.db import read_session, session_scope
from core.data.models import ROLE_LABELS, ROLES_BY_POWER, User
from core.settings.counties import county_name, load_counties
from core.ui import format_time, require
from core.ui.text import literal

NOTICE_KEY = "users_notice"  # the last save's success message, shown after its rerun
CLEAR_KEY = "users_clear"  # widget key -> empty value, set at the start of the next run
NEW_EMPTY = {"new_username": "", "new_name": "", "new_role": None, "new_county": "",
             "new_password": ""}

admin = require("core.users")
# Widgets may be emptied only before they are drawn in a run: here, after the rerun of a save.
# (Set, not deleted: only a value set through session_state reaches the browser's form.)
for key, empty in st.session_state.pop(CLEAR_KEY, {}).items():
    st.session_state[key] = empty
st.title("用户")
if notice := st.session_state.pop(NOTICE_KEY, None):
    st.success(notice)  # until the next action (popped: the next rerun no longer shows it)
county_options = [""] + [c.code for c in load_counties()]  # "": the whole city


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role)


with read_session() as session:
    users = session.scalars(select(User).order_by(User.username)).all()

st.dataframe(
    [{"用户名": u.username, "姓名": u.display_name, "角色": role_label(u.role),
      "区县": county_name(u.county_code), "状态": "已停用" if u.disabled else "启用",
      "须改密码": "是" if u.must_change_password else "否",
      "创建时间": format_time(u.created_at)} for u in users],
    hide_index=True, width="stretch")

create, edit = st.tabs(["新建账户", "修改账户"])


def saved(message: str, clear: dict[str, object]) -> None:
    """After a save: keep ``message`` for the next run, empty the ``clear`` widgets, rerun (the
    table above shows the change)."""
    st.session_state[NOTICE_KEY] = message
    st.session_state[CLEAR_KEY] = clear
    st.rerun()


with create:
    with st.form("create_user"):
        username = st.text_input("用户名", key="new_username",
                                 help="3–32 位小写字母、数字、点、下划线或短横线")
        name = st.text_input("姓名", key="new_name", max_chars=auth.DISPLAY_NAME_LENGTH)
        # No default role: the administrator chooses; the least powerful first.
        role = st.selectbox("角色", ROLES_BY_POWER, index=None, key="new_role",
                            placeholder="请选择角色", format_func=role_label)
        county = st.selectbox("区县", county_options, key="new_county", format_func=county_name)
        password = st.text_input("初始密码", type="password", key="new_password",
                                 help="至少 8 个字符；用户首次登录时须改为自己的密码")
        submitted = st.form_submit_button("创建")
    if submitted:
        try:
            if role is None:
                raise auth.AccountError("请选择角色")
            with session_scope(admin.actor) as session:
                auth.create_user(session, username, name, role, county or None, password,
                                 must_change_password=True)
        except auth.AccountError as exc:
            st.error(literal(exc))  # the form keeps what was typed
        else:
            saved(f"已创建账户 {literal(username.strip().lower())}，"
                  "该用户首次登录时须设置自己的密码", NEW_EMPTY)

with edit:
    names = [u.username for u in users]
    chosen = st.selectbox("账户", names, key="edit_user") if names else None
    target = next((u for u in users if u.username == chosen), None)
    if target is not None:
        reset_key = f"reset_password_{target.username}"
        with st.form("edit_user_form"):
            new_role = st.selectbox("角色", ROLES_BY_POWER,
                                    index=ROLES_BY_POWER.index(target.role),
                                    format_func=role_label)
            new_county = st.selectbox("区县", county_options,
                                      index=county_options.index(target.county_code or ""),
                                      format_func=county_name)
            disabled = st.checkbox("停用此账户", value=target.disabled)
            new_password = st.text_input("重置密码（留空则不变）", type="password", key=reset_key,
                                         help="用户下次登录时须改为自己的密码")
            submitted = st.form_submit_button("保存修改")
        if submitted:
            try:
                with session_scope(admin.actor) as session:
                    auth.update_user(session, target.username, role=new_role,
                                     county_code=new_county or None, disabled=disabled)
                    if new_password:
                        # Someone else's password chosen here: they must choose their own.
                        auth.set_password(session, target.username, new_password,
                                          must_change_password=target.username != admin.username)
            except auth.AccountError as exc:
                st.error(literal(exc))
            else:
                saved(f"已保存 {literal(target.username)}", {reset_key: ""})
