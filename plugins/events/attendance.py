"""Attendance (出勤): 出席, 缺席 or 请假 for each person invited, taken at the door on 签到.

Every function that changes data checks ``events.edit`` and the event's county itself; the
caller opens ``session_scope(user.actor)`` so every write is audited. Attendance is taken only
once the event has started, never for a cancelled one. The first 出席 of a 计划 event that has
started makes it 已举办 (``events.mark_held_if_started``): the plan counts it from then on.
No Streamlit here.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.data.db import utcnow
from plugins.events.events import mark_held_if_started
from plugins.events.models import Event, Participant
from plugins.events.queries import EventError, event_for, now_wall
from plugins.events.vocab import (
    ABSENT,
    ATTENDANCE,
    CANCELLED,
    EXCUSED,
    NOT_TAKEN,
    PRESENT,
)

NO_PARTICIPANT = "找不到该参加人员"


def check_open(event: Event) -> None:
    """EventError unless attendance may be taken for ``event`` now."""
    if event.status == CANCELLED:
        raise EventError("活动已取消，不能签到")
    if event.starts_at > now_wall():
        raise EventError("活动还没有开始，开始后才能签到")


def record_attendance(session: Session, user, participant_id: int, value: str | None) -> Participant:
    """Record ``value`` (出席, 缺席, 请假; None clears it) for one invited person, with who and
    when. The first 出席 of the event makes a started 计划 event 已举办."""
    if value is not None and value not in ATTENDANCE:
        raise EventError("出勤应为" + "、".join(ATTENDANCE))
    row = session.get(Participant, participant_id)
    if row is None:
        raise EventError(NO_PARTICIPANT)
    event = event_for(session, user, row.event_id, "events.edit")
    check_open(event)
    if row.attendance == value:
        return row  # pressed twice: nothing to write
    first_present = value == PRESENT and session.scalar(select(Participant.id).where(
        Participant.event_id == event.id, Participant.attendance == PRESENT).limit(1)) is None
    row.attendance = value
    row.attendance_at = utcnow() if value is not None else None
    row.attendance_by = user.username if value is not None else None
    session.flush()
    if first_present:
        mark_held_if_started(session, user, event)
        session.flush()
    return row


def mark_rest_absent(session: Session, user, event_id: int) -> int:
    """Everyone whose attendance is not yet taken becomes 缺席; returns how many."""
    event = event_for(session, user, event_id, "events.edit")
    check_open(event)
    rest = list(session.scalars(select(Participant).where(
        Participant.event_id == event.id, Participant.attendance.is_(None))))
    now = utcnow()
    for row in rest:
        row.attendance, row.attendance_at, row.attendance_by = ABSENT, now, user.username
    session.flush()
    return len(rest)


def attendance_counts(session: Session, event_id: int) -> dict[str, int]:
    """How many invited people are 出席, 缺席, 请假 and 未签到 (one GROUP BY)."""
    counts = {PRESENT: 0, ABSENT: 0, EXCUSED: 0, NOT_TAKEN: 0}
    rows = session.execute(select(Participant.attendance, func.count(Participant.id))
                           .where(Participant.event_id == event_id)
                           .group_by(Participant.attendance))
    for value, count in rows:
        counts[value if value in counts else NOT_TAKEN] += int(count)
    return counts
