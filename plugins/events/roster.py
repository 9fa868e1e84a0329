"""Reacting to the roster: an approved change about a person reaches ``roster_changed`` inside
the roster's approval transaction (``jiangxin_notification``, see ``__init__``), so what it
writes is audited as the approver's and rolls back with the approval.

- a death drops the person from the events not yet begun (status 计划, starting later) and
  marks them 已故 on every other list (held, cancelled, under way);
- a transfer (关系转移) moves the county and employer of their invitations to events not yet
  begun to the new ones (the lists of past events keep where they were);
- any approved change refreshes the name and highest honour kept on every invitation.

Only what differs is written, so the same approval reported twice changes nothing the second
time. The roster is never imported: the person comes from ``core.host.people``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.host.people import get_people
from plugins.events.models import Event, Participant
from plugins.events.queries import now_wall
from plugins.events.vocab import PLANNED

TRANSFER, DEATH = "关系转移", "去世"


def _set(obj, **values) -> None:
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)


def roster_changed(session: Session, person_id: int, kind: str) -> None:
    """The roster approved a change of ``kind`` (新增, 关系转移, 去世, 信息更正) about
    ``person_id``: keep their invitations in step (see the module's docstring)."""
    ref = get_people(session, None, [person_id]).get(person_id)
    if ref is None:
        return
    now = now_wall()
    rows = session.execute(select(Participant, Event.status, Event.starts_at)
                           .join(Event, Event.id == Participant.event_id)
                           .where(Participant.person_id == person_id)).all()
    honour = ref.honour[:40] if ref.honour else None
    for row, status, starts_at in rows:
        not_begun = status == PLANNED and starts_at > now
        if ref.deceased and not_begun:
            session.delete(row)  # audited as a delete by the approver
            continue
        _set(row, name=ref.name[:50], honour=honour)
        if ref.deceased:
            _set(row, deceased=True)
        if kind == TRANSFER and not_begun:
            _set(row, county_code=ref.county_code or "",
                 employer=(ref.employer or None) and ref.employer[:100])
    session.flush()
