"""签到: attendance at the door, on a phone (390×844 first).

``?event=<id>`` opens one event (without it: a choice of the user's recent events). At the top
the counts (出席, 缺席, 请假, 未签到); a search box; then one full-width button a person, named
on the button, that records 出席 when pressed, each with a small 其他 menu for 请假, 缺席 or
clearing; 50 people a page; "其余标为缺席" at the end, confirmed first.

Buttons act in callbacks (``on_click``), which run before the page is drawn again: the counts
and the pressed button already show the new attendance. The services check permission and
county (``attendance.record_attendance``); the page only shows what they refuse.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st
from sqlalchemy import select

from core.access.permissions import PermissionDenied
from core.data.db import read_session, session_scope
from core.host.people import display_names
from core.ui import current_user, page_link, require
from core.ui.text import literal
from plugins.events import attendance as att
from plugins.events import invitations as inv
from plugins.events.models import Event
from plugins.events.queries import EventError, counties_of, event_for, now_wall
from plugins.events.vocab import ABSENT, CANCELLED, EXCUSED, LECTURER, NOT_TAKEN, PRESENT

PAGE_SIZE = 50
KEY = "events_att"
FLASH = f"{KEY}_flash"
CONFIRM = f"{KEY}_confirm_rest"
MARKS = {PRESENT: "✅", ABSENT: "⛔", EXCUSED: "📝", None: "⬜"}
RECENT_DAYS = 14  # events the chooser offers: started in the last fortnight, or today


def _flash(message: str, ok: bool = True) -> None:
    st.session_state[FLASH] = (ok, message)


def _show_flash() -> None:
    kept = st.session_state.pop(FLASH, None)
    if kept:
        ok, message = kept
        (st.success if ok else st.error)(literal(message))


def _record(participant_id: int, value: str | None, name: str) -> None:
    """A button's callback: record ``value`` for one person; what happened is shown on top."""
    user = current_user()
    try:
        with session_scope(user.actor) as session:
            att.record_attendance(session, user, participant_id, value)
    except (EventError, PermissionDenied) as refused:
        _flash(str(refused), ok=False)
        return
    _flash(f"{name}：{value or '已清除出勤'}")


def _rest_absent(event_id: int) -> None:
    user = current_user()
    st.session_state[CONFIRM] = False
    try:
        with session_scope(user.actor) as session:
            count = att.mark_rest_absent(session, user, event_id)
    except (EventError, PermissionDenied) as refused:
        _flash(str(refused), ok=False)
        return
    _flash(f"已将其余 {count} 人标为缺席")


def _chooser(user) -> None:
    """No event asked for: the user's events that started lately (or start today)."""
    st.title("签到", anchor=False)
    now = now_wall()
    stmt = (select(Event.id, Event.title, Event.starts_at)
            .where(Event.status != CANCELLED, Event.starts_at <= now.replace(hour=23, minute=59),
                   Event.ends_at >= now - dt.timedelta(days=RECENT_DAYS))
            .order_by(Event.starts_at.desc()).limit(PAGE_SIZE))
    counties = counties_of(user)
    if counties is not None:
        stmt = stmt.where(Event.county_code.in_(counties))
    with read_session() as session:
        events = session.execute(stmt).all()
    if not events:
        st.info(f"近 {RECENT_DAYS} 天没有可签到的活动。请从日程中打开活动，再点“签到”。")
        page_link("events-calendar", "前往日程", icon="📅")
        return
    labels = {e.id: f"{e.starts_at:%m-%d %H:%M} {e.title}" for e in events}
    chosen = st.selectbox("选择活动", list(labels), index=None, placeholder="请选择要签到的活动",
                          format_func=labels.get)
    if chosen is not None:
        st.query_params["event"] = str(chosen)
        st.rerun()


def _event_id() -> int | None:
    try:
        return int(st.query_params.get("event") or "")
    except ValueError:
        return None


def attendance_page() -> None:
    user = require("events.edit")
    if "event" not in st.query_params:
        _chooser(user)
        return
    event_id = _event_id()
    try:
        with read_session() as session:
            if event_id is None:
                raise EventError("找不到该活动，或您无权查看")
            event = event_for(session, user, event_id, "events.edit")
            title, starts, place = event.title, event.starts_at, event.place
            try:
                att.check_open(event)
                closed = None
            except EventError as why:
                closed = str(why)
    except PermissionDenied:
        st.title("签到", anchor=False)
        st.error("该活动不属于您的区县，不能签到")
        return
    except EventError as missing:
        st.title("签到", anchor=False)
        st.error(str(missing))
        return
    st.title("签到", anchor=False)
    st.subheader(literal(title), anchor=False)
    st.caption(f"{starts:%Y-%m-%d %H:%M}　{literal(place)}")
    page_link("events-event", "返回活动详情", {"event": str(event_id)}, icon="🎫")
    _show_flash()
    if closed:
        st.info(closed)
    _counts(event_id)
    _people(user, event_id, disabled=closed is not None)


def _counts(event_id: int) -> None:
    with read_session() as session:
        counts = att.attendance_counts(session, event_id)
    total = sum(counts.values())
    # one line of text: four metrics would stack into a screenful on a phone
    st.markdown(f"**出席 {counts[PRESENT]}**　·　缺席 {counts[ABSENT]}　·　请假 {counts[EXCUSED]}"
                f"　·　{NOT_TAKEN} {counts[NOT_TAKEN]}　（共 {total} 人）")


def _people(user, event_id: int, *, disabled: bool) -> None:
    text = st.text_input("查找", placeholder="输入姓名或单位查找", max_chars=50, key=f"{KEY}_q_{event_id}")
    with read_session() as session:
        total = inv.participant_count(session, user, event_id, text)
        pages = max(1, -(-total // PAGE_SIZE))
        page = 0
        if pages > 1:
            page = st.selectbox("页码", range(pages), format_func=lambda i: f"第 {i + 1} 页（共 {pages} 页）",
                                key=f"{KEY}_page_{event_id}_{text}")
        rows = inv.participants(session, user, event_id, text, page * PAGE_SIZE, PAGE_SIZE)
        names = display_names(session, user, [(r.person_id, r.name) for r in rows])
    if not total:
        st.info("没有找到符合条件的人员。" if text.strip() else "还没有邀请人员。请在活动详情中邀请。")
        return
    st.caption(f"找到 {total} 人" if text.strip() else f"共 {total} 人，点姓名即为出席")
    for row, name in zip(rows, names, strict=True):
        _person(row, name, disabled)
    if not disabled and not text.strip():
        _rest_control(event_id)


def _person(row, name: str, disabled: bool) -> None:
    """One person: the big button (出席) and the 其他 menu, on one line even on a phone."""
    shown = name + ("（已故）" if row.deceased else "")
    state = row.attendance or NOT_TAKEN
    role = f"　{LECTURER}" if row.role == LECTURER else ""
    label = f"{MARKS.get(row.attendance, '⬜')} {literal(shown)}{role}　{state}"
    with st.container(horizontal=True, vertical_alignment="center", gap="small", wrap=False):
        st.button(label, key=f"{KEY}_p_{row.id}", on_click=_record, args=(row.id, PRESENT, shown),
                  type="primary" if row.attendance is None else "secondary", width="stretch",
                  disabled=disabled or row.attendance == PRESENT)
        with st.popover("其他", disabled=disabled, key=f"{KEY}_more_{row.id}"):
            for value, text in ((EXCUSED, "请假"), (ABSENT, "缺席"), (None, "清除出勤")):
                st.button(text, key=f"{KEY}_{value or 'clear'}_{row.id}", on_click=_record,
                          args=(row.id, value, shown), width="stretch",
                          disabled=row.attendance == value)


def _rest_control(event_id: int) -> None:
    """其余标为缺席: asks once more before writing."""
    st.divider()
    if not st.session_state.get(CONFIRM):
        st.button("其余标为缺席", key=f"{KEY}_rest", width="stretch",
                  on_click=lambda: st.session_state.update({CONFIRM: True}))
        return
    st.warning("确定将所有未签到的人标为缺席吗？")
    with st.container(horizontal=True):
        st.button("确定", key=f"{KEY}_rest_yes", type="primary", on_click=_rest_absent, args=(event_id,))
        st.button("取消", key=f"{KEY}_rest_no", on_click=lambda: st.session_state.update({CONFIRM: False}))
