"""参与统计 in SQL: who took part in a year and how often, participation per county, and the
roster people nobody invited in the last two years. No Streamlit here.

Scope: a county's staff see the people of their county (the participant's ``county_code``) at
the events they see (their county's and the city's); city users see everyone. Cancelled
events count nowhere: an invitation to one asked nobody to come.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, case, distinct, func, select
from sqlalchemy.orm import Session

from core.access.permissions import require, scoped_counties
from core.host.people import PeoplePage, PeopleQuery, list_people
from plugins.events.models import Event, Participant
from plugins.events.queries import now_wall, visible_condition, year_bounds
from plugins.events.vocab import CANCELLED, HELD, NOT_INVITED_YEARS, PRESENT

PAGE_SIZE = 50


def _counties(user, county: str | None) -> tuple[str, ...] | None:
    """The people's counties asked for: ``county`` (within the user's), else all they see."""
    return scoped_counties(user, (county,) if county else None)


def _present():
    return case((Participant.attendance == PRESENT, 1), else_=0)


def person_statement(user, year: int, county: str | None = None) -> Select:
    """One row per roster person invited to a (not cancelled) event of ``year``: person_id,
    name, county_code, invited, present, hours (class hours of the events attended),
    last_at (start of the last event attended, None if none)."""
    start, end = year_bounds(year)
    counties = _counties(user, county)
    present = _present()
    stmt = (select(Participant.person_id,
                   func.max(Participant.name).label("name"),
                   func.max(Participant.county_code).label("county_code"),
                   func.count().label("invited"),
                   func.sum(present).label("present"),
                   func.coalesce(func.sum(case((Participant.attendance == PRESENT,
                                                func.coalesce(Event.class_hours, 0)), else_=0)), 0)
                   .label("hours"),
                   func.max(case((Participant.attendance == PRESENT, Event.starts_at))).label("last_at"))
            .join(Event, Event.id == Participant.event_id)
            .where(Participant.person_id.is_not(None), Event.status != CANCELLED,
                   Event.starts_at >= start, Event.starts_at < end, visible_condition(user))
            .group_by(Participant.person_id))
    if counties is not None:
        stmt = stmt.where(Participant.county_code.in_(counties))
    return stmt


def person_participation(session: Session, user, year: int, county: str | None = None,
                         offset: int = 0, limit: int = PAGE_SIZE) -> tuple[list, int]:
    """A page of ``person_statement`` (most attended first, then most class hours, then id)
    and how many people it has in all."""
    require(user, "events.view")
    people = person_statement(user, year, county).subquery()
    total = session.scalar(select(func.count()).select_from(people)) or 0
    if not total:
        return [], 0
    page = (select(people).order_by(people.c.present.desc(), people.c.hours.desc(), people.c.person_id)
            .offset(max(0, offset)).limit(max(0, min(limit, 200))))
    return list(session.execute(page).mappings()), int(total)


def county_participation(session: Session, user, year: int) -> list:
    """Per event county ("" the city's own) with held events in ``year``: events (held),
    invited and present (at those events) and rate (present / invited, None without
    invitations), by county code. Staff see their county and the city's."""
    require(user, "events.view")
    start, end = year_bounds(year)
    stmt = (select(Event.county_code,
                   func.count(distinct(Event.id)).label("events"),
                   func.count(Participant.id).label("invited"),
                   func.coalesce(func.sum(_present()), 0).label("present"))
            .outerjoin(Participant, Participant.event_id == Event.id)
            .where(Event.status == HELD, Event.starts_at >= start, Event.starts_at < end,
                   visible_condition(user))
            .group_by(Event.county_code).order_by(Event.county_code))
    rows = []
    for row in session.execute(stmt).mappings():
        invited, present = int(row["invited"]), int(row["present"])
        rows.append({"county_code": row["county_code"], "events": int(row["events"]),
                     "invited": invited, "present": present,
                     "rate": present / invited if invited else None})
    return rows


def cut_off(years: int = NOT_INVITED_YEARS, now: dt.datetime | None = None) -> dt.datetime:
    """The same day ``years`` years before ``now`` (29 February: the 28th), at midnight."""
    now = now or now_wall()
    try:
        day = now.date().replace(year=now.year - years)
    except ValueError:
        day = now.date().replace(year=now.year - years, day=28)
    return dt.datetime.combine(day, dt.time())


def not_invited_query(years: int = NOT_INVITED_YEARS) -> Select:
    """The ids of roster people invited to an event (not cancelled) starting since the cut-off
    (``years`` ago; later events, planned ones included, count too): for
    ``PeopleQuery.excluding``. Never yields NULL (guests have no id)."""
    return (select(Participant.person_id).join(Event, Event.id == Participant.event_id)
            .where(Participant.person_id.is_not(None), Event.status != CANCELLED,
                   Event.starts_at >= cut_off(years))
            .distinct())


def never_invited(session: Session, user, county: str | None = None, offset: int = 0,
                  limit: int = PAGE_SIZE, years: int = NOT_INVITED_YEARS) -> PeoplePage:
    """A page of the living roster people (within ``user``'s counties, or ``county``) not
    invited to any event in the last ``years`` years, and their total; empty without the
    roster. The exclusion runs in the roster's SQL."""
    require(user, "events.view")
    counties = _counties(user, county) if county is not None else None
    query = PeopleQuery(counties=counties, excluding=not_invited_query(years))
    return list_people(session, user, query, offset=offset, limit=limit)
