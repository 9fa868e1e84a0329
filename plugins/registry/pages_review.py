"""审核队列: reviewers decide pending requests: 通过, 退回修改 or 驳回, one at a time or 批量通过.

Every view of a request names whom it is about (name, ID number masked unless the reviewer sees
full numbers, county, employer, status), loaded for the whole page in one query. The page reads
the query parameters ``county`` and ``kind`` (the overview's pending tile links here with them).
Decisions confirm after a rerun, so the queue shown is the queue as it is now.
"""

from __future__ import annotations

import functools

import streamlit as st
from sqlalchemy import bindparam, func, select

from core.access.auth import display_names
from core.data.db import read_session, session_scope, utcnow
from core.settings.counties import county_name, load_counties
from core.ui import format_time, require
from core.ui.downloads import private_file
from core.ui.text import literal
from plugins.registry import changes
from plugins.registry.models import ChangeEvent, ChangeRequest, Person
from plugins.registry.queries import sees_full_numbers

FLASH = "queue_flash"  # [(kind, text)] of the last decision, shown after the rerun
CONFIRM = "queue_bulk_confirm"  # the ids 批量通过 asks to confirm
OWN_NAMED = 10  # one's own requests named beside the queue, at most


WAITS = {"": "全部", "1": f"超过 {changes.OVERDUE.days} 天", "0": f"{changes.OVERDUE.days} 天内"}


def _filters(user) -> tuple[str | None, str | None, bool | None]:
    """区县, 变动类型 and 等待时间, first taken from the URL (``?county=330182&kind=去世&overdue=1``,
    as 工作台's links open the queue)."""
    codes = [c.code for c in load_counties()]
    asked = st.query_params
    if "queue_county" not in st.session_state and asked.get("county") in codes:
        st.session_state["queue_county"] = asked.get("county")
    if "queue_kind" not in st.session_state and asked.get("kind") in changes.KINDS:
        st.session_state["queue_kind"] = asked.get("kind")
    if "queue_wait" not in st.session_state and asked.get("overdue") in WAITS:
        st.session_state["queue_wait"] = asked.get("overdue")
    c1, c2, c3 = st.columns(3)
    if user.county_code is None:
        county = c1.selectbox("区县", ["", *codes], format_func=lambda c: county_name(c) if c else "全市",
                              key="queue_county")
    else:
        county = user.county_code
    kind = c2.selectbox("变动类型", ["", *changes.KINDS], format_func=lambda k: k or "全部类型", key="queue_kind")
    wait = c3.selectbox("等待时间", list(WAITS), format_func=WAITS.__getitem__, key="queue_wait")
    return county or None, kind or None, None if wait == "" else wait == "1"


def picker_label(request: ChangeRequest, subject: changes.Subject) -> str:
    """编号 263 · 去世 · 乔桂英 · 建德市: how every list of requests names one."""
    return f"编号 {request.id} · {request.kind} · {subject.name} · {county_name(subject.county_code)}"


def history_rows(request: ChangeRequest, events, names: dict[str, str]) -> list[dict]:
    """时间 / 操作 / 操作人 / 说明: a request's history (a request filed in bulk has its 提交 only)."""
    if not events:
        return [{"时间": format_time(request.submitted_at), "操作": "提交",
                 "操作人": names.get(request.submitted_by, request.submitted_by), "说明": request.reason}]
    return [{"时间": format_time(e.at), "操作": e.action, "操作人": names.get(e.actor, e.actor),
             "说明": e.note or ""} for e in events]


def request_details(session, requests: list[ChangeRequest], usernames: set[str]):
    """What a list of requests shows beside each: its person (one query), its history, and the
    display names of ``usernames`` and of everyone in the history."""
    about = changes.subjects(session, requests)
    events = changes.events_of(session, [r.id for r in requests])
    names = display_names(session, usernames | {e.actor for ev in events.values() for e in ev})
    return about, events, names


def person_line(subject: changes.Subject, full: bool) -> str:
    """The person, as Markdown with every piece of data made literal."""
    return (f"**{literal(subject.name)}** · {literal(subject.id_shown(full))} · "
            f"{literal(county_name(subject.county_code))} · {literal(subject.employer or '单位未填')} · "
            f"{literal(subject.status)}")


QUEUE_LIMIT = 200  # requests listed, oldest first (the caption says when there are more)


@functools.lru_cache(maxsize=256)
def queue_statements(scope: tuple[str, ...] | None, kind: str | None, overdue: bool | None, reviewer: str):
    """The page's three statements for its filters, built once (the overdue moment is taken
    when one runs, see ``changes._queue_filter``):

    - the queue as its list shows it, oldest first (QUEUE_LIMIT): each request's own columns
      (not its attachment, payload or before: only the chosen one's card needs those) and whom
      it is about, as :class:`changes.Subject` names them (the roster's person, or for a new
      person what the request gives, read from its payload by the database);
    - its total and how many of them wait more than 7 days (as ``changes.count_pending``);
    - the ids of the reviewer's own pending requests (OWN_NAMED + 1 at most).

    Nobody decides their own requests: they are left out of the queue and its counts (as 工作台
    counts it), and only mentioned."""
    def given(key: str):
        return ChangeRequest.payload[("person", key)].as_string()

    late = ChangeRequest.submitted_at < bindparam("overdue_since", callable_=lambda: utcnow() - changes.OVERDUE,
                                                  type_=ChangeRequest.submitted_at.type)
    oldest_first = (ChangeRequest.submitted_at, ChangeRequest.id)
    queue = (select(ChangeRequest.id, ChangeRequest.kind, ChangeRequest.state, ChangeRequest.reason,
                    ChangeRequest.submitted_by, ChangeRequest.submitted_at,
                    func.coalesce(Person.name, given("name"), "").label("name"),
                    func.coalesce(Person.id_number, given("id_number"), "").label("id_number"),
                    func.coalesce(Person.county_code, given("county_code"), ChangeRequest.county_code)
                    .label("county_code"),
                    func.coalesce(Person.employer, given("employer")).label("employer"),
                    func.coalesce(Person.status, changes.NEW_PERSON).label("status"))
             .outerjoin(Person, Person.id == ChangeRequest.person_id))
    return (changes._queue_filter(queue, scope, kind, overdue, reviewer).order_by(*oldest_first).limit(QUEUE_LIMIT),
            changes._queue_filter(select(func.count(), func.count().filter(late)), scope, kind, overdue, reviewer),
            changes._queue_filter(select(ChangeRequest.id), scope, kind, overdue, None, reviewer)
            .order_by(*oldest_first).limit(OWN_NAMED + 1))


def subject(row) -> changes.Subject:
    """A queue row's person (see :func:`queue_statements`)."""
    return changes.Subject(row.name, row.id_number, row.county_code, row.employer, row.status)


def queue_data(session, user, scope: tuple[str, ...] | None, kind: str | None, overdue: bool | None):
    """What 审核队列 lists for its filters: the queue's rows (each has :class:`changes.Subject`'s
    fields too: ``picker_label`` and :func:`subject` take it), its total and overdue counts, the
    ids of the user's own pending requests, and the submitters' display names (cached
    accounts), from the three statements of :func:`queue_statements`."""
    queue, count, own = queue_statements(scope, kind, overdue, user.username)
    conn = session.connection()  # plain rows: no ORM objects are wanted here (about a third faster)
    rows = conn.execute(queue).all()
    total, late = conn.execute(count).one()
    mine = list(conn.execute(own).scalars())
    return rows, int(total), int(late or 0), mine, display_names(session, {r.submitted_by for r in rows})


@functools.cache
def card_statements():
    """The chosen request's card, by ``request_id``: the request (its payload and before for
    the diff; not its attachment, loaded on click) and its history, oldest step first."""
    wanted = bindparam("request_id")
    request = select(ChangeRequest.id, ChangeRequest.kind, ChangeRequest.state, ChangeRequest.county_code,
                     ChangeRequest.payload, ChangeRequest.before, ChangeRequest.reason,
                     ChangeRequest.attachment_name, ChangeRequest.submitted_by,
                     ChangeRequest.submitted_at).where(ChangeRequest.id == wanted)
    events = (select(ChangeEvent.action, ChangeEvent.actor, ChangeEvent.at, ChangeEvent.note)
              .where(ChangeEvent.request_id == wanted).order_by(ChangeEvent.at, ChangeEvent.id))
    return request, events


def card_data(session, request_id: int, names: dict[str, str]):
    """What the chosen request's card adds: the request (a row with the columns the card and
    ``changes.diff`` read; None if it is gone), its history, and the display names of everyone
    in it (added to ``names``)."""
    request, events = card_statements()
    conn = session.connection()
    found = conn.execute(request, {"request_id": request_id}).first()
    steps = conn.execute(events, {"request_id": request_id}).all()
    return found, steps, {**names, **display_names(session, {e.actor for e in steps} - names.keys())}


def review_page() -> None:
    user = require("registry.review")
    st.title("审核队列")
    with st.container():  # drawn on every run: messages shown once must not move what follows
        for kind, text in st.session_state.pop(FLASH, []):
            (st.success if kind == "success" else st.error)(text)
    county, kind, overdue = _filters(user)
    scope = (county,) if county else user.visible_counties()
    full = sees_full_numbers(user)
    with read_session() as session:
        queue, total, late, mine, names = queue_data(session, user, scope, kind, overdue)
    own = ""
    if mine:
        more = "等" if len(mine) > OWN_NAMED else ""
        own = f"您本人提交的申请（编号 {'、'.join(map(str, mine[:OWN_NAMED]))}{more}）须由其他审核人审核，不在此列出。"
    if not queue:
        st.success("没有待审核的申请。")
        if own:
            st.caption(own)
        return
    shown = f"（显示最早的 {len(queue)} 件）" if total > len(queue) else ""
    st.caption(f"待审核 {total} 件，按提交时间排序{shown}"
               + (f"，其中 {late} 件已超过 {changes.OVERDUE.days} 天" if late else "") + (f"。{own}" if own else ""))
    now, about = utcnow(), {r.id: subject(r) for r in queue}
    st.dataframe([{"编号": r.id, "超期": "⚠ 超期" if changes.is_overdue(r, now) else "", "类型": r.kind,
                   "姓名": about[r.id].name, "身份证号码": about[r.id].id_shown(full),
                   "区县": county_name(about[r.id].county_code), "工作单位": about[r.id].employer or "",
                   "人员状态": about[r.id].status, "提交人": names.get(r.submitted_by, r.submitted_by),
                   "提交时间": format_time(r.submitted_at), "理由": r.reason} for r in queue],
                 hide_index=True, width="stretch",
                 column_config={"理由": st.column_config.TextColumn(width="large")})
    labels = {r.id: picker_label(r, about[r.id]) for r in queue}
    chosen = st.selectbox("审核申请", list(labels), key="queue_request", format_func=labels.__getitem__)
    with read_session() as session:
        request, events, names = card_data(session, chosen, names)
    if request is None or request.state != changes.PENDING:  # decided this very moment by another
        st.warning(f"编号 {chosen} 已被处理，请刷新后查看。")
        return
    _card(user, request, about[chosen], events, names, full)
    _bulk(user, {r.id: r.kind for r in queue}, about, labels, full)


def _card(user, request, subject: changes.Subject, events, names, full: bool) -> None:
    """The review card: who, what, why, the diff, the history, the file, and the three decisions."""
    with st.container(border=True):
        st.markdown(f"**{literal(request.kind)}** · 编号 {request.id} · {person_line(subject, full)}")
        st.caption(f"提交人 {literal(names.get(request.submitted_by, request.submitted_by))} · "
                   f"{format_time(request.submitted_at)}")
        st.write(f"理由：{literal(request.reason)}")
        st.dataframe(changes.diff(request, full), hide_index=True, width="stretch")
        if len(events) > 1:  # sent back before: what was asked and what changed
            st.markdown("**办理经过**")
            st.dataframe(history_rows(request, events, names), hide_index=True, width="stretch",
                         column_config={"说明": st.column_config.TextColumn(width="large")})
        if request.attachment_name:  # loaded on click, served once (core.ui.downloads)
            def attachment(request_id: int = request.id) -> bytes:
                with read_session() as session:
                    return session.scalar(select(ChangeRequest.attachment)
                                          .where(ChangeRequest.id == request_id)) or b""
            st.download_button(f"下载附件 {literal(request.attachment_name)}",
                               private_file(attachment),
                               file_name=request.attachment_name, key=f"att_{request.id}")
        note = st.text_area("审核意见（驳回或退回修改时必填，提交人可见）", key=f"reject_reason_{request.id}",
                            max_chars=changes.MAX_REASON)
        a, b, c = st.columns(3)
        if a.button("通过", type="primary", key=f"approve_{request.id}"):
            _decide(user, [request.id], "通过", note)
        if b.button("退回修改", key=f"return_{request.id}"):
            _decide(user, [request.id], "退回修改", note)
        if c.button("驳回", key=f"reject_{request.id}"):
            _decide(user, [request.id], "驳回", note)


def _bulk(user, kinds: dict[int, str], about: dict[int, changes.Subject], labels: dict[int, str],
          full: bool) -> None:
    """批量通过: choose, then confirm a list naming every person, then act."""
    several = st.multiselect("批量通过", list(labels), format_func=labels.__getitem__, key="queue_bulk",
                             placeholder="选择要一并通过的申请", select_all=False)  # no English "Select all"
    if several and st.button(f"通过所选 {len(several)} 件", key="approve_bulk"):
        st.session_state[CONFIRM] = list(several)
    asked = st.session_state.get(CONFIRM)
    if not asked or asked != several:  # the choice changed since: ask again
        st.session_state.pop(CONFIRM, None)
        return
    with st.container(border=True):
        st.warning(f"确认通过以下 {len(asked)} 件申请？通过后立即生效。")
        st.dataframe([{"编号": rid, "类型": kinds[rid], "姓名": about[rid].name,
                       "身份证号码": about[rid].id_shown(full), "区县": county_name(about[rid].county_code),
                       "工作单位": about[rid].employer or ""} for rid in asked],
                     hide_index=True, width="stretch")
        a, b = st.columns(2)
        if a.button(f"确认通过 {len(asked)} 件", type="primary", key="confirm_bulk"):
            st.session_state.pop(CONFIRM, None)
            st.session_state.pop("queue_bulk", None)
            _decide(user, asked, "通过")
        if b.button("取消", key="cancel_bulk"):
            st.session_state.pop(CONFIRM, None)
            st.rerun()


def _decide(user, request_ids: list[int], decision: str, note: str | None = None) -> None:
    """Decide each request in its own transaction (one stale request never blocks the rest),
    then show the outcome after a rerun, with the queue as it now is."""
    done, flash = 0, []
    for rid in request_ids:
        try:
            with session_scope(user.actor) as session:
                if decision == "退回修改":
                    changes.send_back(session, user, rid, note or "")
                else:
                    changes.decide(session, user, rid, decision == "通过", note)
            done += 1
        except changes.ChangeError as exc:
            flash.append(("error", literal(f"编号 {rid}：{exc}")))
    if done:
        flash.insert(0, ("success", f"已{decision} {done} 件。"))
    st.session_state[FLASH] = flash
    if done:
        st.rerun()
    for _kind, text in st.session_state.pop(FLASH):  # nothing changed: the form keeps its input
        st.error(text)
