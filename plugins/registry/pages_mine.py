"""我的申请: a submitter's own requests, whom each is about, where it stands and why.

Opening the page reads the new decisions (“您有 N 条新的审核结果”, those rows marked 新). A
request picked from the list shows its full reason, the reviewer's full note and its history; an
open one may be withdrawn (after a confirmation naming the person), and one sent back for
revision opens its form again, filled in, to be changed and sent again as the same request.
"""

from __future__ import annotations

import streamlit as st

from core.data.db import read_session, session_scope
from core.settings.counties import county_name
from core.ui import format_time, require
from core.ui.text import literal
from plugins.registry import changes
from plugins.registry.models import ChangeRequest, Person
from plugins.registry.pages_changes import REVISING, addition_form, change_form, show_flash
from plugins.registry.pages_review import history_rows, person_line, request_details
from plugins.registry.queries import sees_full_numbers
from plugins.registry.vocab import OPEN_STATES, REQUEST_STATES, RETURNED, WITHDRAWN

NEW = "registry_new_decisions"  # the ids read on this visit: marked 新 while the session lasts
LATEST = "registry_mine_latest"  # how many decisions the last opening read
WITHDRAW = "mine_withdraw_confirm"



def reviewed(request: ChangeRequest) -> bool:
    """Whether a reviewer has acted on ``request`` (a withdrawal sets ``decided_by`` too)."""
    return request.decided_by is not None and request.state != WITHDRAWN

def _filters() -> tuple[str | None, bool, bool]:
    """状态, 超过 7 天 and 新的审核结果, first taken from the URL (``?state=退回修改``,
    ``?state=待审核&overdue=1``, ``?state=已驳回&new=1``), as 工作台's links open this page."""
    asked = st.query_params
    if "mine_state" not in st.session_state and asked.get("state") in REQUEST_STATES:
        st.session_state["mine_state"] = asked.get("state")
    for key, param in (("mine_overdue", "overdue"), ("mine_new", "new")):
        if key not in st.session_state:
            st.session_state[key] = asked.get(param) == "1"
    c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    state = c1.selectbox("状态", ["", *REQUEST_STATES], format_func=lambda v: v or "全部状态", key="mine_state")
    overdue = c2.checkbox(f"只看提交超过 {changes.OVERDUE.days} 天仍待审核的", key="mine_overdue")
    new = c3.checkbox("只看新结果", key="mine_new")
    return state or None, overdue, new


def my_requests_page() -> None:
    user = require("registry.submit")
    st.title("我的申请")
    show_flash()
    with session_scope(user.actor) as session:  # opening the page reads the new decisions
        fresh = changes.mark_seen(session, user.username)
    new = st.session_state.setdefault(NEW, set())
    new.update(fresh)
    # the latest decisions read stay announced on every rerun of the page (a rerun right after
    # it opens, or any click, would otherwise hide the message the opening run showed)
    if fresh:
        st.session_state[LATEST] = len(fresh)
    if st.session_state.get(LATEST):
        st.info(f"您有 {st.session_state[LATEST]} 条新的审核结果，已在下表中标记为“新”。")
    full = sees_full_numbers(user)
    state, overdue, only_new = _filters()
    with read_session() as session:
        mine = changes.requests_of(session, user.username, state=state, overdue=overdue,
                                   ids=new if only_new else None)
        about, events, names = request_details(session, mine, {r.decided_by for r in mine})
    if not mine:
        st.info("没有符合条件的申请。" if state or overdue or only_new else "您还没有提交过变动申请。")
        return
    returned = sum(r.state == RETURNED for r in mine)
    if returned:
        st.warning(f"有 {returned} 件申请被退回修改：选中后按审核意见修改，再重新提交。")
    st.dataframe([{"编号": r.id, "新": "●" if r.id in new else "", "类型": r.kind, "姓名": about[r.id].name,
                   "身份证号码": about[r.id].id_shown(full), "区县": county_name(about[r.id].county_code),
                   "状态": r.state, "提交时间": format_time(r.submitted_at),
                   # a withdrawal is the submitter's own act, not a review (办理经过 shows it)
                   "审核人": names.get(r.decided_by, r.decided_by) if reviewed(r) else "",
                   "审核时间": format_time(r.decided_at) if reviewed(r) else "",
                   "审核意见": r.decision_reason or ""} for r in mine],
                 hide_index=True, width="stretch",
                 column_config={"审核意见": st.column_config.TextColumn(width="large")})
    labels = {r.id: f"编号 {r.id} · {r.kind} · {about[r.id].name} · {r.state}" for r in mine}
    chosen = st.selectbox("查看申请", list(labels), index=None, placeholder="选择一件申请，查看全文和办理经过",
                          format_func=labels.__getitem__, key="mine_request")
    if chosen is None:
        return
    request = next(r for r in mine if r.id == chosen)
    _details(user, request, about[request.id], events[request.id], names, full)


def _details(user, request: ChangeRequest, subject: changes.Subject, events, names, full: bool) -> None:
    with st.container(border=True):
        st.markdown(f"**{literal(request.kind)}** · 编号 {request.id} · {literal(request.state)} · "
                    f"{person_line(subject, full)}")
        st.write(f"理由：{literal(request.reason)}")
        if request.decision_reason:
            st.write(f"审核意见：{literal(request.decision_reason)}")
        st.dataframe(changes.diff(request, full), hide_index=True, width="stretch")
        st.markdown("**办理经过**")
        st.dataframe(history_rows(request, events, names), hide_index=True, width="stretch",
                     column_config={"说明": st.column_config.TextColumn(width="large")})
        if request.state not in OPEN_STATES:
            return
        a, b = st.columns(2)
        if request.state == RETURNED and a.button("修改后重新提交", type="primary", key=f"revise_{request.id}"):
            st.session_state[REVISING] = request.id
        if b.button("撤回", key="withdraw"):
            st.session_state[WITHDRAW] = request.id
        if st.session_state.get(WITHDRAW) == request.id:
            _confirm_withdraw(user, request, subject)
    if request.state == RETURNED and st.session_state.get(REVISING) == request.id:
        _revise(user, request)


def _confirm_withdraw(user, request: ChangeRequest, subject: changes.Subject) -> None:
    st.warning(f"确认撤回 {literal(subject.name)}（{literal(county_name(subject.county_code))}）的"
               f"{request.kind}申请（编号 {request.id}）？撤回后不能恢复。")
    a, b = st.columns(2)
    if a.button(f"确认撤回 {literal(subject.name)} 的申请", type="primary", key="confirm_withdraw"):
        st.session_state.pop(WITHDRAW, None)
        try:
            with session_scope(user.actor) as session:
                changes.withdraw(session, user, request.id)
        except changes.ChangeError as exc:
            st.error(literal(exc))
        else:
            st.session_state["registry_flash"] = f"已撤回编号 {request.id}（{literal(subject.name)}）。"
            st.rerun()
    if b.button("取消", key="cancel_withdraw"):
        st.session_state.pop(WITHDRAW, None)
        st.rerun()


def _revise(user, request: ChangeRequest) -> None:
    """The request's own form, filled in with what it asked for; sent, it is 待审核 again."""
    st.subheader(f"修改编号 {request.id} 的{request.kind}申请")
    initial = {**request.payload, "reason": request.reason, "attachment_name": request.attachment_name}
    if request.kind == "新增":
        person = (request.payload.get("person") or {})
        if not person and request.person_id is not None:  # a known person: the number identifies them
            with read_session() as session:
                known = session.get(Person, request.person_id)
                person = {"id_number": known.id_number, "county_code": known.county_code}
        addition_form(user, initial={**initial, **person}, revising=request.id, form="revise")
        return
    with read_session() as session:
        person = session.get(Person, request.person_id)
    change_form(user, request.kind, person, initial=initial, revising=request.id, form="revise")
