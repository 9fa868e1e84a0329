"""What every events page and service needs: the user's scope, an event within it, the kinds
they may use, and the clock events are kept in. No Streamlit here.

Times of events (``Event.starts_at``, ``ends_at``) are the local wall-clock times the organiser
typed (naive, in the deployment's zone): an event on 26 September is on that day and in that
year for everyone. Audit and attendance timestamps stay naive UTC like every other table.

Scope: staff of a county see their county's events and the city-wide ones (county_code "",
the academy's, to which county people are invited); they change only their county's. City
users (admin, reviewers, managers) see all; an admin changes all.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from core.access.permissions import FORBIDDEN_ACTION, PermissionDenied, counties_of, require
from core.settings import clock
from plugins.events.models import Event, EventKind
from plugins.events.vocab import CITY

NOT_FOUND = "找不到该活动，或您无权查看"


class EventError(ValueError):
    """A refusal to show the user as is (Chinese): a value out of range, a duplicate, …"""


def visible_condition(user, column=Event.county_code) -> ColumnElement[bool]:
    """Rows of ``column`` (a county code) that ``user`` sees: their counties and the city's."""
    from sqlalchemy import true

    counties = counties_of(user)
    return true() if counties is None else or_(column.in_(counties), column == CITY)


def check_county(user, county_code: str | None) -> None:
    """PermissionDenied unless ``user`` may change records of ``county_code`` ("" the city's:
    only users of the whole city)."""
    counties = counties_of(user)
    if counties is not None and county_code not in counties:
        raise PermissionDenied(FORBIDDEN_ACTION)


def event_for(session: Session, user, event_id: int, permission: str = "events.view") -> Event:
    """The event ``event_id`` if ``user`` holds ``permission`` and sees it; for any permission
    but events.view it must also be in their counties (check_county).

    Raises PermissionDenied without the permission or the county, EventError(NOT_FOUND) for an
    event that does not exist or that they do not see (saying nothing about which)."""
    require(user, permission)
    event = session.get(Event, event_id)
    counties = counties_of(user)
    if event is None or counties is not None and event.county_code not in (*counties, CITY):
        raise EventError(NOT_FOUND)
    if permission != "events.view":
        check_county(user, event.county_code)
    return event


def can_change(user, event: Event) -> bool:
    """Whether ``user``'s counties include the event's (the pages' question; services check
    with check_county themselves)."""
    counties = counties_of(user)
    return counties is None or event.county_code in counties


def now_wall() -> dt.datetime:
    """Now as a naive local wall-clock time, the way event times are kept."""
    return clock.now_local().replace(tzinfo=None, microsecond=0)


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """``[1 January year, 1 January year+1)`` in event time (naive local)."""
    return dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1)


def kinds_for(session: Session, user, *, include_inactive: bool = False) -> list[EventKind]:
    """The kinds ``user`` may use: the city's and their counties' own, in list order."""
    stmt = select(EventKind).where(visible_condition(user, EventKind.county_code))
    if not include_inactive:
        stmt = stmt.where(EventKind.active)
    return list(session.scalars(stmt.order_by(EventKind.county_code, EventKind.position, EventKind.id)))


def plan_lines(session: Session) -> dict[str, str]:
    """Each kind's plan line, by kind name (a county's own kind of the same name as a city kind
    counts towards the city kind's line)."""
    rows = session.execute(select(EventKind.name, EventKind.plan_line)
                           .order_by(EventKind.county_code.desc()))
    return {name: line for name, line in rows}
