"""Studios themselves: their records, people, funding and status, and the 工作室一览 list.

Every function that changes data checks ``workshops.edit`` (``workshops.remove`` for 摘牌) and
the studio's county itself, whoever calls it; the caller opens ``session_scope(user.actor)`` so
every ORM write is audited. Refusals are ``queries.StudioError`` (Chinese, shown as is) or
PermissionDenied. No Streamlit here.

The leader: ``set_leader`` keeps one Member row with role 领办人. The previous leader stays in
the studio as a 成员 (their work there is history, and the page may remove them); a new leader
who already was a member is promoted, never added twice.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.access.permissions import (
    in_counties,
    require,
    scoped_counties,
)
from core.host.people import PersonRef, get_people, people_available
from core.settings import clock
from core.settings.counties import county_name, county_names, resolve_county
from plugins.workshops.models import Funding, Member, Output, Review, StatusChange, Studio
from plugins.workshops.queries import (
    StudioError,
    check_county,
    counties_of,
    removal_condition,
    studio_for,
)
from plugins.workshops.vocab import GRADES, KINDS, LEADER, LEVELS, MEMBER, REMOVED, STATUSES

PAGE_SIZE = 50
FIRST_YEAR = 1980
MAX_NAME = 100
MAX_DOC = 100
MAX_REASON = 500
MAX_NOTE = 200
MAX_FUNDING = 100_000.0  # 万元: more is a typing mistake
NOT_REVIEWED = "未评审"  # a grade filter choice: no review in the year
REVIEWED = "已评审"  # a grade filter choice: any review in the year (the grade tile's link)
GRADE_CHOICES = (*GRADES, REVIEWED, NOT_REVIEWED)
# no status chosen lists the studios on the roll (运行, 暂停), as the tiles count them; 摘牌 ones
# are listed when asked for, or with every status
ANY_STATUS = "全部"
STATUS_CHOICES = (*STATUSES, ANY_STATUS)
FLAG_LEADER, FLAG_REMOVAL = "leader", "removal"
FLAGS = {FLAG_LEADER: "需更换领办人", FLAG_REMOVAL: "建议摘牌"}
EDITABLE = ("name", "kind", "level", "host_employer", "county_code", "named_year", "named_doc")


# --- the list -------------------------------------------------------------------------------

@dataclass(frozen=True)
class StudioFilter:
    """What 工作室一览 shows: ``counties`` None is the whole city; ``grade`` is the grade of the
    review of ``year`` (None: this year), ``NOT_REVIEWED`` none that year; ``flag`` is
    ``leader`` (需更换领办人) or ``removal`` (建议摘牌); ``text`` part of the name, host employer
    or leader's name."""

    counties: tuple[str, ...] | None = None
    kind: str | None = None
    level: str | None = None
    status: str | None = None
    grade: str | None = None
    year: int | None = None
    text: str = ""
    flag: str | None = None

    @property
    def review_year(self) -> int:
        return self.year or clock.this_year()


def _year(value: object) -> int | None:
    text = str(value or "").strip()
    if text.isdigit() and FIRST_YEAR <= int(text) <= clock.this_year():
        return int(text)
    return None


def filter_from_params(params: Mapping[str, str], user) -> StudioFilter:
    """The filter a link's query parameters ask for (``county``, ``kind``, ``level``, ``status``,
    ``grade``, ``year``, ``flag``, ``q``), within ``user``'s counties: a value that is no
    choice is ignored, and so is a county outside the user's (they see their own)."""
    own = counties_of(user)
    county = resolve_county(str(params.get("county") or "").strip()) if params.get("county") else None
    counties = (county,) if county and (own is None or county in own) else own

    def choice(key: str, allowed) -> str | None:
        value = str(params.get(key) or "").strip()
        return value if value in allowed else None

    return StudioFilter(counties=counties, kind=choice("kind", KINDS), level=choice("level", LEVELS),
                        status=choice("status", STATUS_CHOICES), grade=choice("grade", GRADE_CHOICES),
                        year=_year(params.get("year")), text=" ".join(str(params.get("q") or "").split())[:50],
                        flag=choice("flag", FLAGS))


def _conditions(flt: StudioFilter, review) -> list:
    where = [in_counties(Studio.county_code, flt.counties)]
    if flt.kind:
        where.append(Studio.kind == flt.kind)
    if flt.level:
        where.append(Studio.level == flt.level)
    if flt.status is None:
        where.append(Studio.status != REMOVED)
    elif flt.status != ANY_STATUS:
        where.append(Studio.status == flt.status)
    if flt.grade == NOT_REVIEWED:
        where.append(review.c.grade.is_(None))
    elif flt.grade == REVIEWED:
        where.append(review.c.grade.is_not(None))
    elif flt.grade:
        where.append(review.c.grade == flt.grade)
    if flt.text:
        like = f"%{flt.text}%"
        where.append(or_(Studio.name.like(like), Studio.host_employer.like(like), Studio.leader_name.like(like)))
    if flt.flag == FLAG_LEADER:  # a removed studio needs no leader (the tile and to-do agree)
        where.append(and_(Studio.needs_new_leader.is_(True), Studio.status != REMOVED))
    elif flt.flag == FLAG_REMOVAL:
        where.append(removal_condition())
    return where


def _review_of_year(year: int):
    return select(Review.studio_id, Review.grade, Review.total).where(Review.year == year).subquery("rv")


def list_statement(flt: StudioFilter) -> Select:
    """One statement for the list: each studio with that year's grade and total and its number
    of members, sorted by county, then name (no LIMIT: the caller pages). The members are
    counted for the page's rows alone (a correlated subquery): a GROUP BY over every member
    cost nearly all of the page's time at 10,000 studios (bench/workshops.py)."""
    review = _review_of_year(flt.review_year)
    members = (select(func.count()).where(Member.studio_id == Studio.id)
               .correlate(Studio).scalar_subquery().label("members"))
    return (select(Studio.id, Studio.name, Studio.kind, Studio.level, Studio.host_employer,
                   Studio.county_code, Studio.named_year, Studio.status, Studio.leader_id,
                   Studio.leader_name, Studio.needs_new_leader, Studio.leader_issue,
                   review.c.grade, review.c.total, members)
            .outerjoin(review, review.c.studio_id == Studio.id)
            .where(*_conditions(flt, review))
            .order_by(Studio.county_code, Studio.name, Studio.id))


def count_statement(flt: StudioFilter) -> Select:
    review = _review_of_year(flt.review_year)
    stmt = select(func.count()).select_from(Studio)
    if flt.grade:
        stmt = stmt.outerjoin(review, review.c.studio_id == Studio.id)
    return stmt.where(*_conditions(flt, review))


def list_studios(session: Session, user, flt: StudioFilter, offset: int = 0,
                 limit: int = PAGE_SIZE) -> tuple[list[dict], int]:
    """A page of the studios ``flt`` finds within ``user``'s counties, and how many it finds."""
    require(user, "workshops.view")
    # the year made explicit: a statement kept from last year must not answer for this one
    flt = replace(flt, counties=scoped_counties(user, flt.counties), year=flt.review_year)
    # Core execution on the session's connection: plain rows, none of the ORM's per-call work
    connection = session.connection()
    total = connection.execute(_kept_count(flt)).scalar() or 0
    rows = connection.execute(_kept_page(flt, max(0, int(offset)), max(0, int(limit))))
    return [dict(row._mapping) for row in rows], total


# Building a statement costs more than the SQL of a page (about 2 ms of Python against 0.5–1 ms
# at 10,000 studios, bench/workshops.py): each is built once per filter and page, and kept.
@lru_cache(maxsize=512)
def _kept_count(flt: StudioFilter) -> Select:
    return count_statement(flt)


@lru_cache(maxsize=512)
def _kept_page(flt: StudioFilter, offset: int, limit: int) -> Select:
    return list_statement(flt).offset(offset).limit(limit)


# --- checks -----------------------------------------------------------------------------------

def _text(value: object, label: str, max_length: int, *, required: bool = True) -> str | None:
    text = " ".join(str(value or "").split())
    if not text:
        if required:
            raise StudioError(f"请填写{label}")
        return None
    if len(text) > max_length:
        raise StudioError(f"{label}不能超过 {max_length} 个字")
    return text


def _checked(values: Mapping[str, object], current: Studio | None = None) -> dict:
    """``values`` (some of EDITABLE) checked and cleaned; StudioError (Chinese) for the first
    bad one."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise StudioError("不能在此修改：" + "、".join(sorted(unknown)))
    out: dict = {}
    if "name" in values or current is None:
        out["name"] = _text(values.get("name"), "工作室名称", MAX_NAME)
    if "kind" in values or current is None:
        if values.get("kind") not in KINDS:
            raise StudioError("请选择类型" if values.get("kind") is None else "类型应为：" + "、".join(KINDS))
        out["kind"] = values["kind"]
    if "level" in values or current is None:
        if values.get("level") not in LEVELS:
            raise StudioError("请选择级别" if values.get("level") is None else "级别应为：" + "、".join(LEVELS))
        out["level"] = values["level"]
    if "host_employer" in values or current is None:
        out["host_employer"] = _text(values.get("host_employer"), "依托单位", 100)
    if "county_code" in values or current is None:
        code = str(values.get("county_code") or "").strip()
        if code not in county_names():
            raise StudioError("请选择所属区县")
        out["county_code"] = code
    if "named_year" in values or current is None:
        year = values.get("named_year")
        try:
            year = int(str(year).strip())
        except (TypeError, ValueError):
            raise StudioError("命名年份应为 4 位年份") from None
        if not FIRST_YEAR <= year <= clock.this_year():
            raise StudioError(f"命名年份应在 {FIRST_YEAR} 年至 {clock.this_year()} 年之间")
        out["named_year"] = year
    if "named_doc" in values:
        out["named_doc"] = _text(values.get("named_doc"), "命名文号", MAX_DOC, required=False)
    return out


def _refuse_duplicate(session: Session, county: str, name: str, studio_id: int | None = None) -> None:
    stmt = select(Studio.id).where(Studio.county_code == county, Studio.name == name)
    if studio_id is not None:
        stmt = stmt.where(Studio.id != studio_id)
    if session.scalar(stmt.limit(1)) is not None:
        raise StudioError(f"{county_name(county)}已有名为“{name}”的工作室")


def _flush(session: Session, county: str, name: str) -> None:
    """Flush, turning a duplicate another user wrote meanwhile into the same refusal."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise StudioError(f"{county_name(county)}已有名为“{name}”的工作室") from None


def _editable(session: Session, user, studio_id: int) -> Studio:
    """The studio, if ``user`` may edit it (workshops.edit and its county)."""
    return studio_for(session, user, studio_id, "workshops.edit")


# --- the studio's record ---------------------------------------------------------------------

def create_studio(session: Session, user, values: Mapping[str, object]) -> Studio:
    """A new studio (运行) of ``values``: name, kind, level, host_employer, county_code,
    named_year, named_doc. Needs workshops.edit and the county."""
    require(user, "workshops.edit")
    row = _checked(values)
    check_county(user, row["county_code"])
    _refuse_duplicate(session, row["county_code"], row["name"])
    studio = Studio(**row, status=STATUSES[0])
    session.add(studio)
    _flush(session, row["county_code"], row["name"])
    return studio


def update_studio(session: Session, user, studio_id: int, values: Mapping[str, object]) -> Studio:
    """Change some of the studio's fields (EDITABLE; status and leader have their own
    functions). Moving it to another county needs that county too; its output rows follow it
    (their county is the studio's), its past reviews keep the county they were made in."""
    studio = _editable(session, user, studio_id)
    row = _checked(values, studio)
    county = row.get("county_code", studio.county_code)
    check_county(user, county)
    name = row.get("name", studio.name)
    _refuse_duplicate(session, county, name, studio.id)
    for key, value in row.items():
        if getattr(studio, key) != value:
            setattr(studio, key, value)
    if "county_code" in row:  # the output's county is the studio's
        for output in session.scalars(select(Output).where(Output.studio_id == studio.id,
                                                           Output.county_code != county)):
            output.county_code = county
    _flush(session, county, name)
    return studio


def set_status(session: Session, user, studio_id: int, status: str, on: dt.date | None,
               reason: str) -> StatusChange:
    """运行 or 暂停 (workshops.edit), or 摘牌 and back from it (workshops.remove, an admin): with
    the date and the reason, kept as the studio's status history."""
    studio = _editable(session, user, studio_id)
    if status not in STATUSES:
        raise StudioError("状态应为：" + "、".join(STATUSES))
    if REMOVED in (status, studio.status):
        require(user, "workshops.remove")
    if status == studio.status:
        raise StudioError(f"该工作室已是“{status}”状态")
    if not isinstance(on, dt.date):
        raise StudioError("请填写状态变更日期")
    if on > clock.today():
        raise StudioError("状态变更日期不能晚于今天")
    if on.year < studio.named_year:
        raise StudioError("状态变更日期不能早于命名年份")
    reason = _text(reason, "变更原因", MAX_REASON)
    change = StatusChange(studio_id=studio.id, status=status, on=on, reason=reason, by=user.username)
    session.add(change)
    studio.status, studio.status_since, studio.status_reason = status, on, reason
    session.flush()
    return change


def _snapshot(member: Member, ref: PersonRef) -> None:
    """The person's name and highest honour as ``ref`` says (only what changed is written)."""
    values = {"name": (ref.name or "")[:50], "honour": (ref.honour or None) and ref.honour[:40],
              "honour_level": ref.honour_level or None, "deceased": bool(ref.deceased)}
    if ref.is_typed:  # a typed name says nothing about honours or death
        values = {"name": values["name"]}
    for key, value in values.items():
        if getattr(member, key) != value:
            setattr(member, key, value)


def _same_person(member: Member, ref: PersonRef) -> bool:
    if ref.is_typed:
        return member.person_id is None and member.name == ref.name
    return member.person_id == ref.id


def _person_name(ref: PersonRef, label: str) -> str:
    if ref is None or not isinstance(ref, PersonRef):
        raise StudioError(f"请选择{label}")
    name = " ".join((ref.name or "").split())
    if not name:
        raise StudioError(f"请选择{label}")
    if len(name) > 50:
        raise StudioError(f"{label}姓名不能超过 50 个字")
    return name


def _confirmed(session: Session, user, refs: Sequence[PersonRef]) -> list[PersonRef]:
    """``refs`` as the roster says now (when it answers): a picked person is taken from the
    roster, within ``user``'s counties, not from what the caller passed; one lookup for all."""
    ids = [r.id for r in refs if isinstance(r, PersonRef) and not r.is_typed]
    if not ids or not people_available():
        return list(refs)
    live = get_people(session, user, ids)
    missing = next((r for r in refs if isinstance(r, PersonRef) and not r.is_typed and r.id not in live), None)
    if missing is not None:
        raise StudioError(f"名册中找不到{missing.name}，或其不在您的区县")
    return [live[r.id] if isinstance(r, PersonRef) and not r.is_typed else r for r in refs]


def set_leader(session: Session, user, studio_id: int, ref: PersonRef) -> Studio:
    """Make ``ref`` the studio's 领办人: their id and name on the studio, one Member row with
    role 领办人 (a member already is promoted); the previous leader stays a 成员. Clears
    需更换领办人 (choosing the same leader again confirms them)."""
    studio = _editable(session, user, studio_id)
    _person_name(ref, "领办人")
    ref = _confirmed(session, user, [ref])[0]
    if ref.deceased:
        raise StudioError(f"{ref.name}已去世，不能担任领办人")
    if not ref.is_typed:  # a leader imported as a typed name becomes this roster person
        typed = next((m for m in studio.members if m.person_id is None and m.role == LEADER
                      and m.name == ref.name), None)
        if typed is not None:
            typed.person_id = ref.id
    for member in studio.members:
        if member.role == LEADER and not _same_person(member, ref):
            member.role = MEMBER
    mine = next((m for m in studio.members if _same_person(m, ref)), None)
    if mine is None:
        mine = Member(person_id=ref.id, name=ref.name, role=LEADER, joined_year=clock.this_year())
        studio.members.append(mine)
    mine.role = LEADER
    _snapshot(mine, ref)
    if studio.leader_id != ref.id:
        studio.leader_id = ref.id
    if studio.leader_name != mine.name:
        studio.leader_name = mine.name
    if studio.needs_new_leader:
        studio.needs_new_leader = False
    if studio.leader_issue is not None:
        studio.leader_issue = None
    session.flush()
    return studio


def add_members(session: Session, user, studio_id: int, refs: Sequence[PersonRef],
                joined_year: int | None = None) -> list[Member]:
    """Add ``refs`` as 成员, each with a snapshot of their name and honour. A person already in
    the studio (or twice in ``refs``) refuses the whole addition, naming them."""
    studio = _editable(session, user, studio_id)
    refs = list(refs or ())
    if not refs:
        raise StudioError("请选择要添加的成员")
    year = clock.this_year() if joined_year is None else joined_year
    if not isinstance(year, int) or not FIRST_YEAR <= year <= clock.this_year():
        raise StudioError(f"加入年份应在 {FIRST_YEAR} 年至 {clock.this_year()} 年之间")
    for ref in refs:
        _person_name(ref, "成员")
    refs = _confirmed(session, user, refs)
    seen: list[PersonRef] = []
    for ref in refs:
        if any(_same_person(m, ref) for m in studio.members):
            raise StudioError(f"{ref.name}已在该工作室中")
        if any((r.id, r.name if r.is_typed else None) == (ref.id, ref.name if ref.is_typed else None)
               for r in seen):
            raise StudioError(f"重复选择了{ref.name}")
        seen.append(ref)
    added = []
    for ref in refs:
        member = Member(person_id=ref.id, name=ref.name, role=MEMBER, joined_year=year)
        _snapshot(member, ref)
        studio.members.append(member)
        added.append(member)
    session.flush()
    return added


def remove_member(session: Session, user, studio_id: int, member_id: int) -> str:
    """Remove one 成员 (not the 领办人: choose another leader first); returns their name."""
    studio = _editable(session, user, studio_id)
    member = next((m for m in studio.members if m.id == member_id), None)
    if member is None:
        raise StudioError("该成员不在此工作室中")
    if member.role == LEADER:
        raise StudioError("领办人不能移除，请先更换领办人")
    name = member.name
    studio.members.remove(member)
    session.flush()
    return name


def set_funding(session: Session, user, studio_id: int, year: int, amount: float,
                note: str | None = None) -> Funding:
    """The studio's 补助资金 of ``year`` in 万元 (≥ 0): one row per year, changed if it exists."""
    studio = _editable(session, user, studio_id)
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise StudioError("年度应为 4 位年份") from None
    if not FIRST_YEAR <= year <= clock.this_year():
        raise StudioError(f"年度应在 {FIRST_YEAR} 年至 {clock.this_year()} 年之间")
    try:
        amount = float(amount)
    except (TypeError, ValueError):
        raise StudioError("补助资金应为数字（万元）") from None
    if not math.isfinite(amount) or amount < 0:
        raise StudioError("补助资金不能为负数")
    if amount > MAX_FUNDING:
        raise StudioError(f"补助资金不能超过 {MAX_FUNDING:,.0f} 万元")
    note = _text(note, "说明", MAX_NOTE, required=False)
    row = session.scalar(select(Funding).where(Funding.studio_id == studio.id, Funding.year == year))
    if row is None:
        row = Funding(studio_id=studio.id, year=year, amount=round(amount, 4), note=note)
        session.add(row)
    else:
        if row.amount != round(amount, 4):
            row.amount = round(amount, 4)
        if row.note != note:
            row.note = note
    session.flush()
    return row


# --- what a studio's page shows ----------------------------------------------------------------

@dataclass
class StudioRecord:
    """One studio with everything its page lists (plain values, usable after the session)."""

    studio: dict
    members: list[dict] = field(default_factory=list)
    statuses: list[dict] = field(default_factory=list)
    funding: list[dict] = field(default_factory=list)
    outputs: list[dict] = field(default_factory=list)
    reviews: list[dict] = field(default_factory=list)


def _plain(obj, columns) -> dict:
    return {c: getattr(obj, c) for c in columns}


def studio_record(session: Session, user, studio_id: int) -> StudioRecord:
    """The studio (workshops.view and its county, else StudioError NOT_FOUND) with its members,
    status history, funding, output and reviews, by year."""
    studio = studio_for(session, user, studio_id)
    columns = [c.key for c in Studio.__table__.columns]
    record = StudioRecord(studio=_plain(studio, columns))
    record.members = [_plain(m, ("id", "person_id", "name", "role", "honour", "honour_level", "deceased",
                                 "joined_year"))
                      for m in sorted(studio.members, key=lambda m: (m.role != LEADER, m.id))]
    record.statuses = [_plain(s, ("status", "on", "reason", "by")) for s in session.scalars(
        select(StatusChange).where(StatusChange.studio_id == studio.id)
        .order_by(StatusChange.on.desc(), StatusChange.id.desc()))]
    record.funding = [_plain(f, ("year", "amount", "note")) for f in session.scalars(
        select(Funding).where(Funding.studio_id == studio.id).order_by(Funding.year))]
    output_columns = [c.key for c in Output.__table__.columns]
    record.outputs = [_plain(o, output_columns) for o in session.scalars(
        select(Output).where(Output.studio_id == studio.id).order_by(Output.year))]
    record.reviews = [_plain(r, ("year", "standard_title", "total", "full_marks", "grade", "reviewer",
                                 "note", "reviewed_at")) for r in session.scalars(
        select(Review).where(Review.studio_id == studio.id).order_by(Review.year.desc()))]
    return record

