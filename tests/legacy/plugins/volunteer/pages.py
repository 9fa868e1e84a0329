import datetime as dt

from sqlalchemy import select

from core.counties import county_name
from core.db import read_session, session_scope

from .models import VolunteerActivity


def activities_page() -> None:
    import streamlit as st  # imported when the page is drawn: see performance.md

    from core.ui import can, require

    user = require("volunteer.view")
    st.title("志愿服务")
    with read_session() as session:
        stmt = select(VolunteerActivity).order_by(VolunteerActivity.held_on.desc())
        if user.county_code is not None:          # county staff see their own county only
            stmt = stmt.where(VolunteerActivity.county_code == user.county_code)
        rows = [{"日期": a.held_on, "活动": a.title, "区县": county_name(a.county_code),
                 "时长（小时）": a.hours} for a in session.scalars(stmt)]
    st.dataframe(rows, hide_index=True, width="stretch")

    if can("volunteer.edit") and user.county_code is not None:
        with st.form("add_activity", clear_on_submit=True):
            title = st.text_input("活动")
            held_on = st.date_input("日期", value=dt.date.today())
            hours = st.number_input("时长（小时）", min_value=0.5, step=0.5)
            if st.form_submit_button("登记") and title.strip():
                with session_scope(user.actor) as session:   # audited as this user
                    session.add(VolunteerActivity(title=title.strip(), held_on=held_on,
                                                  hours=hours, county_code=user.county_code))
                st.rerun()
