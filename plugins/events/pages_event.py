"""活动详情 (``events-event?event=<id>``): one event's record (kind, title, county, organiser,
place, times, capacity, class hours, series, status, summary) and photos; for staff of its
county (an admin for any), its edit form, status and photos to add or remove; then the
participants (helper module ``participants_ui``) and a link to 签到.

An event outside the reader's scope, or none at all, is "not found" without saying which.
"""

from __future__ import annotations

import importlib

import streamlit as st

from core.access.permissions import PermissionDenied
from core.data.db import read_session, session_scope
from core.settings.counties import county_name
from core.ui import can, page_link, require
from core.ui.text import literal
from core.ui.uploads import file_uploader
from plugins.events import events as svc
from plugins.events import photos as photo_svc
from plugins.events.pages_calendar import MESSAGES, day_text, event_fields, when_text
from plugins.events.queries import NOT_FOUND, EventError, can_change, event_for
from plugins.events.vocab import (
    CANCELLED,
    HELD,
    MAX_PHOTO_MB,
    MAX_PHOTOS,
    PHOTO_TYPES,
    PLANNED,
    STATUSES,
)

PARTICIPANTS = "plugins.events.participants_ui"
COLUMNS = ("id", "kind", "title", "organiser", "county_code", "place", "starts_at", "ends_at", "capacity",
           "class_hours", "series", "status", "status_reason", "summary")


def _participants_section():
    """participants_ui.participants_section, or None while that module is not there yet."""
    try:
        module = importlib.import_module(PARTICIPANTS)
    except ModuleNotFoundError as exc:
        if exc.name != PARTICIPANTS:  # a module it needs is missing: a real error
            raise
        return None
    return getattr(module, "participants_section", None)


def _not_found() -> None:
    st.title("活动详情", anchor=False)
    st.error(NOT_FOUND)
    page_link("events-calendar", "返回日程", icon="📅")


def event_page() -> None:
    user = require("events.view")
    wanted = st.query_params.get("event")
    if not wanted:
        st.title("活动详情", anchor=False)
        st.info("请在日程中选择一场活动。")
        page_link("events-calendar", "前往日程", icon="📅")
        return
    try:
        event_id = int(str(wanted).strip())
        with read_session() as session:
            event = event_for(session, user, event_id)
            record = {c: getattr(event, c) for c in COLUMNS}
            pictures = photo_svc.photos_of(session, event_id)
    except (EventError, PermissionDenied, ValueError, OverflowError):
        _not_found()
        return
    editor = can("events.edit") and can_change(user, event)
    st.title("活动详情", anchor=False)
    page_link("events-calendar", "返回日程", {"month": f"{record['starts_at']:%Y-%m}"}, icon="📅")
    MESSAGES.show()
    _record(record)
    _photos(user, record, pictures, editor)
    if editor:
        _actions(user, record, pictures)
    if editor and record["status"] != CANCELLED:
        page_link("events-attendance", "前往签到", {"event": str(event_id)}, icon="✅")
    section = _participants_section()
    if section is not None:
        with read_session() as session:
            section(session, user, event_for(session, user, event_id))


def _line(pairs: list[tuple[str, object]]) -> str:
    return "　".join(f"**{label}**：{literal(value if value not in (None, '') else '—')}" for label, value in pairs)


def _record(r: dict) -> None:
    with st.container(border=True):
        st.subheader(literal(r["title"]), anchor=False)
        # the number a sign-in sheet (导入导出) asks for: staff read it here
        st.markdown(_line([("活动编号", r["id"]), ("类型", r["kind"]), ("所属区县", county_name(r["county_code"]))]))
        st.markdown(_line([("主办单位", r["organiser"])]))
        st.markdown(_line([("地点", r["place"])]))
        st.markdown(_line([("时间", f"{day_text(r['starts_at'].date())} {when_text(r['starts_at'], r['ends_at'])}")]))
        capacity = f"{r['capacity']} 人" if r["capacity"] else "不限"
        hours = f"{r['class_hours']:g} 课时" if r["class_hours"] else None
        st.markdown(_line([("名额", capacity), ("课时", hours)]))
        if r["series"]:
            st.markdown(_line([("系列", r["series"])]))
        status = [("状态", r["status"])]
        if r["status_reason"]:
            status.append(("取消原因" if r["status"] == CANCELLED else "说明", r["status_reason"]))
        st.markdown(_line(status))
        st.markdown("**活动小结**")
        if r["summary"]:
            st.text(r["summary"])  # typed text, shown as text
        else:
            st.caption("暂无活动小结")


def _photos(user, r: dict, pictures: list, editor: bool) -> None:
    st.markdown(f"**活动照片**（{len(pictures)} 张）")
    if not pictures:
        st.caption("暂无照片")
        return
    columns = st.columns(3)
    with read_session() as session:
        for i, p in enumerate(pictures):
            columns[i % 3].image(photo_svc.photo_bytes(session, user, p.id), width="stretch")


# --- what an editor may change -------------------------------------------------------------------

def _write(user, action, message: str) -> None:
    try:
        with session_scope(user.actor) as session:
            action(session)
    except (EventError, PermissionDenied) as exc:
        st.error(literal(exc))
        return
    MESSAGES.done(message)


def _actions(user, r: dict, pictures: list) -> None:
    eid, n, title = r["id"], MESSAGES.round(), literal(r["title"])
    st.markdown("**维护**")
    with st.expander("修改活动信息"), st.form(f"eve_edit_{eid}_{n}"):
        with read_session() as session:
            values = event_fields(session, user, f"eve_edit_{eid}_{n}", r)
        if st.form_submit_button("保存修改"):
            _write(user, lambda s: svc.update_event(s, user, eid, **values), f"已保存活动“{title}”。")
    _status_form(user, r, n)
    with st.expander("上传照片"):
        st.caption(f"jpg 或 png，每张不超过 {MAX_PHOTO_MB} MB，每场活动最多 {MAX_PHOTOS} 张。")
        upload = file_uploader("照片", types=PHOTO_TYPES, max_mb=MAX_PHOTO_MB, key=f"eve_photo_{eid}_{n}")
        if st.button("上传", key=f"eve_upload_{eid}_{n}", disabled=upload is None):
            if upload.size > photo_svc.MAX_BYTES:  # refused by its size before it is read
                st.error(f"照片不能超过 {MAX_PHOTO_MB} MB")
            else:
                _write(user, lambda s: photo_svc.add_photo(s, user, eid, upload.name, upload.getvalue()),
                       f"已为“{title}”上传照片。")
    if pictures:
        with st.expander("删除照片"):
            by_id = {p.id: p for p in pictures}
            chosen = st.selectbox("照片", list(by_id), index=None, placeholder="请选择要删除的照片",
                                  format_func=lambda i: f"第 {list(by_id).index(i) + 1} 张：{by_id[i].filename}",
                                  key=f"eve_photo_pick_{eid}_{n}")
            if st.button("删除", key=f"eve_photo_remove_{eid}_{n}", disabled=chosen is None):
                _write(user, lambda s: photo_svc.remove_photo(s, user, chosen), f"已删除“{title}”的一张照片。")


def _status_form(user, r: dict, n: int) -> None:
    eid = r["id"]
    choices = [s for s in STATUSES if s != r["status"]]
    labels = {PLANNED: "恢复为计划" if r["status"] == CANCELLED else "改回计划", HELD: "已举办", CANCELLED: "取消活动"}
    with st.expander("变更状态"):
        status = st.radio("新状态", choices, horizontal=True, format_func=lambda s: labels[s],
                          key=f"eve_status_{eid}_{n}")
        reason = st.text_input("原因（取消时必填）", max_chars=svc.MAX_REASON, key=f"eve_reason_{eid}_{n}")
        if st.button("确认变更", key=f"eve_status_go_{eid}_{n}"):
            _write(user, lambda s: svc.set_status(s, user, eid, status, reason),
                   f"“{literal(r['title'])}”已变更为{status}。")
