"""Changes to the roster: submitted by county staff, decided by reviewers, never direct edits.

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
from typing import Any

from sqlalchemy import func, select, update
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
from plugins.registry.models import ChangeRequest, Honour, Person, initials
from plugins.registry.vocab import DECEASED, HONOURS

KINDS = ("新增", "关系转移", "去世", "信息更正")
PENDING, APPROVED, REJECTED, WITHDRAWN = "待审核", "已通过", "已驳回", "已撤回"
STATES = (PENDING, APPROVED, REJECTED, WITHDRAWN)
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


def _no_pending(session: Session, person_id: int | None, kind: str) -> None:
    if person_id is None:
        return
    if session.scalar(select(ChangeRequest.id).where(
            ChangeRequest.person_id == person_id, ChangeRequest.kind == kind,
            ChangeRequest.state == PENDING)):
        raise ChangeError(f"该人员已有待审核的{kind}申请")


def _new(session, user, kind, county, payload, reason, attachment, person=None) -> ChangeRequest:
    name, data = _attachment(attachment)
    request = ChangeRequest(kind=kind, state=PENDING, person_id=person.id if person else None,
                            county_code=county, payload=payload,
                            before=_snapshot(person) if person else None, reason=_reason(reason),
                            attachment_name=name, attachment=data, submitted_by=user.username,
                            submitted_at=utcnow())
    session.add(request)
    session.flush()
    return request


def submit_addition(session: Session, user: CurrentUser, fields: dict[str, Any], honour: str,
                    year: int | None, reason: str, attachment=None) -> ChangeRequest:
    """新增: a new person with an honour, or a new honour for a person already on the roster."""
    _require(user, "registry.submit")
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
        return _new(session, user, "新增", person.county_code, payload, reason, attachment, person)
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
    return _new(session, user, "新增", county, payload, reason, attachment)


def submit_transfer(session, user, person_id: int, to_county: str, to_employer: str | None,
                    reason: str, attachment=None) -> ChangeRequest:
    """关系转移: to another employer and/or county; the receiving county sees it once approved."""
    _require(user, "registry.submit")
    person = _person(session, user, person_id)
    if to_county not in county_lookup():
        raise ChangeError("请选择转入区县")
    if to_county == person.county_code and (to_employer or person.employer) == person.employer:
        raise ChangeError("转入区县和单位与现在相同")
    _no_pending(session, person.id, "关系转移")
    payload = {"county_code": to_county, "employer": _person_text("employer", to_employer) or person.employer}
    return _new(session, user, "关系转移", person.county_code, payload, reason, attachment, person)


def submit_death(session, user, person_id: int, death_date: dt.date, reason: str,
                 attachment=None) -> ChangeRequest:
    """去世: with the date of death."""
    _require(user, "registry.submit")
    person = _person(session, user, person_id)
    if death_date > clock.today() or death_date < person.birth_date:
        raise ChangeError("去世日期不合理")
    _no_pending(session, person.id, "去世")
    return _new(session, user, "去世", person.county_code, {"death_date": death_date.isoformat()},
                reason, attachment, person)


def submit_correction(session, user, person_id: int, changes: dict[str, Any], reason: str,
                      attachment=None) -> ChangeRequest:
    """信息更正: new values for some of CORRECTABLE's fields."""
    _require(user, "registry.submit")
    person = _person(session, user, person_id, living=False)
    unknown = set(changes) - set(CORRECTABLE)
    if unknown:
        raise ChangeError(f"不能更正：{'、'.join(sorted(unknown))}")
    changed = {k: _person_text(k, v if isinstance(v, str) else None) for k, v in changes.items()}
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
    changed = {k: v for k, v in changed.items() if v != getattr(person, k)}
    if not changed:
        raise ChangeError("没有需要更正的内容")
    if changed.get("name") is None and "name" in changed:
        raise ChangeError("姓名不能为空")
    if "id_number" in changed:  # the birth date and gender are part of the number
        _number_free(session, user, changed["id_number"], person.id)
        changed["birth_date"] = cells.id_birth_date(changed["id_number"]).isoformat()
        changed["gender"] = cells.id_gender(changed["id_number"])
    return _new(session, user, "信息更正", person.county_code, changed, reason, attachment, person)


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
    """The submitter (still holding ``registry.submit``) takes back a request still pending."""
    _require(user, "registry.submit")
    done = session.execute(
        update(ChangeRequest).where(ChangeRequest.id == request_id, ChangeRequest.state == PENDING,
                                    ChangeRequest.submitted_by == user.username)
        .values(state=WITHDRAWN, decided_by=user.username, decided_at=utcnow()))
    if done.rowcount != 1:
        raise AlreadyDecided("该申请已处理或不是您提交的，无法撤回")
    bump_versions(session, {"registry_change"})  # a Core UPDATE: the ORM did not see it
    record(session, "withdraw", table="registry_change", row_id=request_id,
           county=session.scalar(select(ChangeRequest.county_code).where(ChangeRequest.id == request_id)),
           before={"state": PENDING}, after={"state": WITHDRAWN}, summary="撤回变动申请")


def decide(session: Session, user: CurrentUser, request_id: int, approve: bool,
           reason: str | None = None) -> ChangeRequest:
    """Approve (and apply) or reject a pending request; exactly one decision ever counts.

    Needs ``registry.review`` and the request's county; nobody decides a request they
    submitted, administrators included."""
    _require(user, "registry.review")
    if not approve and not (reason or "").strip():
        raise ChangeError("驳回必须填写理由")
    if reason:
        _bounded(reason.strip(), MAX_REASON, "审核意见")
    request = session.get(ChangeRequest, request_id)
    if request is None:
        raise ChangeError("找不到该申请")
    _in_scope(user, request.county_code, "找不到该申请")
    if request.submitted_by == user.username:
        raise Forbidden("不能审核自己提交的申请")
    state = APPROVED if approve else REJECTED
    done = session.execute(
        update(ChangeRequest).where(ChangeRequest.id == request_id, ChangeRequest.state == PENDING,
                                    ChangeRequest.submitted_by != user.username)
        .values(state=state, decided_by=user.username, decided_at=utcnow(),
                decision_reason=(reason or "").strip() or None)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise AlreadyDecided("该申请已被处理，请刷新后查看")
    bump_versions(session, {"registry_change"})  # a Core UPDATE: the ORM did not see it
    session.refresh(request)
    record(session, "approve" if approve else "reject", table="registry_change", row_id=request_id,
           county=request.county_code, before={"state": PENDING},
           after={"state": state, "reason": reason or ""},
           summary=f"{'通过' if approve else '驳回'}{request.kind}申请")
    if approve:
        person_id = _apply(session, request)
        notify(get_host(), session, "registry.change_approved", request_id=request.id,
               person_id=person_id, kind=request.kind)
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
            if "id_number" in payload:  # taken by someone else since the request was made?
                _number_free(session, None, payload["id_number"], person.id)
            for key, value in payload.items():
                setattr(person, key, dt.date.fromisoformat(value) if key == "birth_date" else value)
            if "name" in payload:
                person.name_initials = initials(payload["name"])
    session.flush()
    return request.person_id


def pending_requests(session: Session, counties: tuple[str, ...] | None, kind: str | None = None,
                     limit: int = 200) -> list[ChangeRequest]:
    """The review queue: pending requests, oldest first."""
    stmt = select(ChangeRequest).options(defer(ChangeRequest.attachment)).where(ChangeRequest.state == PENDING)
    if counties is not None:
        stmt = stmt.where(ChangeRequest.county_code.in_(counties))
    if kind:
        stmt = stmt.where(ChangeRequest.kind == kind)
    return list(session.scalars(stmt.order_by(ChangeRequest.submitted_at, ChangeRequest.id).limit(limit)))


def requests_of(session: Session, username: str, limit: int = 200) -> list[ChangeRequest]:
    """A submitter's own requests, newest first."""
    return list(session.scalars(select(ChangeRequest).options(defer(ChangeRequest.attachment))
                                .where(ChangeRequest.submitted_by == username)
                                .order_by(ChangeRequest.submitted_at.desc()).limit(limit)))


def is_overdue(request: ChangeRequest, now: dt.datetime | None = None) -> bool:
    return request.state == PENDING and (now or utcnow()) - request.submitted_at > OVERDUE


FIELD_LABELS = {**CORRECTABLE, "county_code": "所属区县", "status": "人员状态", "death_date": "去世日期",
                "honour": "荣誉", "year_awarded": "授予年份", "id_number": "公民身份号码",
                "gender": "性别", "birth_date": "出生日期"}


def diff(request: ChangeRequest) -> list[dict[str, str]]:
    """What the request changes, field by field: 项目, 变动前, 变动后 (for the reviewer)."""
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
        return county_name(value) if key == "county_code" else str(value)

    return [{"项目": FIELD_LABELS.get(k, k), "变动前": shown(k, before.get(k)), "变动后": shown(k, v)}
            for k, v in payload.items()]


def history_of(session: Session, person_id: int) -> list[ChangeRequest]:
    """Every change request about a person, newest first (the person's full history)."""
    return list(session.scalars(select(ChangeRequest).options(defer(ChangeRequest.attachment))
                                .where(ChangeRequest.person_id == person_id)
                                .order_by(ChangeRequest.submitted_at.desc(), ChangeRequest.id.desc())))


def count_pending(session: Session, counties: tuple[str, ...] | None, kind: str | None = None) -> tuple[int, int]:
    """(pending, of which overdue) in SQL, however long the queue."""
    stmt = select(func.count(), func.count().filter(ChangeRequest.submitted_at < utcnow() - OVERDUE)) \
        .where(ChangeRequest.state == PENDING)
    if counties is not None:
        stmt = stmt.where(ChangeRequest.county_code.in_(counties))
    if kind:
        stmt = stmt.where(ChangeRequest.kind == kind)
    total, late = session.execute(stmt).one()
    return int(total), int(late)
