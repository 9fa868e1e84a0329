"""导入导出: events and sign-in sheets through core's spreadsheet widgets (template, checked
all-or-nothing import, county-scoped export)."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import func, select

from core.access.permissions import in_counties
from core.data.db import read_session
from core.spreadsheet.widgets import export_button, import_panel
from core.ui import require
from plugins.events.models import Event, Participant


def _counts(counties) -> tuple[int, int]:
    """Events and invitations the user's export holds (their counties' events only)."""
    with read_session() as session:
        events = session.scalar(select(func.count()).select_from(Event)
                                .where(in_counties(Event.county_code, counties)))
        invited = session.scalar(select(func.count()).select_from(Participant)
                                 .join(Event, Event.id == Participant.event_id)
                                 .where(in_counties(Event.county_code, counties)))
    return int(events or 0), int(invited or 0)


def io_page() -> None:
    user = require("events.import")
    st.title("活动导入导出", anchor=False)
    st.caption("每一行都检查通过才会写入，否则一行也不写。")
    events, invited = _counts(user.visible_counties())
    event_tab, attendance_tab = st.tabs(["活动", "签到表"])
    with event_tab:
        st.caption("按“所属区县＋活动名称＋日期”识别活动，已登记的活动跳过，不会重复登记。"
                   "活动类型须是年度计划中列出的类型；状态不填为计划，已开始的活动可填已举办，取消的须在“状态说明”中写明原因。"
                   "导出表中的“活动编号”用于填写签到表。")
        import_panel("events_events")
        export_button("events_events", f"导出活动（{events} 场）")
    with attendance_tab:
        st.caption("每行一人：活动编号、姓名、出勤（出席、缺席、请假），人员编号可不填。"
                   "只能登记本区县已经开始、未取消的活动中已邀请的人员；同名的人请填写人员编号。"
                   "导出的签到表列出各活动的全部受邀人员，填好出勤后可直接导入。")
        import_panel("events_attendance")
        export_button("events_attendance", f"导出签到表（{invited} 人次）")
