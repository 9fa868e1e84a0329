from sqlalchemy import select

from core.data.db import read_session
from core.settings.counties import county_name

from .models import VolunteerActivity
from .sheets import ACTIVITIES


def activities_page() -> None:
    import streamlit as st  # imported when the page is drawn: see performance.md

    from core.spreadsheet import table_form
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

    if can("volunteer.edit"):
        st.subheader("登记活动")
        # one row of the spreadsheet table: checked as its import checks a row, written by its
        # write_rows as this user (audited); county staff's county is filled in and locked
        table_form(ACTIVITIES, user, key="add_activity", submit_label="登记")
