"""我的账户: who I am, and changing my own password."""

import streamlit as st

from core.data.models import ROLE_LABELS
from core.settings.counties import county_name
from core.ui import require
from core.ui.text import literal
from dashboard.password_gate import change_password_form

user = require("core.account")
st.title("我的账户")
st.write(f"**{literal(user.display_name)}**（{literal(user.username)}）· {ROLE_LABELS.get(user.role, user.role)} · "
         f"{county_name(user.county_code)}")

if change_password_form(user, "change_password"):
    st.success("密码已修改")
