"""提交变动 (staff), and the forms it shares with 我的申请 (where a request sent back for revision
is opened again, filled in with what it asked for).

A form clears after a successful submission: its widgets' keys carry a counter that is bumped on
success, and the confirmation is kept in ``session_state`` and shown after the rerun. So a second
click has nothing to send twice (and the service refuses a duplicate anyway).

No masked value is ever a widget's value: for a user who sees ID numbers or phones masked, such a
field is an empty box whose placeholder shows the masked value, left blank to keep it.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from core.data.db import read_session, session_scope
from core.settings import clock
from core.settings.counties import county_name, load_counties
from core.spreadsheet.form_widget import column_input, show_problems
from core.spreadsheet.forms import check_one_row
from core.ui import page_link, require
from core.ui.dates import date_field
from core.ui.text import literal
from core.ui.uploads import file_uploader
from plugins.registry import changes, spreadsheet
from plugins.registry.models import Person
from plugins.registry.queries import PersonFilter, find_people, record_id_search, sees_full_numbers
from plugins.registry.vocab import HONOURS, mask_id, mask_phone

FLASH = "registry_flash"  # the confirmation of the last submission, shown after the rerun
ROUND = "registry_form_round"  # bumped on success: every form's widgets start empty again
REVISING = "registry_revising"  # the request 我的申请 opened for revision
KIND_KEYS = {"新增": "addition", "关系转移": "transfer", "去世": "death", "信息更正": "correction"}


def form_round() -> int:
    return st.session_state.setdefault(ROUND, 0)


def show_flash() -> None:
    """The confirmation a submission left before its rerun, once."""
    slot = st.empty()  # drawn on every run: a message shown once must not move what follows
    message = st.session_state.pop(FLASH, None)
    if message:
        slot.success(message)


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
    full = sees_full_numbers(user)
    return st.selectbox("人员", found, key=f"{key}_person",
                        format_func=lambda p: f"{p.name}（{p.id_number if full else mask_id(p.id_number)}，"
                                              f"{county_name(p.county_code)}，{p.employer or '单位未填'}，{p.status}）")


def _unchanged(masked: str) -> str:
    return f"现为 {masked}，不改请留空" if masked else "现为空，不改请留空"


def _secret_input(label: str, current: str | None, full: bool, key: str, masker) -> str:
    """A field the user may see only masked: empty, the masked value as its placeholder, and left
    blank it means ``current``. Shown in full (as its value) to a user who sees full numbers."""
    if full:
        return st.text_input(label, value=current or "", key=key)
    typed = st.text_input(label, value="", placeholder=_unchanged(masker(current)), key=key)
    return typed.strip() or (current or "")


def _attachment(key: str, kept: str | None = None):
    """The uploaded attachment as ``(name, file)``, unread: the service refuses one over 5 MB by
    its size before reading it; the page says so at once. ``kept``: the file a resubmission
    keeps unless another is chosen."""
    label = "附件（可选，扫描件，不超过 5 MB）" if not kept else f"附件（不选则保留原附件 {literal(kept)}）"
    upload = file_uploader(label, types=["pdf", "jpg", "jpeg", "png"], key=key, max_mb=5)  # hint: core.ui.uploads
    if upload is None:
        return None
    if changes.attachment_size(upload) > changes.MAX_ATTACHMENT_BYTES:
        st.error(changes.ATTACHMENT_TOO_LARGE)
    return upload.name, upload


def _submit(fn, user, *args, revising: int | None = None) -> None:
    """File (or file again) a request; on success clear the forms and confirm after a rerun."""
    try:
        with session_scope(user.actor) as session:
            request = fn(session, user, *args, revising=revising)
            name = changes.subjects(session, [request])[request.id].name
            done = f"{'已重新提交' if revising else '已提交'}{request.kind}申请（编号 {request.id}，{literal(name)}），等待审核。"
    except changes.ChangeError as exc:
        st.error(literal(exc))
        return
    st.session_state[FLASH] = done
    st.session_state[ROUND] = form_round() + 1
    st.session_state.pop("change_q", None)  # the search too: the next request starts afresh
    st.session_state.pop(REVISING, None)
    st.rerun()


def addition_form(user, *, initial: dict | None = None, revising: int | None = None,
                  form: str = "addition") -> None:
    """新增: ``initial`` fills it (a request sent back), ``revising`` files that request again.

    Its fields are the bulk 新增 table's columns, drawn and checked by core's table forms
    (``spreadsheet.ADDITION_FORM``): a bad number, name or county is refused under its field in
    the words the import uses, before the request is filed by ``changes.submit_addition``."""
    init, n, full = initial or {}, form_round(), sees_full_numbers(user)
    fields = spreadsheet.ADDITION_FORM
    labels = {c.key: c.header for c in fields.columns} | {"name": "姓名（已在名册中的人员可不填）"}

    def field(key: str, widget: str, value=None):
        return column_input(fields.column(key), user, key=f"{form}_{widget}_{n}", value=value,
                            label=labels[key])

    with st.form(form):
        slots = {}
        if init.get("id_number"):  # a request sent back: its number, masked as for the user
            number = _secret_input("公民身份号码", init["id_number"], full, f"{form}_number_{n}", mask_id)
        else:  # a new request has no number to keep
            number = field("id_number", "number")
        slots["id_number"] = st.empty()
        name = field("name", "name", init.get("name"))
        slots["name"] = st.empty()
        county = field("county_code", "county", init.get("county_code"))  # locked for county staff
        slots["county_code"] = st.empty()
        employer = field("employer", "employer", init.get("employer"))
        slots["employer"] = st.empty()
        honour = field("honour", "honour", init.get("honour") or next(iter(HONOURS)))
        slots["honour"] = st.empty()
        year = st.number_input("授予年份", 1950, clock.this_year(),
                               min(init.get("year_awarded") or clock.this_year(), clock.this_year()),
                               key=f"{form}_year_{n}")
        reason = st.text_area("变动理由", value=init.get("reason") or "", max_chars=changes.MAX_REASON,
                              key=f"{form}_reason_{n}")
        attachment = _attachment(f"{form}_file_{n}", init.get("attachment_name"))
        slots[None] = st.empty()
        if st.form_submit_button("重新提交" if revising else "提交"):
            checked = check_one_row(fields, {"id_number": number, "name": name, "county_code": county,
                                             "employer": employer, "honour": honour,
                                             "year_awarded": int(year)}, user)
            if not checked.ok:
                show_problems(checked, slots, labels)
                return
            row = checked.row
            _submit(changes.submit_addition, user, {"id_number": row["id_number"], "name": row["name"],
                    "county_code": row["county_code"], "employer": row["employer"]}, row["honour"],
                    row["year_awarded"], reason, attachment, revising=revising)


def change_form(user, kind: str, person: Person, *, initial: dict | None = None,
                revising: int | None = None, form: str | None = None) -> None:
    """关系转移, 去世 or 信息更正 of ``person``; ``initial``: the values of a request sent back."""
    init, n, full = initial or {}, form_round(), sees_full_numbers(user)
    form = form or f"change_{kind}"
    w = f"{form if revising else KIND_KEYS[kind]}"  # widget keys in ASCII: they name CSS classes
    with st.form(form):
        if kind == "关系转移":
            codes = [c.code for c in load_counties()]
            to = init.get("county_code") or person.county_code
            to_county = st.selectbox("转入区县", codes, format_func=county_name, key=f"{w}_to_{n}",
                                     index=codes.index(to) if to in codes else 0)
            to_employer = st.text_input("转入单位", value=init.get("employer") or person.employer or "",
                                        key=f"{w}_employer_{n}")
        elif kind == "去世":
            asked = init.get("death_date")
            death_date = date_field("去世日期", max_value=clock.today(), key=f"{w}_date_{n}",
                                       value=dt.date.fromisoformat(asked) if asked else None)
        else:
            # the ID number is typed anew, never shown to a masking role; so is the phone: left
            # blank, each keeps what the record (or the returned request) says
            edits = {}
            for key, label in changes.CORRECTABLE.items():
                if key == "id_number":
                    asked = init.get("id_number")
                    edits[key] = _secret_input("新的公民身份号码（不改请留空）", asked, full and bool(asked),
                                               f"{w}_{key}_{n}", mask_id) if asked else \
                        st.text_input("新的公民身份号码（不改请留空）", value="", key=f"{w}_{key}_{n}")
                elif key == "phone" and not full:
                    typed = st.text_input(label, value="", key=f"{w}_{key}_{n}",
                                          placeholder=_unchanged(mask_phone(init.get("phone", person.phone))))
                    edits[key] = typed.strip() or init.get("phone") or ""
                else:
                    edits[key] = st.text_input(label, value=init.get(key, getattr(person, key)) or "",
                                               key=f"{w}_{key}_{n}")
        reason = st.text_area("变动理由", value=init.get("reason") or "", max_chars=changes.MAX_REASON,
                              key=f"{w}_reason_{n}")
        attachment = _attachment(f"{w}_file_{n}", init.get("attachment_name"))
        if st.form_submit_button("重新提交" if revising else "提交"):
            if kind == "关系转移":
                _submit(changes.submit_transfer, user, person.id, to_county, to_employer, reason, attachment,
                        revising=revising)
            elif kind == "去世":
                if death_date is None:
                    st.error("请填写去世日期")
                else:
                    _submit(changes.submit_death, user, person.id, death_date, reason, attachment,
                            revising=revising)
            else:
                _submit(changes.submit_correction, user, person.id, edits, reason, attachment,
                        revising=revising)


def new_decisions_hint(user) -> None:
    """“您有 N 条新的审核结果”, with the way to 我的申请, wherever a submitter works."""
    with read_session() as session:
        count = changes.unseen_decisions(session, user.username)
    if count:
        st.info(f"您有 {count} 条新的审核结果，请到“我的申请”查看。")
        page_link("registry-mine", f"查看我的申请（{count}）", icon="📋")


def submit_page() -> None:
    user = require("registry.submit")
    st.title("提交变动")
    show_flash()
    new_decisions_hint(user)
    with st.expander("批量新增：上传 Excel，每一行成为一件待审核的新增申请"):
        from core.spreadsheet.widgets import import_panel

        import_panel("roster_additions")
    kind = st.radio("变动类型", changes.KINDS, horizontal=True, key="change_kind")
    if kind == "新增":
        addition_form(user)
        return
    person = _pick_person(user, "change", include_deceased=kind == "信息更正")
    if person is not None:
        change_form(user, kind, person)
