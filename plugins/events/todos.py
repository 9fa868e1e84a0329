"""The events' to-dos for the 工作台, within the user's counties, each group one SQL query.

- 待签到的活动 (``events.edit``): events that have ended, not cancelled, with invitations
  whose attendance is not taken yet (NULL), of the user's counties (a city user: all, the
  city's own included). It goes once every invitation has an attendance (签到 or 其余标为缺席).
  Urgent (SOON) when the oldest ended more than 7 days ago. One event opens its 签到 page;
  several open 日程 ``?attendance=未签到``.
- 年度计划滞后 (``events.plan``): the lines of the user's own plan (a county's; an
  administrator's: the city's own) whose held sessions are below target × the share of the year
  gone, from 1 July on (plan.progress). Links to 年度计划 ``?year=&county=``.

A group at 0 is no to-do (core leaves it out).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from core.access.permissions import in_counties
from core.host.loader import get_host
from core.host.todos import NORMAL, SOON, Todo
from plugins.events.models import Event, Participant
from plugins.events.plan import progress, scope_name
from plugins.events.queries import counties_of, now_wall
from plugins.events.vocab import CANCELLED, CITY, NOT_TAKEN

CALENDAR, ATTENDANCE, PLAN = "events-calendar", "events-attendance", "events-plan"
LATE_DAYS = 7  # attendance still not taken this long after the end: urgent
BEHIND_FROM = (7, 1)  # month, day: from then on a line behind schedule is a to-do


def awaiting_attendance(session: Session, counties) -> tuple[int, dt.datetime | None, int | None]:
    """(events awaiting attendance, the earliest end among them, the id of one of them)."""
    untaken = exists().where(Participant.event_id == Event.id, Participant.attendance.is_(None))
    stmt = (select(func.count(), func.min(Event.ends_at), func.min(Event.id))
            .where(Event.ends_at < now_wall(), Event.status != CANCELLED, untaken,
                   in_counties(Event.county_code, counties)))
    n, oldest, some = session.execute(stmt).one()
    return int(n or 0), oldest, some


def _attendance(session: Session, counties) -> list[Todo]:
    n, oldest, some = awaiting_attendance(session, counties)
    if not n:
        return []
    late = oldest is not None and now_wall() - oldest > dt.timedelta(days=LATE_DAYS)
    link, params = (ATTENDANCE, {"event": str(some)}) if n == 1 else (CALENDAR, {"attendance": NOT_TAKEN})
    return [Todo(key="events-attendance", title="待签到的活动", count=n, link=link, link_params=params,
                 oldest=oldest.date() if oldest else None, urgency=SOON if late else NORMAL, unit="场",
                 help="活动已结束，请补录出勤（或将其余人员标为缺席）")]


def elapsed_share(today: dt.date) -> float:
    """The share of ``today``'s year gone by the end of today."""
    start = dt.date(today.year, 1, 1)
    days = (dt.date(today.year + 1, 1, 1) - start).days
    return ((today - start).days + 1) / days


def _behind(session: Session, county_code: str) -> list[Todo]:
    today = now_wall().date()
    if today < dt.date(today.year, *BEHIND_FROM):
        return []
    share = elapsed_share(today)
    late = [p for p in progress(session, today.year, county_code) if p.target and p.held < p.target * share]
    if not late:
        return []
    said = "、".join(f"{p.line}（{p.held}/{p.target}）" for p in late)
    return [Todo(key="events-plan-behind", title=f"{today.year} 年{scope_name(county_code)}计划滞后的项目",
                 count=len(late), link=PLAN, unit="项",
                 link_params={"year": str(today.year), "county": county_code or "city"},
                 help=f"已举办场次落后于全年目标按时间进度（{share * 100:.0f}%）应完成的：{said}")]


def todos(session: Session, user) -> list[Todo]:
    """``user``'s event to-dos, by the permissions they hold, within their counties."""
    host = get_host()
    counties = counties_of(user)
    found = []
    if host.allowed(user, "events.edit"):
        found += _attendance(session, counties)
    if host.allowed(user, "events.plan"):
        own = getattr(user, "county_code", None)
        if own is not None:
            found += _behind(session, own)
        elif user.role == "admin":
            found += _behind(session, CITY)
    return found
