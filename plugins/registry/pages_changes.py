"""Change pages: 提交变动 (staff), 审核队列 (reviewers), 我的申请 (a submitter's own)."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import select

from core.data.db import read_session, session_scope
from core.settings import clock
from core.settings.counties import county_name, load_counties
from core.ui import format_time, require
from core.ui.downloads import private_file
from core.ui.text import literal
from plugins.registry import changes
from plugins.registry.models import ChangeRequest, Person
from plugins.registry.queries import PersonFilter, find_people, record_id_search, sees_full_numbers
from plugins.registry.vocab import HONOURS, mask_id, mask_phone


def _pick_person(user, key: str, include_deceased: bool = False) -> Person | None:
    text = st.text_input("查找人员", placeholder="姓名、拼音首字母或身份证号码", key=f"{key}_q")
    if not text.strip():
        return None
    flt = PersonFilter(text=text, counties=user.visible_counties(), include_deceased=include_deceased,
                       viewer=user)
    refused = record_id_search(user, flt, st.session_state.setdefault("registry_id_searches", set()))
    if refused:  # counted and audited, as on 人员名册
        st.warning(refused)
        return None
    with read_session() as session:
        found = find_people(session, flt, page_size=20)
    if not found:
        st.info("您的区县内没有找到该人员。")
        return None
    return st.selectbox("人员", found, key=f"{key}_person",
                        format_func=lambda p: f"{p.name}（{mask_id(p.id_number)}，{county_name(p.county_code)}）")


def _unchanged(masked: str) -> str:
    return f"现为 {masked}，不改请留空" if masked else "现为空，不改请留空"


def _attachment(key: str):
    """The uploaded attachment as ``(name, file)``, unread: the service refuses one over 5 MB by
    its size before reading it; the page says so at once."""
    upload = st.file_uploader("附件（可选，扫描件，不超过 5 MB）", type=["pdf", "jpg", "jpeg", "png"], key=key)
    if upload is None:
        return None
    if changes.attachment_size(upload) > changes.MAX_ATTACHMENT_BYTES:
        st.error(changes.ATTACHMENT_TOO_LARGE)
    return upload.name, upload


def _submit(fn, user, *args) -> None:
    try:
        with session_scope(user.actor) as session:
            request = fn(session, user, *args)
    except changes.ChangeError as exc:
        st.error(literal(exc))
    else:
        st.success(f"已提交{request.kind}申请（编号 {request.id}），等待审核。")


def submit_page() -> None:
    user = require("registry.submit")
    st.title("提交变动")
    with st.expander("批量新增：上传 Excel，每一行成为一件待审核的新增申请"):
        from core.spreadsheet.widgets import import_panel

        import_panel("roster_additions")
    kind = st.radio("变动类型", changes.KINDS, horizontal=True, key="change_kind")
    if kind == "新增":
        with st.form("addition"):
            number = st.text_input("公民身份号码")
            name = st.text_input("姓名（已在名册中的人员可不填）")
            county = user.county_code or st.selectbox(
                "所属区县", [c.code for c in load_counties()], format_func=county_name)
            employer = st.text_input("工作单位")
            honour = st.selectbox("荣誉", list(HONOURS))
            year = st.number_input("授予年份", 1950, clock.this_year(), clock.this_year())
            reason = st.text_area("变动理由", max_chars=changes.MAX_REASON)
            attachment = _attachment("addition_file")
            if st.form_submit_button("提交"):
                _submit(changes.submit_addition, user, {"id_number": number, "name": name,
                        "county_code": county, "employer": employer}, honour, int(year), reason, attachment)
        return
    person = _pick_person(user, "change", include_deceased=kind == "信息更正")
    if person is None:
        return
    with st.form(f"change_{kind}"):
        if kind == "关系转移":
            to_county = st.selectbox("转入区县", [c.code for c in load_counties()], format_func=county_name,
                                     index=[c.code for c in load_counties()].index(person.county_code))
            to_employer = st.text_input("转入单位", value=person.employer or "")
        elif kind == "去世":
            death_date = st.date_input("去世日期", max_value=clock.today(), value=None)
        else:
            # the ID number is typed anew, never shown in full here: left blank, it stays; so is
            # the phone for a user who sees it masked (placeholder: the masked number)
            masked = {"phone"} if not sees_full_numbers(user) else set()
            edits = {key: st.text_input("新的公民身份号码（不改请留空）", value="") if key == "id_number"
                     else st.text_input(label, value="", placeholder=_unchanged(mask_phone(person.phone)))
                     if key in masked
                     else st.text_input(label, value=getattr(person, key) or "")
                     for key, label in changes.CORRECTABLE.items()}
        reason = st.text_area("变动理由", max_chars=changes.MAX_REASON)
        attachment = _attachment(f"{kind}_file")
        if st.form_submit_button("提交"):
            if kind == "关系转移":
                _submit(changes.submit_transfer, user, person.id, to_county, to_employer, reason, attachment)
            elif kind == "去世":
                if death_date is None:
                    st.error("请填写去世日期")
                else:
                    _submit(changes.submit_death, user, person.id, death_date, reason, attachment)
            else:
                _submit(changes.submit_correction, user, person.id, edits, reason, attachment)


def review_page() -> None:
    user = require("registry.review")
    st.title("审核队列")
    c1, c2 = st.columns(2)
    if user.county_code is None:
        county = c1.selectbox("区县", [""] + [c.code for c in load_counties()],
                              format_func=lambda c: county_name(c) if c else "全市", key="queue_county")
    else:
        county = user.county_code
    kind = c2.selectbox("变动类型", ["", *changes.KINDS], format_func=lambda k: k or "全部类型", key="queue_kind")
    scope = (county,) if county else user.visible_counties()
    with read_session() as session:
        queue = changes.pending_requests(session, scope, kind or None)
        total, overdue = changes.count_pending(session, scope, kind or None)
    if not queue:
        st.success("没有待审核的申请。")
        return
    shown = f"（显示最早的 {len(queue)} 件）" if total > len(queue) else ""
    st.caption(f"待审核 {total} 件，按提交时间排序{shown}" + (f"，其中 {overdue} 件已超过 7 天" if overdue else ""))
    st.dataframe([{"编号": r.id, "超期": "⚠ 超期" if changes.is_overdue(r) else "", "类型": r.kind,
                   "区县": county_name(r.county_code), "提交人": r.submitted_by,
                   "提交时间": format_time(r.submitted_at), "理由": r.reason} for r in queue],
                 hide_index=True, width="stretch")
    mine = [r.id for r in queue if r.submitted_by == user.username]  # nobody decides their own
    queue = [r for r in queue if r.submitted_by != user.username]
    if mine:
        st.caption(f"您本人提交的申请（编号 {'、'.join(map(str, mine))}）须由其他审核人审核，不在下方列出。")
    if not queue:
        return
    chosen = st.selectbox("审核申请", [r.id for r in queue], key="queue_request",
                          format_func=lambda rid: f"编号 {rid}")
    request = next(r for r in queue if r.id == chosen)
    with st.container(border=True):
        st.markdown(f"**{literal(request.kind)}** · {literal(county_name(request.county_code))}"
                    f" · 提交人 {literal(request.submitted_by)} · {format_time(request.submitted_at)}")
        st.write(f"理由：{literal(request.reason)}")
        st.dataframe(changes.diff(request), hide_index=True, width="stretch")
        if request.attachment_name:  # loaded on click, served once (core.ui.downloads)
            def attachment(request_id: int = request.id) -> bytes:
                with read_session() as session:
                    return session.scalar(select(ChangeRequest.attachment)
                                          .where(ChangeRequest.id == request_id)) or b""
            st.download_button(f"下载附件 {literal(request.attachment_name)}",
                               private_file(attachment),
                               file_name=request.attachment_name, key=f"att_{request.id}")
        reject_reason = st.text_input("驳回理由（驳回时必填）", key=f"reject_reason_{request.id}",
                                      max_chars=changes.MAX_REASON)
        a, b = st.columns(2)
        if a.button("通过", type="primary", key=f"approve_{request.id}"):
            _decide(user, [request.id], True)
        if b.button("驳回", key=f"reject_{request.id}"):
            _decide(user, [request.id], False, reject_reason)
    several = st.multiselect("批量通过", [r.id for r in queue], format_func=lambda rid: f"编号 {rid}",
                             key="queue_bulk")
    if several and st.button(f"通过所选 {len(several)} 件", key="approve_bulk"):
        _decide(user, several, True)


def _decide(user, request_ids: list[int], approve: bool, reason: str | None = None) -> None:
    done, failed = 0, []
    for rid in request_ids:  # one transaction each: one stale request never blocks the rest
        try:
            with session_scope(user.actor) as session:
                changes.decide(session, user, rid, approve, reason)
            done += 1
        except changes.ChangeError as exc:
            failed.append(f"编号 {rid}：{exc}")
    if done:
        st.success(f"已{'通过' if approve else '驳回'} {done} 件。")
    for message in failed:
        st.error(literal(message))


def my_requests_page() -> None:
    user = require("registry.submit")
    st.title("我的申请")
    with read_session() as session:
        mine = changes.requests_of(session, user.username)
    if not mine:
        st.info("您还没有提交过变动申请。")
        return
    st.dataframe([{"编号": r.id, "类型": r.kind, "状态": r.state, "区县": county_name(r.county_code),
                   "提交时间": format_time(r.submitted_at), "审核人": r.decided_by or "",
                   "审核意见": r.decision_reason or ""} for r in mine], hide_index=True, width="stretch")
    pending = [r.id for r in mine if r.state == changes.PENDING]
    if pending:
        rid = st.selectbox("撤回待审核的申请", pending, format_func=lambda i: f"编号 {i}", key="withdraw_id")
        if st.button("撤回", key="withdraw"):
            try:
                with session_scope(user.actor) as session:
                    changes.withdraw(session, user, rid)
            except changes.ChangeError as exc:
                st.error(literal(exc))
            else:
                st.success(f"已撤回编号 {rid}。")
