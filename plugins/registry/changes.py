"""Changes to the roster: submitted by county staff, decided by reviewers, never direct edits.

A request is 待审核 until a reviewer approves it (已通过), rejects it (已驳回) or sends it back for
revision (退回修改) with a note; the submitter may fix a returned request and send the same request
again (重新提交: 待审核 once more), or withdraw an open one (已撤回). Every step is kept in
``registry_change_event`` (the request's history). A request always says whom it is about
(:func:`subjects`), in the pages, the audit log and the notification.

No double work: while a request is open (待审核 or 退回修改) nobody may file a second one of the same
kind for the same person (for a 新增: the same ID number and honour; for a new person any 新增 of
that ID number). The service refuses it naming the first; a partial unique index on
``open_key`` makes the database refuse it too when two sessions submit at the same moment (on
PostgreSQL the second insert waits for the first to commit, then fails; on SQLite writers are
serialised anyway).

Only an approved request changes the roster, in the same transaction as the decision. Two
reviewers deciding the same request at once: the decision is a conditional UPDATE
(``WHERE state = '待审核'``), so exactly one of them changes it and the other is told.

Every function here checks the user's permission and counties itself, whoever calls it (a page,
the command line, another plugin): submitting and withdrawing need ``registry.submit``, deciding
needs ``registry.review`` (and never one's own request). A person outside the user's counties is
"找不到该人员" (or, found by ID number, ELSEWHERE): never named, nor their county or status.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from core.access.auth import CurrentUser
from core.access.permissions import PermissionDenied, require
from core.data.audit import bump_versions, record
from core.data.db import utcnow
from core.host.loader import get_host
from core.settings import clock
from core.settings.counties import county_lookup, county_name
from core.spreadsheet import cells
from core.ui.notify import notify
from plugins.registry.models import ChangeEvent, ChangeRequest, Honour, Person, initials
from plugins.registry.vocab import (
    APPROVED,
    CHANGE_KINDS,
    DECEASED,
    HONOURS,
    OPEN_STATES,
    PENDING,
    REJECTED,
    RETURNED,
    WITHDRAWN,
    mask_id,
    mask_phone,
)

KINDS = CHANGE_KINDS
STATES = (PENDING, RETURNED, APPROVED, REJECTED, WITHDRAWN)
OVERDUE = dt.timedelta(days=7)
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_REASON = 1000  # characters of a reason or a decision's reason: a page of text, well inside an Excel cell
CORRECTABLE = {"id_number": "公民身份号码", "name": "姓名", "ethnicity": "民族", "political_status": "政治面貌",
               "education": "学历", "employer": "工作单位", "post": "职务/工种", "industry": "行业",
               "phone": "联系电话"}
ELSEWHERE = "该身份证号码无法在本区县登记，请联系市协会"
PERSON_FIELDS = ("name", "gender", "birth_date", "id_number", "ethnicity", "political_status",
                 "education", "employer", "post", "industry", "county_code", "phone", "status")


class ChangeError(ValueError):
    """A request was refused; the message is Chinese and meant for the user."""


class AlreadyDecided(ChangeError):
    """Someone else decided (or the submitter withdrew) the request first."""


class Forbidden(ChangeError, PermissionDenied):
    """The user does not hold the permission (无权执行此操作); pages show it as any ChangeError."""


def _require(user: CurrentUser, permission: str) -> None:
    require(user, permission, error=Forbidden)


def _snapshot(person: Person) -> dict[str, Any]:
    return {f: (v.isoformat() if isinstance(v := getattr(person, f), dt.date) else v)
            for f in PERSON_FIELDS}


def _in_scope(user: CurrentUser, county: str, refusal: str) -> None:
    """Refuse with ``refusal`` a county outside the user's: it must name nothing the user did
    not give (a person's county says where the person is)."""
    scope = user.visible_counties()
    if scope is not None and county not in scope:
        raise ChangeError(refusal)


def _person(session: Session, user: CurrentUser, person_id: int, *, living: bool = True) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise ChangeError("找不到该人员")
    _in_scope(user, person.county_code, "找不到该人员")  # the same answer: nothing confirmed
    if living and person.status == DECEASED:
        raise ChangeError(f"{person.name} 已去世，不能提交此类变动")
    return person


def _bounded(text: str, max_length: int, label: str) -> str:
    try:
        return cells.check_length(text, max_length)
    except cells.CellError as exc:
        raise ChangeError(f"{label}{exc}") from None


def _person_text(key: str, value: str | None) -> str | None:
    """A person field as typed, trimmed, bounded by its column (None when blank)."""
    value = (value or "").strip() or None
    if value is not None:
        _bounded(value, Person.__table__.c[key].type.length, FIELD_LABELS.get(key, key))
    return value


def _reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise ChangeError("请填写变动理由")
    return _bounded(reason.strip(), MAX_REASON, "变动理由")


ATTACHMENT_TOO_LARGE = f"附件不能超过 {MAX_ATTACHMENT_BYTES // 1024 // 1024} MB"


def attachment_size(data: Any) -> int:
    """The size of an attachment without reading it: bytes, an object with ``.size`` (Streamlit's
    UploadedFile), or a seekable file (measured from its end)."""
    if isinstance(data, bytes | bytearray | memoryview):
        return len(data)
    size = getattr(data, "size", None)
    if isinstance(size, int):
        return size
    start = data.tell()
    end = data.seek(0, 2)
    data.seek(start)
    return end - start


def _attachment(attachment: tuple[str, Any] | None) -> tuple[str | None, bytes | None]:
    """``(name, data)``: data as bytes or an unread file; a file too large is refused by its size,
    before it is read."""
    if attachment is None:
        return None, None
    name, data = attachment
    _bounded(name, ChangeRequest.__table__.c.attachment_name.type.length, "附件文件名")
    if attachment_size(data) > MAX_ATTACHMENT_BYTES:
        raise ChangeError(ATTACHMENT_TOO_LARGE)
    if not isinstance(data, bytes):
        data = bytes(data) if isinstance(data, bytearray | memoryview) else \
            data.getvalue() if hasattr(data, "getvalue") else data.read(MAX_ATTACHMENT_BYTES + 1)
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise ChangeError(ATTACHMENT_TOO_LARGE)
    return name, data


@dataclass(frozen=True)
class Subject:
    """Whom a request is about: the person on the roster, or for a new person what the request
    gives (``status`` 新增人员). ``id_number`` is the full number: show :meth:`id_shown`."""

    name: str
    id_number: str
    county_code: str
    employer: str | None
    status: str

    def id_shown(self, full: bool) -> str:
        return self.id_number if full else mask_id(self.id_number)

    def line(self, full: bool) -> str:
        """乔桂英 · 330182********123X · 建德市: the words every request view starts from."""
        return f"{self.name} · {self.id_shown(full)} · {county_name(self.county_code)}"


NEW_PERSON = "新增人员"


def _new_person_subject(request: ChangeRequest) -> Subject:
    person = (request.payload or {}).get("person") or {}
    return Subject(person.get("name") or "", person.get("id_number") or "",
                   person.get("county_code") or request.county_code, person.get("employer"), NEW_PERSON)


def subjects(session: Session, requests: list[ChangeRequest]) -> dict[int, Subject]:
    """Each request's :class:`Subject`, by request id: the people of a page in one query."""
    ids = {r.person_id for r in requests if r.person_id is not None}
    people = {row.id: Subject(row.name, row.id_number, row.county_code, row.employer, row.status)
              for row in session.execute(select(Person.id, Person.name, Person.id_number,
                                                Person.county_code, Person.employer, Person.status)
                                         .where(Person.id.in_(ids)))} if ids else {}
    return {r.id: people[r.person_id] if r.person_id in people else _new_person_subject(r)
            for r in requests}


def _about(subject: Subject) -> str:
    """A subject as the audit log and notifications name it: the number always masked."""
    return f"{subject.name}（{mask_id(subject.id_number)}，{county_name(subject.county_code)}）"


def open_key(kind: str, person_id: int | None, id_number: str | None = None,
             honour: str | None = None) -> str:
    """What an open request may not share with another: the person and kind, or for a 新增 the
    ID number and honour (a known person may be given two different honours at once)."""
    return f"新增:{id_number}:{honour}" if kind == "新增" else f"{kind}:{person_id}"


def _refuse_duplicate(session: Session, kind: str, key: str | None, revising: int | None,
                      like: str | None = None) -> None:
    """Refuse a request while an open one asks for the same, naming that one."""
    match = ChangeRequest.open_key.like(like) if like else ChangeRequest.open_key == key
    stmt = select(ChangeRequest.id, ChangeRequest.state).where(
        match, ChangeRequest.state.in_(OPEN_STATES)).order_by(ChangeRequest.id)
    if revising is not None:
        stmt = stmt.where(ChangeRequest.id != revising)
    first = session.execute(stmt.limit(1)).first()
    if first is not None:
        todo = "请勿重复提交" if first.state == PENDING else "请在“我的申请”中修改后重新提交"
        raise ChangeError(f"该人员已有{first.state}的{kind}申请（编号 {first.id}），{todo}")


def _event(session: Session, request_id: int, action: str, actor: str, note: str | None = None) -> None:
    session.add(ChangeEvent(request_id=request_id, action=action, actor=actor, at=utcnow(), note=note))


def _revisable(session: Session, user: CurrentUser, request_id: int | None, kind: str,
               person_id: int | None = None) -> None:
    """Refuse to resubmit anything but one's own request of this kind, sent back for revision,
    in one's counties (another county's staff are told nothing of it)."""
    if request_id is None:
        return
    request = session.get(ChangeRequest, request_id)
    if request is None:
        raise ChangeError("找不到该申请")
    _in_scope(user, request.county_code, "找不到该申请")
    if request.submitted_by != user.username:
        raise Forbidden("只能重新提交您本人提交的申请")
    if request.state != RETURNED:
        raise AlreadyDecided(f"该申请现为{request.state}，不能重新提交")
    if request.kind != kind or (kind != "新增" and request.person_id != person_id):
        raise ChangeError("重新提交时不能更换变动类型或人员，请另行提交新的申请")


def _new(session, user, kind, county, payload, reason, attachment, person=None, *,
         key: str, revising: int | None = None, subject: Subject | None = None,
         like: str | None = None) -> ChangeRequest:
    """File the request (or, ``revising`` one sent back, file it again in the same row)."""
    name, data = _attachment(attachment)
    reason = _reason(reason)
    _refuse_duplicate(session, kind, key, revising, like)
    subject = subject or Subject(person.name, person.id_number, person.county_code, person.employer,
                                 person.status)
    values = dict(kind=kind, state=PENDING, person_id=person.id if person else None, county_code=county,
                  payload=payload, before=_snapshot(person) if person else None, reason=reason,
                  submitted_by=user.username, submitted_at=utcnow(), open_key=key,
                  seen_by_submitter=True)
    if name is not None or revising is None:  # a resubmission without a new file keeps the old one
        values.update(attachment_name=name, attachment=data)
    try:
        with session.begin_nested():  # a duplicate filed at this moment by another session
            if revising is None:
                request = ChangeRequest(**values)
                request._audit_summary = f"提交{kind}申请：{_about(subject)}"  # on its create entry
                session.add(request)
                session.flush()
            else:
                done = session.execute(
                    update(ChangeRequest).where(ChangeRequest.id == revising, ChangeRequest.state == RETURNED,
                                                ChangeRequest.submitted_by == user.username)
                    .values(**values, decided_by=None, decided_at=None, decision_reason=None)
                    .execution_options(synchronize_session=False))
                if done.rowcount != 1:
                    raise AlreadyDecided("该申请已被处理，不能重新提交")
    except IntegrityError:
        session.info.pop("_audit_pending", None)  # the failed flush's entries: never written
        _refuse_duplicate(session, kind, key, revising, like)  # names the one that won
        raise
    if revising is None:
        _event(session, request.id, "提交", user.username, reason)
        return request
    bump_versions(session, {"registry_change"})  # a Core UPDATE: the ORM did not see it
    request = session.get(ChangeRequest, revising)
    session.refresh(request)
    _event(session, revising, "重新提交", user.username, reason)
    record(session, "resubmit", table="registry_change", row_id=revising, county=county,
           before={"state": RETURNED}, after={"state": PENDING, "payload": payload},
           summary=f"重新提交{kind}申请（编号 {revising}）：{_about(subject)}")
    return request


def submit_addition(session: Session, user: CurrentUser, fields: dict[str, Any], honour: str,
                    year: int | None, reason: str, attachment=None, *,
                    revising: int | None = None) -> ChangeRequest:
    """新增: a new person with an honour, or a new honour for a person already on the roster.
    ``revising``: the id of one's own 新增 sent back for revision, filed again with these values."""
    _require(user, "registry.submit")
    _revisable(session, user, revising, "新增")
    if honour not in HONOURS:
        raise ChangeError(f"未知荣誉“{honour}”")
    try:
        number = cells.parse_id_number(fields.get("id_number") or "")
    except cells.CellError as exc:
        raise ChangeError(f"公民身份号码：{exc}") from None
    known = session.scalar(select(Person).where(Person.id_number == number))
    payload = {"honour": honour, "year_awarded": year}
    name = _person_text("name", fields.get("name"))
    county = fields.get("county_code") or user.county_code
    key = open_key("新增", None, number, honour)
    if known is not None:  # one person per ID number: never another person's honour
        _in_scope(user, known.county_code, ELSEWHERE)
        if name is not None and name != known.name:
            raise ChangeError(f"该身份证号码已登记为“{known.name}”，与填写的姓名“{name}”不符：请核对号码；"
                              "如是名册中的姓名有误，请提交信息更正")
        if county and county != known.county_code:
            raise ChangeError(f"该人员登记在{county_name(known.county_code)}，与所选区县不符："
                              "调动请提交关系转移")
        person = _person(session, user, known.id)
        if session.scalar(select(Honour.id).where(Honour.person_id == person.id, Honour.name == honour)):
            raise ChangeError(f"{person.name} 已有荣誉“{honour}”")
        return _new(session, user, "新增", person.county_code, payload, reason, attachment, person,
                    key=key, revising=revising)
    if name is None:
        raise ChangeError("请填写姓名")
    if county not in county_lookup():
        raise ChangeError("请选择所属区县")
    _in_scope(user, county, f"{county_name(county)} 不在您的区县范围内")  # the county the user chose
    person_fields = {k: _person_text(k, fields.get(k)) for k in CORRECTABLE if k != "id_number"}
    person_fields.update(name=name, id_number=number, county_code=county,
                         gender=cells.id_gender(number),
                         birth_date=cells.id_birth_date(number).isoformat())
    payload["person"] = person_fields
    subject = Subject(name, number, county, person_fields.get("employer"), NEW_PERSON)
    # a new person waits for one 新增 at a time: a second honour follows once they are on the roster
    return _new(session, user, "新增", county, payload, reason, attachment, key=key, revising=revising,
                subject=subject, like=f"新增:{number}:%")


def submit_transfer(session, user, person_id: int, to_county: str, to_employer: str | None,
                    reason: str, attachment=None, *, revising: int | None = None) -> ChangeRequest:
    """关系转移: to another employer and/or county; the receiving county sees it once approved."""
    _require(user, "registry.submit")
    _revisable(session, user, revising, "关系转移", person_id)
    person = _person(session, user, person_id)
    if to_county not in county_lookup():
        raise ChangeError("请选择转入区县")
    if to_county == person.county_code and (to_employer or person.employer) == person.employer:
        raise ChangeError("转入区县和单位与现在相同")
    payload = {"county_code": to_county, "employer": _person_text("employer", to_employer) or person.employer}
    return _new(session, user, "关系转移", person.county_code, payload, reason, attachment, person,
                key=open_key("关系转移", person.id), revising=revising)


def submit_death(session, user, person_id: int, death_date: dt.date, reason: str,
                 attachment=None, *, revising: int | None = None) -> ChangeRequest:
    """去世: with the date of death."""
    _require(user, "registry.submit")
    _revisable(session, user, revising, "去世", person_id)
    person = _person(session, user, person_id)
    if death_date > clock.today() or death_date < person.birth_date:
        raise ChangeError("去世日期不合理")
    return _new(session, user, "去世", person.county_code, {"death_date": death_date.isoformat()},
                reason, attachment, person, key=open_key("去世", person.id), revising=revising)


DERIVED = {"gender": "性别", "birth_date": "出生日期"}  # correctable only as the ID number says


def submit_correction(session, user, person_id: int, changes: dict[str, Any], reason: str,
                      attachment=None, *, revising: int | None = None) -> ChangeRequest:
    """信息更正: new values for some of CORRECTABLE's fields. A new ID number brings its gender and
    birth date; ``gender``/``birth_date`` may be given too, but only as the number says."""
    _require(user, "registry.submit")
    _revisable(session, user, revising, "信息更正", person_id)
    person = _person(session, user, person_id, living=False)
    unknown = set(changes) - set(CORRECTABLE) - set(DERIVED)
    if unknown:
        raise ChangeError(f"不能更正：{'、'.join(sorted(unknown))}")
    derived = {k: changes[k] for k in DERIVED if changes.get(k) not in (None, "")}
    changed = {k: _person_text(k, v if isinstance(v, str) else None) for k, v in changes.items()
               if k not in DERIVED}
    if changed.get("phone"):
        try:
            changed["phone"] = cells.parse_phone(changed["phone"])
        except cells.CellError as exc:
            raise ChangeError(f"联系电话：{exc}") from None
    if changed.get("id_number"):
        try:
            changed["id_number"] = cells.parse_id_number(changed["id_number"])
        except cells.CellError as exc:
            raise ChangeError(f"公民身份号码：{exc}") from None
    elif "id_number" in changed:  # left blank: the number stays
        del changed["id_number"]
    if "phone" in changed and changed["phone"] is None \
            and not get_host().allowed(user, "registry.view_sensitive"):
        del changed["phone"]  # shown masked, typed anew: left blank, the phone stays
    number = changed.get("id_number") or person.id_number
    _consistent(number, derived)
    changed = {k: v for k, v in changed.items() if v != getattr(person, k)}
    if "id_number" in changed or derived:  # the birth date and gender are part of the number
        changed["birth_date"] = cells.id_birth_date(number).isoformat()
        changed["gender"] = cells.id_gender(number)
        if "id_number" not in changed:  # corrected to agree with the number on file
            changed = {k: v for k, v in changed.items() if k not in DERIVED or v != _snapshot(person)[k]}
    if not changed:
        raise ChangeError("没有需要更正的内容")
    if changed.get("name") is None and "name" in changed:
        raise ChangeError("姓名不能为空")
    if "id_number" in changed:
        _number_free(session, user, changed["id_number"], person.id)
    return _new(session, user, "信息更正", person.county_code, changed, reason, attachment, person,
                key=open_key("信息更正", person.id), revising=revising)


def _consistent(number: str, derived: dict[str, Any]) -> None:
    """Refuse a gender or birth date the ID number contradicts (both are written in it)."""
    if "gender" in derived and derived["gender"] != cells.id_gender(number):
        raise ChangeError(f"性别与公民身份号码不符（号码表示{cells.id_gender(number)}性）")
    if "birth_date" in derived:
        given = derived["birth_date"]
        given = given.isoformat() if isinstance(given, dt.date) else str(given)
        if given != cells.id_birth_date(number).isoformat():
            raise ChangeError("出生日期与公民身份号码不符（号码第 7–14 位是出生日期）")


def _number_free(session: Session, user: CurrentUser | None, number: str, person_id: int) -> None:
    """Refuse an ID number that belongs to another person (named only within the user's scope)."""
    other = session.scalar(select(Person).where(Person.id_number == number, Person.id != person_id))
    if other is None:
        return
    if user is not None:
        _in_scope(user, other.county_code, ELSEWHERE)
    raise ChangeError(f"该身份证号码已登记为 {other.name}（{county_name(other.county_code)}）："
                      "一个号码只属于一个人，请核对")


def withdraw(session: Session, user: CurrentUser, request_id: int) -> None:
    """The submitter (still holding ``registry.submit``) takes back a request still open
    (待审核, or 退回修改 and no longer wanted)."""
    _require(user, "registry.submit")
    state = session.scalar(select(ChangeRequest.state).where(ChangeRequest.id == request_id))
    done = session.execute(
        update(ChangeRequest).where(ChangeRequest.id == request_id, ChangeRequest.state.in_(OPEN_STATES),
                                    ChangeRequest.submitted_by == user.username)
        .values(state=WITHDRAWN, decided_by=user.username, decided_at=utcnow())
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise AlreadyDecided("该申请已处理或不是您提交的，无法撤回")
    bump_versions(session, {"registry_change"})  # a Core UPDATE: the ORM did not see it
    request = session.get(ChangeRequest, request_id)
    session.refresh(request)
    _event(session, request_id, "撤回", user.username)
    record(session, "withdraw", table="registry_change", row_id=request_id, county=request.county_code,
           before={"state": state}, after={"state": WITHDRAWN},
           summary=f"撤回{request.kind}申请（编号 {request_id}）：{_about(subjects(session, [request])[request_id])}")


def _conclusion(scoped: bool):
    """The conditional UPDATE of a decision, RETURNING the request (refreshed in the session if
    it is there), built once (its SQL is compiled once, however many decisions): with the
    reviewer's counties (``scoped``) or without (a city-wide reviewer)."""
    stmt = update(ChangeRequest).where(ChangeRequest.id == bindparam("request_id"),
                                       ChangeRequest.state == PENDING,
                                       ChangeRequest.submitted_by != bindparam("reviewer"))
    if scoped:
        stmt = stmt.where(ChangeRequest.county_code.in_(bindparam("scope", expanding=True)))
    return (stmt.values(state=bindparam("new_state"), decided_by=bindparam("reviewer"),
                        decided_at=bindparam("decided_now"), decision_reason=bindparam("decision_note"),
                        seen_by_submitter=False)
            .returning(ChangeRequest)
            .execution_options(synchronize_session=False, populate_existing=True))


_CONCLUDE = {False: _conclusion(False), True: _conclusion(True)}
_STEP = insert(ChangeEvent.__table__)  # a step in a request's history (see _decided)


def _conclude(session: Session, user: CurrentUser, request_id: int, state: str,
              note: str | None) -> ChangeRequest:
    """Move a pending request to ``state`` for exactly one reviewer (a conditional UPDATE), never
    the submitter; the submitter has a new decision to read."""
    _require(user, "registry.review")
    if note:
        _bounded(note.strip(), MAX_REASON, "审核意见")
    # One statement when it goes through (the request, as decided, comes back by RETURNING); only
    # when no row changed is the request read, to say why.
    scope = user.visible_counties()
    params = {"request_id": request_id, "reviewer": user.username, "new_state": state,
              "decided_now": utcnow(), "decision_note": (note or "").strip() or None}
    if scope is not None:
        params["scope"] = list(scope)
    request = session.scalars(_CONCLUDE[scope is not None], params).one_or_none()
    if request is None:
        found = session.execute(select(ChangeRequest.county_code, ChangeRequest.submitted_by)
                                .where(ChangeRequest.id == request_id)).first()
        if found is None:
            raise ChangeError("找不到该申请")
        _in_scope(user, found.county_code, "找不到该申请")
        if found.submitted_by == user.username:
            raise Forbidden("不能审核自己提交的申请")
        raise AlreadyDecided("该申请已被处理，请刷新后查看")
    bump_versions(session, {"registry_change"})  # a Core UPDATE: the ORM did not see it
    return request


ACTIONS = {APPROVED: ("approve", "通过"), REJECTED: ("reject", "驳回"), RETURNED: ("return", "退回修改")}


def _decided(session: Session, user: CurrentUser, request: ChangeRequest,
             note: str | None) -> tuple[str, Person | None]:
    """The event and audit entry of a decision; returns the words naming the person, and the
    person on the roster (None for a new one)."""
    action, label = ACTIONS[request.state]
    # the person as an ORM object (what subjects() reads): _apply then finds them in the session
    person = session.get(Person, request.person_id) if request.person_id is not None else None
    about = _about(Subject(person.name, person.id_number, person.county_code, person.employer,
                           person.status) if person is not None else _new_person_subject(request))
    # the step in its history as one Core INSERT: ChangeEvent is not audited, so the ORM's unit of
    # work (a flush) would add nothing but its cost
    session.connection().execute(_STEP, {"request_id": request.id, "action": label, "actor": user.username,
                                         "at": utcnow(), "note": (note or "").strip() or None})
    record(session, action, table="registry_change", row_id=request.id, county=request.county_code,
           before={"state": PENDING}, after={"state": request.state, "reason": note or ""},
           summary=f"{label}{request.kind}申请（编号 {request.id}）：{about}")
    return about, person


def decide(session: Session, user: CurrentUser, request_id: int, approve: bool,
           reason: str | None = None) -> ChangeRequest:
    """Approve (and apply) or reject a pending request; exactly one decision ever counts.

    Needs ``registry.review`` and the request's county; nobody decides a request they
    submitted, administrators included."""
    if not approve and not (reason or "").strip():
        _require(user, "registry.review")
        raise ChangeError("驳回必须填写理由")
    request = _conclude(session, user, request_id, APPROVED if approve else REJECTED, reason)
    # ``person`` held here keeps it in the session's (weak) identity map: _apply's get finds it
    about, person = _decided(session, user, request, reason)
    if approve:
        person_id = _apply(session, request)
        notify(get_host(), session, "registry.change_approved", request_id=request.id,
               person_id=person_id, kind=request.kind, summary=f"{request.kind}申请已通过：{about}")
    return request


def send_back(session: Session, user: CurrentUser, request_id: int, note: str) -> ChangeRequest:
    """退回修改: return a pending request to its submitter with a note saying what to fix; they
    may file it again (the same request, its history kept) or withdraw it."""
    if not (note or "").strip():
        _require(user, "registry.review")
        raise ChangeError("退回修改必须填写意见，说明需要修改什么")
    request = _conclude(session, user, request_id, RETURNED, note)
    _decided(session, user, request, note)
    return request


def _apply(session: Session, request: ChangeRequest) -> int:
    payload = request.payload
    if request.kind == "新增":
        if request.person_id is None:  # approved earlier for another honour of the same person?
            asked = payload["person"]
            known = session.execute(select(Person.id, Person.name, Person.county_code).where(
                Person.id_number == asked["id_number"])).first()
            if known is not None and (known.name, known.county_code) != (asked["name"], asked["county_code"]):
                raise ChangeError(f"该身份证号码已登记为 {known.name}（{county_name(known.county_code)}），"
                                  "与申请中的人员不符，此申请不能通过，请驳回")
            request.person_id = known.id if known is not None else None
        if request.person_id is None:
            fields = dict(payload["person"])
            try:  # a request filed before text was bounded: refused here, not by the database
                for key in CORRECTABLE.keys() - {"id_number"}:
                    _person_text(key, fields.get(key))
            except ChangeError as exc:
                raise ChangeError(f"{exc}：此申请不能通过，请驳回") from None
            fields["birth_date"] = dt.date.fromisoformat(fields["birth_date"])
            person = Person(**fields, name_initials=initials(fields["name"]), status="在职")
            session.add(person)
            session.flush()
            request.person_id = person.id
        elif session.scalar(select(Honour.id).where(Honour.person_id == request.person_id,
                                                    Honour.name == payload["honour"])):
            raise ChangeError(f"该人员已有荣誉“{payload['honour']}”，此申请不能通过，请驳回")
        session.add(Honour(person_id=request.person_id, name=payload["honour"],
                           level=HONOURS[payload["honour"]], year_awarded=payload.get("year_awarded")))
    else:
        person = session.get(Person, request.person_id)
        if request.kind == "关系转移":
            person.county_code, person.employer = payload["county_code"], payload["employer"]
        elif request.kind == "去世":
            person.status, person.death_date = DECEASED, dt.date.fromisoformat(payload["death_date"])
        else:
            if "id_number" in payload:  # checked as for a new person, and taken meanwhile?
                try:
                    cells.parse_id_number(payload["id_number"])
                except cells.CellError as exc:
                    raise ChangeError(f"公民身份号码：{exc}：此申请不能通过，请驳回") from None
                _consistent(payload["id_number"], {k: payload[k] for k in DERIVED if k in payload})
                _number_free(session, None, payload["id_number"], person.id)
            for key, value in payload.items():
                setattr(person, key, dt.date.fromisoformat(value) if key == "birth_date" else value)
            if "name" in payload:
                person.name_initials = initials(payload["name"])
    session.flush()
    return request.person_id


def _queue_filter(stmt, counties: tuple[str, ...] | None, kind: str | None,
                  overdue: bool | None, not_by: str | None, by: str | None = None):
    """The review queue's filters: counties, kind, waiting more than 7 days (True) or not
    (False), leaving out one submitter's own requests (a reviewer never decides them), or
    keeping only them (``by``)."""
    stmt = stmt.where(ChangeRequest.state == PENDING)
    if counties is not None:
        stmt = stmt.where(ChangeRequest.county_code.in_(counties))
    if kind:
        stmt = stmt.where(ChangeRequest.kind == kind)
    if overdue is not None:  # the moment 7 days ago, taken when the statement runs (it may be kept)
        late = ChangeRequest.submitted_at < bindparam("overdue_since", callable_=lambda: utcnow() - OVERDUE,
                                                      type_=ChangeRequest.submitted_at.type)
        stmt = stmt.where(late if overdue else ~late)
    if not_by:
        stmt = stmt.where(ChangeRequest.submitted_by != not_by)
    if by:
        stmt = stmt.where(ChangeRequest.submitted_by == by)
    return stmt


def pending_requests(session: Session, counties: tuple[str, ...] | None, kind: str | None = None,
                     limit: int = 200, *, overdue: bool | None = None,
                     not_by: str | None = None, by: str | None = None) -> list[ChangeRequest]:
    """The review queue: pending requests, oldest first (filters as :func:`count_pending`;
    ``by``: only those this user submitted)."""
    stmt = _queue_filter(select(ChangeRequest).options(defer(ChangeRequest.attachment)),
                         counties, kind, overdue, not_by, by)
    return list(session.scalars(stmt.order_by(ChangeRequest.submitted_at, ChangeRequest.id).limit(limit)))


def requests_of(session: Session, username: str, limit: int = 200, *, state: str | None = None,
                overdue: bool = False, ids: set[int] | None = None) -> list[ChangeRequest]:
    """A submitter's own requests: the ones sent back for revision first, then newest first;
    only those in ``state``, with ``overdue`` only those pending more than 7 days, and with
    ``ids`` only those."""
    stmt = select(ChangeRequest).options(defer(ChangeRequest.attachment)) \
        .where(ChangeRequest.submitted_by == username)
    if ids is not None:
        stmt = stmt.where(ChangeRequest.id.in_(ids))
    if state:
        stmt = stmt.where(ChangeRequest.state == state)
    if overdue:
        stmt = stmt.where(ChangeRequest.state == PENDING, ChangeRequest.submitted_at < utcnow() - OVERDUE)
    return list(session.scalars(stmt.order_by((ChangeRequest.state == RETURNED).desc(),
                                              ChangeRequest.submitted_at.desc(), ChangeRequest.id.desc())
                                .limit(limit)))


def unseen_decisions(session: Session, username: str) -> int:
    """How many of the user's requests a reviewer decided (or sent back) since they last opened
    我的申请."""
    return int(session.scalar(select(func.count()).where(
        ChangeRequest.submitted_by == username, ChangeRequest.seen_by_submitter.is_(False))) or 0)


def mark_seen(session: Session, username: str) -> list[int]:
    """The submitter opened 我的申请: their new decisions are read. Returns the ids that were new
    (the page marks them). Not audited: reading one's own results changes nothing."""
    ids = list(session.scalars(select(ChangeRequest.id).where(
        ChangeRequest.submitted_by == username, ChangeRequest.seen_by_submitter.is_(False))))
    if ids:
        session.execute(update(ChangeRequest).where(ChangeRequest.id.in_(ids))
                        .values(seen_by_submitter=True).execution_options(synchronize_session=False))
        # a Core UPDATE the ORM did not see: 工作台's 新驳回 count is cached by data version
        bump_versions(session, {"registry_change"})
    return ids


def events_of(session: Session, request_ids: list[int]) -> dict[int, list[ChangeEvent]]:
    """Each request's history, oldest step first, for a page of requests in one query."""
    found: dict[int, list[ChangeEvent]] = {rid: [] for rid in request_ids}
    if request_ids:
        for event in session.scalars(select(ChangeEvent).where(ChangeEvent.request_id.in_(request_ids))
                                     .order_by(ChangeEvent.at, ChangeEvent.id)):
            found[event.request_id].append(event)
    return found


def is_overdue(request: ChangeRequest, now: dt.datetime | None = None) -> bool:
    return request.state == PENDING and (now or utcnow()) - request.submitted_at > OVERDUE


MASKED = {"id_number": mask_id, "phone": mask_phone, "birth_date": lambda v: f"{v[:4]} 年"}
FIELD_LABELS = {**CORRECTABLE, "county_code": "所属区县", "status": "人员状态", "death_date": "去世日期",
                "honour": "荣誉", "year_awarded": "授予年份", "id_number": "公民身份号码",
                "gender": "性别", "birth_date": "出生日期"}


def diff(request: ChangeRequest, full: bool = True) -> list[dict[str, str]]:
    """What the request changes, field by field: 项目, 变动前, 变动后. Unless ``full`` (the
    viewer sees full numbers), ID numbers and phones are masked and a birth date is its year."""
    before = request.before or {}
    payload = dict(request.payload)
    if request.kind == "去世":
        payload = {"status": DECEASED, **payload}
    if request.kind == "新增" and "person" in payload:
        person = payload.pop("person")
        payload = {**{k: v for k, v in person.items() if v}, **payload}

    def shown(key, value):
        if value in (None, ""):
            return "—"
        if not full and key in MASKED:
            return MASKED[key](str(value))
        return county_name(value) if key == "county_code" else str(value)

    return [{"项目": FIELD_LABELS.get(k, k), "变动前": shown(k, before.get(k)), "变动后": shown(k, v)}
            for k, v in payload.items()]


# built once, like _CONCLUDE: building it cost more than the lookup
_HISTORY = (select(ChangeRequest.id, ChangeRequest.kind, ChangeRequest.state, ChangeRequest.submitted_by,
                   ChangeRequest.submitted_at, ChangeRequest.decided_by, ChangeRequest.decided_at,
                   ChangeRequest.decision_reason)
            .where(ChangeRequest.person_id == bindparam("person_id"))
            .order_by(ChangeRequest.submitted_at.desc(), ChangeRequest.id.desc()))


def history_of(session: Session, person_id: int) -> list:
    """Every change request about a person, newest first (the person's full history): rows
    of what a history shows (编号, 类型, 状态, who submitted and decided it, when, the
    reviewer's note), plain rows rather than ORM objects (a third of the time)."""
    return session.connection().execute(_HISTORY, {"person_id": person_id}).all()


def count_pending(session: Session, counties: tuple[str, ...] | None, kind: str | None = None, *,
                  overdue: bool | None = None, not_by: str | None = None) -> tuple[int, int]:
    """(pending, of which overdue) in SQL, however long the queue: in ``counties``, of
    ``kind``, waiting more than 7 days (``overdue`` True) or not (False), leaving out the
    requests ``not_by`` submitted."""
    stmt = _queue_filter(select(func.count(), func.count().filter(ChangeRequest.submitted_at < utcnow() - OVERDUE)),
                         counties, kind, overdue, not_by)
    total, late = session.execute(stmt).one()
    return int(total), int(late)
