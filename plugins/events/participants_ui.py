"""活动详情's participants: who is invited, with their role, registration and attendance, and
for staff of the event's county the ways to invite (a person picker, a whole roster search,
a guest), change a registration and remove someone.

    participants_section(session, user, event)   # called by pages_event, inside its page

Names are live (``core.host.people.display_names``: the roster's name when it answers, else
the stored one); 50 people a page, searched in SQL. Every change goes through
``invitations`` (which checks permission and county itself) in its own ``session_scope``.
Forms clear once submitted: their widgets' keys carry a counter bumped on success.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.access.permissions import PermissionDenied
from core.data.db import session_scope
from core.host.people import PeopleQuery, display_names, people_available
from core.settings.counties import county_name, county_names
from core.ui import can
from core.ui.messages import PageMessages
from core.ui.people import people_picker
from core.ui.text import literal
from plugins.events import attendance as att
from plugins.events import invitations as inv
from plugins.events.queries import EventError, can_change, counties_of
from plugins.events.vocab import (
    ABSENT,
    EXCUSED,
    LECTURER,
    NOT_TAKEN,
    PARTICIPANT,
    PRESENT,
    REGISTERED,
    ROLES,
)

PAGE_SIZE = 50
KEY = "events_pt"
MESSAGES = PageMessages(KEY)  # the last action's message; every form starts empty again after it
HONOUR_LEVELS = ("全国", "省级", "市级", "区县级")  # core.host.people.PersonRef.honour_level
ANY = "不限"


def _act(user, action, success) -> None:
    """Run ``action(session)`` in an audited session; a refusal is shown, success reruns."""
    try:
        with session_scope(user.actor) as session:
            result = action(session)
    except (EventError, PermissionDenied) as refused:
        st.error(literal(str(refused)))
        return
    MESSAGES.done(success(result))


def participants_section(session, user, event) -> None:
    """The participants of ``event`` as ``user`` may see them, and (staff of its county) the
    invitation forms. ``session`` is the page's read session."""
    st.subheader("参加人员", anchor=False)
    slot = st.empty()  # drawn on every run, so the sections below keep their places
    if message := MESSAGES.take():
        slot.success(literal(message))  # it may carry a typed name
    counts = att.attendance_counts(session, event.id)
    total = sum(counts.values())
    left = inv.places_left(session, event)
    # the capacity counts 学员 only (lecturers and guests speaking take no place): say so, or
    # "共 20 人 · 名额 60，还剩 41" reads as a miscount
    places = f"　·　学员名额 {event.capacity}，还剩 {left}" if left is not None else ""
    st.markdown(f"共 {total} 人　·　出席 {counts[PRESENT]}　·　缺席 {counts[ABSENT]}"
                f"　·　请假 {counts[EXCUSED]}　·　{NOT_TAKEN} {counts[NOT_TAKEN]}{places}")
    rows = _list(session, user, event, total)
    editor = can("events.edit") and can_change(user, event)
    if not editor:
        return
    closed = inv.closed_reason(event)
    if closed:
        st.caption(closed)
    else:
        _invite_picked(user, event)
        if people_available():
            _invite_group(session, user, event)
        _invite_guest(user, event)
    if rows:
        _change_one(user, rows)


def _list(session, user, event, total: int) -> list[tuple]:
    """The page of participants (searched, 50 a page) as a table; returns (row, name) pairs."""
    if not total:
        st.info("还没有邀请人员。")
        return []
    text = st.text_input("查找参加人员", placeholder="姓名或单位", max_chars=50, key=f"{KEY}_q")
    found = inv.participant_count(session, user, event.id, text)
    pages = max(1, -(-found // PAGE_SIZE))
    page = 0
    if pages > 1:
        page = st.selectbox("页码", range(pages), format_func=lambda i: f"第 {i + 1} 页（共 {pages} 页）",
                            key=f"{KEY}_page_{text}")
    rows = inv.participants(session, user, event.id, text, page * PAGE_SIZE, PAGE_SIZE)
    if not rows:
        st.info("没有找到符合条件的人员。")
        return []
    names = display_names(session, user, [(r.person_id, r.name) for r in rows])
    names = [n + ("（已故）" if r.deceased else "") for r, n in zip(rows, names, strict=True)]
    # four narrow columns: readable on a phone too
    st.dataframe(pd.DataFrame({
        "姓名": names,
        "角色": [r.role for r in rows],
        "报名": [r.registration for r in rows],
        "出勤": [r.attendance or NOT_TAKEN for r in rows],
        "单位": [r.employer or ("名册外嘉宾" if r.person_id is None else "") for r in rows],
    }), hide_index=True, width="stretch")
    if found > len(rows) or text.strip():
        st.caption(f"找到 {found} 人")
    return list(zip(rows, names, strict=True))


def _role(key: str) -> str:
    return st.radio("角色", ROLES, index=ROLES.index(PARTICIPANT), horizontal=True, key=key)


def invited_message(picked: int, invited: int) -> str:
    """What inviting ``picked`` people did, when ``invited`` of them were new: the others were
    already on the list or have died, and the user is told so rather than left counting."""
    skipped = picked - invited
    if not invited:
        return "所选人员都已在名单中或已故，没有新邀请（已故人员不会被邀请）"
    if skipped:
        return f"已邀请 {invited} 人；另有 {skipped} 人已在名单中或已故，未邀请"
    return f"已邀请 {invited} 人"


def _invite_picked(user, event) -> None:
    with st.expander("邀请人员"):
        key = f"{KEY}_pick_{MESSAGES.round()}"
        refs = people_picker("查找人员", key=key, user=user, living_only=True)  # the dead are never offered
        role = _role(f"{key}_role")
        if st.button("邀请所选人员", key=f"{key}_go", disabled=not refs):
            _act(user, lambda s: inv.invite_people(s, user, event.id, refs, role),
                 lambda n: invited_message(len(refs), n))


def _invite_group(session, user, event) -> None:
    """A whole roster search: county, honour level and name → "将邀请 N 人" → 全部邀请."""
    with st.expander("按名册条件批量邀请"):
        key = f"{KEY}_group_{MESSAGES.round()}"
        own = counties_of(user)
        choices = list(own) if own is not None else list(county_names())
        default = choices.index(event.county_code) if event.county_code in choices else None
        county = st.selectbox("区县", choices, index=default, format_func=county_name,
                              placeholder="全部区县" if own is None else "请选择区县", key=f"{key}_county")
        level = st.selectbox("荣誉级别", (ANY, *HONOUR_LEVELS), key=f"{key}_level")
        text = st.text_input("姓名（可不填）", max_chars=50, key=f"{key}_text")
        role = _role(f"{key}_role")
        query = PeopleQuery(text=text, counties=(county,) if county else None,
                            honour_level=None if level == ANY else level)
        try:
            count = inv.matching_count(session, user, event.id, query)
        except (EventError, PermissionDenied) as refused:
            st.error(literal(str(refused)))
            return
        st.markdown(f"将邀请 **{count}** 人（在世、尚未邀请的）")
        if st.button("全部邀请", key=f"{key}_go", disabled=not count, type="primary"):
            _act(user, lambda s: inv.invite_matching(s, user, event.id, query, role),
                 lambda n: f"已邀请 {n} 人")


def _invite_guest(user, event) -> None:
    with st.expander("添加嘉宾（名册外人员）"):
        with st.form(f"{KEY}_guest_{MESSAGES.round()}"):
            name = st.text_input("姓名", max_chars=50)
            employer = st.text_input("工作单位", max_chars=100)
            role = st.radio("角色", ROLES, index=ROLES.index(LECTURER), horizontal=True)
            submitted = st.form_submit_button("添加")
        if submitted:
            _act(user, lambda s: inv.invite_guest(s, user, event.id, name, employer, role),
                 lambda guest: f"已添加嘉宾{guest.name}")


def _change_one(user, rows: list[tuple]) -> None:
    with st.expander("修改报名或移除人员"):
        key = f"{KEY}_one_{MESSAGES.round()}"
        by_id = {row.id: (row, name) for row, name in rows}
        chosen = st.selectbox("人员", list(by_id), index=None, placeholder="请选择人员",
                              format_func=lambda i: f"{by_id[i][1]}（{by_id[i][0].role}，{by_id[i][0].registration}）",
                              key=f"{key}_who")
        if chosen is None:
            return
        row, name = by_id[chosen]
        with st.container(horizontal=True):
            registered = row.registration == REGISTERED
            if st.button("改为未报名" if registered else "标为已报名", key=f"{key}_reg"):
                _act(user, lambda s: inv.set_registration(s, user, row.id, not registered),
                     lambda _r: f"{name}：{'已邀请' if registered else '已报名'}")
            if st.button("移除", key=f"{key}_remove"):
                _act(user, lambda s: inv.remove_participant(s, user, row.id),
                     lambda removed: f"已移除{removed}")
