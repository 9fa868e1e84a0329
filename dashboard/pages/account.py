"""我的账户: who I am, and changing my own password."""

import streamlit as st

from core.access import auth
from core.data.db import session_scope
from core.data.models import ROLE_LABELS
from core.settings.counties import county_name
from core.ui import require
from core.ui.text import literal

user = require("core.account")
st.title("我的账户")
st.write(f"**{literal(user.display_name)}**（{literal(user.username)}）· {ROLE_LABELS.get(user.role, user.role)} · "
         f"{county_name(user.county_code)}")

with st.form("change_password", clear_on_submit=True):
    st.subheader("修改密码")
    old = st.text_input("原密码", type="password")
    new = st.text_input("新密码", type="password", help="至少 8 个字符")
    again = st.text_input("再次输入新密码", type="password")
    if st.form_submit_button("保存"):
        if new != again:
            st.error("两次输入的新密码不一致")
        else:
            try:
                with session_scope(user.actor) as session:
                    auth.change_own_password(session, user.username, old, new)
                    generation = auth.session_generation(session, user.username)
            except auth.AccountError as exc:
                st.error(literal(exc))
            else:
                # Every other session of the account has ended; this one goes on, with a
                # cookie of the new generation (set on the next full run).
                st.session_state["jiangxin_session_generation"] = generation
                st.session_state["jiangxin_set_cookie"] = True
                st.success("密码已修改")
