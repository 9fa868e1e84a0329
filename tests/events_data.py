"""Small, explicit event data for the events' tests: each test makes what it asserts on.

    with session_scope(ADMIN) as s:
        event = make_event(s, kind="素质提升班", county="330182", starts=dt.datetime(2026, 5, 8, 9))
        invite(s, event, (101, "王建国", "330182"))
"""

from __future__ import annotations

import datetime as dt

from core.data.audit import Actor
from plugins.events.models import Event, Participant

ADMIN = Actor("fixture", "admin")


def make_event(session, *, title: str = "测试活动", kind: str = "素质提升班", county: str = "330182",
               starts: dt.datetime = dt.datetime(2026, 5, 8, 9), hours: float = 3.0,
               status: str = "计划", series: str | None = None, capacity: int | None = None,
               class_hours: float | None = 3.0, place: str = "建德市职工服务中心",
               organiser: str = "建德市总工会") -> Event:
    """An event of ``hours`` from ``starts`` (naive local time), flushed (it has its id)."""
    event = Event(kind=kind, title=title, organiser=organiser, county_code=county, place=place,
                  starts_at=starts, ends_at=starts + dt.timedelta(hours=hours), capacity=capacity,
                  class_hours=class_hours, series=series, status=status, created_by="fixture")
    session.add(event)
    session.flush()
    return event


def invite(session, event: Event, *people: tuple[int | None, str, str], role: str = "学员",
           attendance: str | None = None) -> list[Participant]:
    """Invite ``people`` given as (person id or None for a guest, name, county code), flushed."""
    rows = [Participant(event_id=event.id, person_id=pid, name=name, county_code=county, role=role,
                        attendance=attendance, invited_by="fixture") for pid, name, county in people]
    session.add_all(rows)
    session.flush()
    return rows
