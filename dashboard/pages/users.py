"""用户: administrators create accounts, change role and county, disable, reset passwords."""

import streamlit as st
from sqlalchemy import select

from core.access import auth
from core.data.db import read_session, session_scope
from core.data.models import ROLE_LABELS, ROLES, User
from core.settings.counties import county_name, load_counties
from core.ui import format_time, require
from core.ui.text import literal

admin = require("core.users")
st.title("用户")
county_options = [""] + [c.code for c in load_counties()]  # "": the whole city


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role)


with read_session() as session:
    users = session.scalars(select(User).order_by(User.username)).all()

st.dataframe(
    [{"用户名": u.username, "姓名": u.display_name, "角色": role_label(u.role),
      "区县": county_name(u.county_code), "状态": "已停用" if u.disabled else "启用",
      "创建时间": format_time(u.created_at)} for u in users],
    hide_index=True, width="stretch")

create, edit = st.tabs(["新建账户", "修改账户"])

with create, st.form("create_user", clear_on_submit=True):
    username = st.text_input("用户名", help="3–32 位小写字母、数字、点、下划线或短横线")
    name = st.text_input("姓名", max_chars=auth.DISPLAY_NAME_LENGTH)
    role = st.selectbox("角色", ROLES, format_func=role_label)
    county = st.selectbox("区县", county_options, format_func=county_name)
    password = st.text_input("初始密码", type="password", help="至少 8 个字符")
    if st.form_submit_button("创建"):
        try:
            with session_scope(admin.actor) as session:
                auth.create_user(session, username, name, role, county or None, password)
        except auth.AccountError as exc:
            st.error(literal(exc))
        else:
            st.success(f"已创建账户 {literal(username.strip().lower())}")
            st.rerun()

with edit:
    names = [u.username for u in users]
    chosen = st.selectbox("账户", names, key="edit_user") if names else None
    target = next((u for u in users if u.username == chosen), None)
    if target is not None:
        with st.form("edit_user_form"):
            new_role = st.selectbox("角色", ROLES, index=ROLES.index(target.role),
                                    format_func=role_label)
            new_county = st.selectbox("区县", county_options,
                                      index=county_options.index(target.county_code or ""),
                                      format_func=county_name)
            disabled = st.checkbox("停用此账户", value=target.disabled)
            new_password = st.text_input("重置密码（留空则不变）", type="password")
            if st.form_submit_button("保存修改"):
                try:
                    with session_scope(admin.actor) as session:
                        auth.update_user(session, target.username, role=new_role,
                                         county_code=new_county or None, disabled=disabled)
                        if new_password:
                            auth.set_password(session, target.username, new_password)
                except auth.AccountError as exc:
                    st.error(literal(exc))
                else:
                    st.success(f"已保存 {literal(target.username)}")
                    st.rerun()
