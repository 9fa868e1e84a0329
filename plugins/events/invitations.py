"""Who is invited to an event: roster people (one by one from the picker, or a whole roster
search at once), typed guests, their role and registration; the event's participant list.

Every function that changes data checks ``events.edit`` and the event's county itself
(``queries.event_for``), whoever calls it; the caller opens ``session_scope(user.actor)`` so
every ORM write is audited. Refusals are ``queries.EventError`` (Chinese, shown as is) or
PermissionDenied. No Streamlit here.

An invitation keeps the person's roster id with a snapshot of their name, county, employer and
highest honour (``roster.py`` keeps it current). The deceased are never invited. A cancelled
event, or one already over, takes no new invitations. ``capacity`` (名额) bounds the 学员; a
讲师 takes no place.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, func, or_, select
from sqlalchemy.orm import Session

from core.host.people import (
    MAX_LIMIT,
    PeopleQuery,
    PersonRef,
    clean_text,
    get_people,
    list_people,
    people_available,
)
from plugins.events.models import Event, Participant
from plugins.events.queries import EventError, event_for, now_wall
from plugins.events.vocab import CANCELLED, INVITED, PARTICIPANT, REGISTERED, ROLES

MAX_NAME = 50
MAX_EMPLOYER = 100
MAX_GROUP = 2000  # people one roster search may invite at once: more is a search too wide
NO_PARTICIPANT = "找不到该参加人员"


def closed_reason(event: Event) -> str | None:
    """Why ``event`` takes no new invitations (Chinese), or None while it does."""
    if event.status == CANCELLED:
        return "活动已取消，不能再邀请人员"
    if event.ends_at <= now_wall():
        return "活动已经结束，不能再邀请人员"
    return None


def _open_event(session: Session, user, event_id: int) -> Event:
    """The event, for ``user`` to change (events.edit, its county), still taking invitations."""
    event = event_for(session, user, event_id, "events.edit")
    reason = closed_reason(event)
    if reason is not None:
        raise EventError(reason)
    return event


def _role(role: str) -> str:
    if role not in ROLES:
        raise EventError("角色应为" + "或".join(ROLES))
    return role


def places_left(session: Session, event: Event) -> int | None:
    """How many 学员 the event may still take (None: no capacity set)."""
    if event.capacity is None:
        return None
    taken = session.scalar(select(func.count(Participant.id)).where(
        Participant.event_id == event.id, Participant.role == PARTICIPANT))
    return max(0, event.capacity - int(taken or 0))


def _check_places(session: Session, event: Event, role: str, wanted: int) -> None:
    if role != PARTICIPANT or not wanted:
        return
    left = places_left(session, event)
    if left is not None and wanted > left:
        raise EventError(f"名额不足：本活动名额 {event.capacity} 人，还剩 {left} 个，"
                         f"不能再邀请 {wanted} 人")


def _snapshot(ref: PersonRef) -> dict:
    return {"person_id": ref.id, "name": (ref.name or "")[:MAX_NAME],
            "county_code": ref.county_code or "", "employer": (ref.employer or None) and ref.employer[:MAX_EMPLOYER],
            "honour": (ref.honour or None) and ref.honour[:40]}


def _invited_ids(session: Session, event_id: int) -> set[int]:
    return set(session.scalars(select(Participant.person_id).where(
        Participant.event_id == event_id, Participant.person_id.is_not(None))))


def _add(session: Session, user, event: Event, refs: Sequence[PersonRef], role: str) -> int:
    """Invite ``refs`` (roster people, already confirmed, living, not yet invited)."""
    _check_places(session, event, role, len(refs))
    rows = [Participant(event_id=event.id, role=role, registration=INVITED,
                        invited_by=user.username, **_snapshot(ref)) for ref in refs]
    session.add_all(rows)
    session.flush()
    return len(rows)


def invite_people(session: Session, user, event_id: int, refs: Sequence[PersonRef],
                  role: str = PARTICIPANT) -> int:
    """Invite picked roster people as ``role``; returns how many were newly invited.

    Each person is taken from the roster as it is now, within ``user``'s counties (not from what
    the caller passed); people already invited, the deceased and repeats are skipped. Typed
    names (no roster) are invited as guests."""
    event = _open_event(session, user, event_id)
    _role(role)
    refs = [r for r in refs or () if isinstance(r, PersonRef)]
    if not refs:
        raise EventError("请选择要邀请的人员")
    typed = [r for r in refs if r.is_typed]
    ids = [r.id for r in refs if not r.is_typed]
    live = get_people(session, user, ids) if ids and people_available() else {}
    missing = next((r for r in refs if not r.is_typed and r.id not in live), None)
    if missing is not None:
        raise EventError(f"名册中找不到{missing.name}，或其不在您的区县")
    already = _invited_ids(session, event.id)
    chosen: list[PersonRef] = []
    for pid in dict.fromkeys(ids):  # the order picked, each once
        ref = live[pid]
        if pid not in already and not ref.deceased:
            chosen.append(ref)
    _check_places(session, event, role, len(chosen) + len(typed))
    count = _add(session, user, event, chosen, role)
    for ref in typed:
        invite_guest(session, user, event_id, ref.name, role=role)
    return count + len(typed)


def invite_guest(session: Session, user, event_id: int, name: str, employer: str = "",
                 role: str = PARTICIPANT) -> Participant:
    """Invite a guest by a typed name (on no roster), with their employer. The same name twice
    on one event is refused."""
    event = _open_event(session, user, event_id)
    _role(role)
    name = clean_text(name)
    if not name:
        raise EventError("请填写嘉宾姓名")
    if len(name) > MAX_NAME:
        raise EventError(f"姓名不能超过 {MAX_NAME} 个字")
    employer = " ".join((employer or "").split())
    if len(employer) > MAX_EMPLOYER:
        raise EventError(f"工作单位不能超过 {MAX_EMPLOYER} 个字")
    if session.scalar(select(Participant.id).where(
            Participant.event_id == event.id, Participant.person_id.is_(None),
            Participant.name == name)) is not None:
        raise EventError(f"{name}已在邀请名单中")
    _check_places(session, event, role, 1)
    guest = Participant(event_id=event.id, person_id=None, name=name, county_code=event.county_code,
                        employer=employer or None, role=role, registration=INVITED,
                        invited_by=user.username)
    session.add(guest)
    session.flush()
    return guest


def _not_invited(event_id: int):
    """The SQL of the person ids already invited to ``event_id`` (for PeopleQuery.excluding)."""
    return select(Participant.person_id).where(Participant.event_id == event_id,
                                               Participant.person_id.is_not(None))


def matching_count(session: Session, user, event_id: int, query: PeopleQuery) -> int:
    """How many living people ``query`` finds that are not yet invited (the preview,
    "将邀请 N 人")."""
    event_for(session, user, event_id, "events.edit")
    query = PeopleQuery(text=query.text, counties=query.counties, honour_level=query.honour_level,
                        include_deceased=False, excluding=_not_invited(event_id))
    return list_people(session, user, query, 0, 0).total


def invite_matching(session: Session, user, event_id: int, query: PeopleQuery,
                    role: str = PARTICIPANT) -> int:
    """Invite everyone ``query`` finds in the roster within ``user``'s counties (living only,
    whatever the query says), page by page; returns how many were newly invited.

    Refused whole when the 学员 places left are fewer than the people found (the message says
    how many are left), or when more than MAX_GROUP would be invited at once."""
    event = _open_event(session, user, event_id)
    _role(role)
    query = PeopleQuery(text=query.text, counties=query.counties, honour_level=query.honour_level,
                        include_deceased=False, excluding=_not_invited(event.id))
    first = list_people(session, user, query, 0, MAX_LIMIT)
    if first.total > MAX_GROUP:
        raise EventError(f"符合条件的有 {first.total} 人，一次最多邀请 {MAX_GROUP} 人，请缩小范围")
    _check_places(session, event, role, first.total)
    # read every page before writing: the exclusion is live SQL, a write would shift the pages
    found = list(first.people)
    while len(found) < first.total:
        page = list_people(session, user, query, len(found), MAX_LIMIT)
        if not page.people:
            break
        found.extend(page.people)
    already = _invited_ids(session, event.id)
    chosen = list({r.id: r for r in found if r.id is not None and r.id not in already
                   and not r.deceased}.values())
    return _add(session, user, event, chosen, role)


def _participant(session: Session, user, participant_id: int, permission: str = "events.edit"):
    """The participant and their event, if ``user`` may change the event (events.edit, county)."""
    row = session.get(Participant, participant_id)
    if row is None:
        raise EventError(NO_PARTICIPANT)
    event = event_for(session, user, row.event_id, permission)
    return row, event


def remove_participant(session: Session, user, participant_id: int) -> str:
    """Remove one invitation (before the event's attendance is taken for them); returns the
    name removed."""
    row, _event = _participant(session, user, participant_id)
    if row.attendance is not None:
        raise EventError(f"{row.name}已登记出勤（{row.attendance}），不能移除，请先清除出勤")
    name = row.name
    session.delete(row)
    session.flush()
    return name


def set_registration(session: Session, user, participant_id: int, registered: bool) -> Participant:
    """Mark an invited person 已报名 (or back to 已邀请)."""
    row, event = _participant(session, user, participant_id)
    if event.status == CANCELLED:
        raise EventError("活动已取消")
    value = REGISTERED if registered else INVITED
    if row.registration != value:
        row.registration = value
        session.flush()
    return row


def _text_condition(text: str):
    text = clean_text(text)
    if not text:
        return None
    like = f"%{text.replace('%', '').replace('_', '')}%"
    return or_(Participant.name.like(like), Participant.employer.like(like))


def participants(session: Session, user, event_id: int, text: str = "", offset: int = 0,
                 limit: int | None = None) -> list[Row]:
    """The people invited to an event ``user`` sees (lecturers first, then by name), with the
    stored snapshot: id, person_id, name, county_code, employer, honour, role, registration,
    attendance, deceased. ``text`` keeps those whose name or employer contains it."""
    event_for(session, user, event_id)
    stmt = (select(Participant.id, Participant.person_id, Participant.name, Participant.county_code,
                   Participant.employer, Participant.honour, Participant.role,
                   Participant.registration, Participant.attendance, Participant.deceased)
            .where(Participant.event_id == event_id))
    condition = _text_condition(text)
    if condition is not None:
        stmt = stmt.where(condition)
    stmt = stmt.order_by((Participant.role == PARTICIPANT).asc(), Participant.name, Participant.id)
    stmt = stmt.offset(max(0, int(offset)))
    if limit is not None:
        stmt = stmt.limit(max(0, int(limit)))
    return list(session.execute(stmt))


def participant_count(session: Session, user, event_id: int, text: str = "") -> int:
    """How many ``participants`` would list (for "共 N 人" and paging)."""
    event_for(session, user, event_id)
    stmt = select(func.count(Participant.id)).where(Participant.event_id == event_id)
    condition = _text_condition(text)
    if condition is not None:
        stmt = stmt.where(condition)
    return int(session.scalar(stmt) or 0)
