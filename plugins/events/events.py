"""Events themselves: their records and status, and what 日程 lists (a page, a month).

Every function that changes data checks ``events.edit`` and the event's county itself
(queries.check_county / event_for), whoever calls it; the caller opens
``session_scope(user.actor)`` so every ORM write is audited (and the table's data version
bumped). Refusals are ``queries.EventError`` (Chinese, shown as is) or PermissionDenied. No
Streamlit here.

Scope: staff of a county see their county's events and the city-wide ones (county_code "");
they create and change only their county's. City users see every event; an admin changes any.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache

from sqlalchemy import Select, exists, extract, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.access.permissions import require
from core.settings.counties import county_name, county_names, resolve_county
from plugins.events.models import Event, EventKind, Participant
from plugins.events.queries import (
    EventError,
    check_county,
    counties_of,
    event_for,
    now_wall,
    visible_condition,
)
from plugins.events.vocab import CANCELLED, CITY, HELD, NOT_TAKEN, PLANNED, PRESENT, STATUSES

PAGE_SIZE = 50
CITY_PARAM = "city"  # ?county=city: the city-wide events alone
FIRST_YEAR, YEARS_AHEAD = 2000, 5  # an event's year: a later or earlier one is a typing mistake
MAX_TEXT = 100
MAX_SERIES = 50
MAX_REASON = 200
MAX_SUMMARY = 5000
MAX_CAPACITY = 100_000
MAX_CLASS_HOURS = 1000.0
EDITABLE = ("kind", "title", "organiser", "county_code", "place", "starts_at", "ends_at",
            "capacity", "class_hours", "series", "summary")


# --- the list ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class EventFilter:
    """What 日程 shows: ``counties`` None is every event the user sees (their counties and the
    city's), ("",) the city-wide events alone; ``start``/``end`` bound ``starts_at`` as
    ``[start, end)`` (a month on the page, or a link's ``from``/``to`` days); ``text`` part of
    the title, place or organiser; ``awaiting_attendance`` keeps events that have ended, not
    cancelled, with someone's attendance not yet taken (the 待签到 to-do's link)."""

    counties: tuple[str, ...] | None = None
    kind: str | None = None
    series: str | None = None
    status: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    text: str = ""
    awaiting_attendance: bool = False

    @property
    def month(self) -> tuple[int, int] | None:
        """(year, month) when the bounds are exactly one calendar month, else None."""
        if self.start is None or self.end is None or self.start != dt.datetime(self.start.year, self.start.month, 1):
            return None
        return (self.start.year, self.start.month) if self.end == _next_month(self.start) else None


def _next_month(day: dt.datetime) -> dt.datetime:
    return dt.datetime(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """``[first of the month, first of the next)`` in event time (naive local)."""
    start = dt.datetime(year, month, 1)
    return start, _next_month(start)


def parse_month(value: object) -> tuple[int, int] | None:
    """``2026-05`` (or ``2026-5``) as (2026, 5); None for anything else."""
    found = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", str(value or ""))
    if not found:
        return None
    year, month = int(found[1]), int(found[2])
    this = now_wall().year
    if not (FIRST_YEAR <= year <= this + YEARS_AHEAD and 1 <= month <= 12):
        return None
    return year, month


def parse_day(value: object) -> dt.date | None:
    """``2026-05-08`` as a date; None for anything else."""
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def _clean(value: object, max_length: int) -> str:
    return " ".join(str(value or "").split())[:max_length]


def filter_from_params(params: Mapping[str, str], user=None) -> EventFilter:
    """The filter a link's query parameters ask for: ``county`` (a code or name, or ``city``),
    ``kind``, ``series``, ``status``, ``month`` (``2026-05``), ``q``; and from a tile or to-do's
    link ``from``/``to`` (days, both included; a month wins over them) and ``attendance=未签到``.
    A value that is no choice is ignored; with ``user``, so is a county outside what they see."""
    counties = None
    county = _clean(params.get("county"), 20)
    if county == CITY_PARAM:
        counties = (CITY,)
    elif county:
        code = county if county in county_names() else resolve_county(county)
        own = counties_of(user) if user is not None else None
        if code and (own is None or code in own):
            counties = (code,)
    status = _clean(params.get("status"), 10)
    month = parse_month(params.get("month"))
    start, end = month_bounds(*month) if month else (None, None)
    if not month:
        first, last = parse_day(params.get("from")), parse_day(params.get("to"))
        start = dt.datetime.combine(first, dt.time()) if first else None
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time()) if last else None
    return EventFilter(counties=counties, kind=_clean(params.get("kind"), 20) or None,
                       series=_clean(params.get("series"), MAX_SERIES) or None,
                       status=status if status in STATUSES else None, start=start, end=end,
                       text=_clean(params.get("q"), 50),
                       awaiting_attendance=_clean(params.get("attendance"), 10) == NOT_TAKEN)


def params_of(flt: EventFilter) -> dict[str, str]:
    """The query parameters that ask for ``flt`` (only those it sets): filter_from_params'
    inverse for the filters a page offers."""
    out: dict[str, str] = {}
    if flt.counties == (CITY,):
        out["county"] = CITY_PARAM
    elif flt.counties is not None and len(flt.counties) == 1:
        out["county"] = flt.counties[0]
    for key, value in (("kind", flt.kind), ("series", flt.series), ("status", flt.status), ("q", flt.text)):
        if value:
            out[key] = value
    if flt.month:
        out["month"] = f"{flt.month[0]:04d}-{flt.month[1]:02d}"
    else:
        if flt.start is not None:
            out["from"] = flt.start.date().isoformat()
        if flt.end is not None:
            out["to"] = (flt.end - dt.timedelta(days=1)).date().isoformat()
    if flt.awaiting_attendance:
        out["attendance"] = NOT_TAKEN
    return out


def _conditions(user, flt: EventFilter) -> list:
    where = [visible_condition(user)]
    if flt.counties is not None:
        where.append(Event.county_code.in_(flt.counties))
    if flt.kind:
        where.append(Event.kind == flt.kind)
    if flt.series:
        where.append(Event.series == flt.series)
    if flt.status:
        where.append(Event.status == flt.status)
    if flt.start is not None:
        where.append(Event.starts_at >= flt.start)
    if flt.end is not None:
        where.append(Event.starts_at < flt.end)
    if flt.text:
        like = f"%{flt.text}%"
        where.append(or_(Event.title.like(like), Event.place.like(like), Event.organiser.like(like)))
    if flt.awaiting_attendance:
        untaken = exists().where(Participant.event_id == Event.id, Participant.attendance.is_(None))
        where += [Event.status != CANCELLED, Event.ends_at < now_wall(), untaken]
    return where


_COLUMNS = (Event.id, Event.title, Event.kind, Event.county_code, Event.place, Event.starts_at,
            Event.ends_at, Event.status, Event.series)


def _counts(event_id):
    """Invited and present for one event: correlated, so counted for the rows returned only."""
    invited = (select(func.count()).where(Participant.event_id == event_id)
               .scalar_subquery().label("invited"))
    present = (select(func.count()).where(Participant.event_id == event_id,
                                          Participant.attendance == PRESENT)
               .scalar_subquery().label("present"))
    return invited, present


def list_statement(user, flt: EventFilter, offset: int | None = None, limit: int | None = None) -> Select:
    """The events ``flt`` finds within ``user``'s scope, by start time, each with how many were
    invited and present. With ``limit``, one page: the page's ids are found first and only
    they are counted (counting every row before the LIMIT cost nearly all the time)."""
    order = (Event.starts_at, Event.id)
    if limit is None:
        return (select(*_COLUMNS, *_counts(Event.id)).where(*_conditions(user, flt)).order_by(*order))
    page = (select(Event.id).where(*_conditions(user, flt)).order_by(*order)
            .offset(max(0, int(offset or 0))).limit(max(0, int(limit))).subquery("page"))
    return (select(*_COLUMNS, *_counts(Event.id)).join(page, page.c.id == Event.id).order_by(*order))


def count_statement(user, flt: EventFilter) -> Select:
    return select(func.count()).select_from(Event).where(*_conditions(user, flt))


class _Scope:
    """A stand-in user with only the counties (hashable statements are kept per scope)."""

    def __init__(self, counties):
        self.counties = counties

    def visible_counties(self):
        return self.counties


@lru_cache(maxsize=512)
def _kept_page(counties, flt: EventFilter, offset: int, limit: int) -> Select:
    return list_statement(_Scope(counties), flt, offset, limit)


@lru_cache(maxsize=512)
def _kept_count(counties, flt: EventFilter) -> Select:
    return count_statement(_Scope(counties), flt)


def list_events(session: Session, user, flt: EventFilter, offset: int = 0,
                limit: int = PAGE_SIZE) -> tuple[list, int]:
    """A page of the events ``flt`` finds within ``user``'s scope (rows: id, title, kind,
    county_code, place, starts_at, ends_at, status, series, invited, present), and how many it
    finds in all."""
    require(user, "events.view")
    counties = counties_of(user)
    connection = session.connection()  # Core rows: none of the ORM's per-call work
    offset, limit = max(0, int(offset)), max(0, int(limit))
    if flt.awaiting_attendance:  # compares with now: a statement kept would keep its time
        count, page = count_statement(user, flt), list_statement(user, flt, offset, limit)
    else:
        count, page = _kept_count(counties, flt), _kept_page(counties, flt, offset, limit)
    total = connection.execute(count).scalar() or 0
    rows = connection.execute(page).all()
    return rows, total


def month_counts(session: Session, user, year: int, month: int, flt: EventFilter) -> dict[int, int]:
    """How many of the events ``flt`` (its dates aside) finds within ``user``'s scope start on
    each day of ``year``-``month``, by day of the month (days without any left out): what the
    month calendar draws, counted in SQL."""
    require(user, "events.view")
    start, end = month_bounds(year, month)
    flt = replace(flt, start=start, end=end)
    # built once per scope and filter (building it cost as much as running it: bench/events.py)
    stmt = _month_statement(user, flt) if flt.awaiting_attendance else _kept_month(counties_of(user), flt)
    return {int(day): count for day, count in session.connection().execute(stmt)}


def _month_statement(user, flt: EventFilter) -> Select:
    day = extract("day", Event.starts_at)
    return select(day, func.count()).where(*_conditions(user, flt)).group_by(day).order_by(day)


@lru_cache(maxsize=512)
def _kept_month(counties, flt: EventFilter) -> Select:
    return _month_statement(_Scope(counties), flt)


def series_names(session: Session, user) -> list[str]:
    """The series of the events ``user`` sees, newest name first (926工匠日 2026 before 2025)."""
    stmt = (select(Event.series).where(visible_condition(user), Event.series.is_not(None), Event.series != "")
            .distinct().order_by(Event.series.desc()))
    return list(session.scalars(stmt))


# --- checks -----------------------------------------------------------------------------------

def _text(value: object, label: str, max_length: int, *, required: bool = True) -> str | None:
    text = " ".join(str(value or "").split())
    if not text:
        if required:
            raise EventError(f"请填写{label}")
        return None
    if len(text) > max_length:
        raise EventError(f"{label}不能超过 {max_length} 个字")
    return text


def _time(value: object, label: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value.replace(tzinfo=None, second=0, microsecond=0)
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    else:
        raise EventError(f"请填写{label}")
    this = now_wall().year
    if not FIRST_YEAR <= moment.year <= this + YEARS_AHEAD:
        raise EventError(f"{label}应在 {FIRST_YEAR} 年至 {this + YEARS_AHEAD} 年之间")
    return moment


def _number(value: object, label: str, *, whole: bool, most: float) -> int | float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        raise EventError(f"{label}应为数字") from None
    if not math.isfinite(number) or number <= 0:
        raise EventError(f"{label}应大于 0")
    if number > most:
        raise EventError(f"{label}不能超过 {most:g}")
    if whole:
        if number != int(number):
            raise EventError(f"{label}应为整数")
        return int(number)
    return round(number, 1)


def kinds_of_county(session: Session, county_code: str) -> list[str]:
    """The kinds an event of ``county_code`` may have: the city's and the county's own, active."""
    counties = (CITY,) if county_code == CITY else (CITY, county_code)
    return list(session.scalars(select(EventKind.name).where(EventKind.county_code.in_(counties), EventKind.active)
                                .order_by(EventKind.county_code, EventKind.position, EventKind.id)))


def _checked(session: Session, values: Mapping[str, object], current: Event | None = None) -> dict:
    """``values`` (some of EDITABLE) checked and cleaned against ``current`` (None: a new
    event, every field); EventError (Chinese) for the first bad one."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        columns = Event.__table__.columns
        raise EventError("不能在此修改：" + "、".join(
            sorted(columns[k].info.get("label", k) if k in columns else k for k in unknown)))
    new = current is None

    def given(key):
        return new or key in values

    out: dict = {}
    if given("county_code"):
        code = str(values.get("county_code") if values.get("county_code") is not None else "").strip()
        if code != CITY and code not in county_names():
            raise EventError("请选择所属区县")
        out["county_code"] = code
    county = out.get("county_code", current.county_code if current else CITY)
    if given("kind") or "county_code" in out:
        kind = values.get("kind", current.kind if current else None)
        if not kind:
            raise EventError("请选择类型")
        if kind not in kinds_of_county(session, county):
            raise EventError(f"{county_name(county)}的活动不能使用类型“{kind}”")
        out["kind"] = kind
    if given("title"):
        out["title"] = _text(values.get("title"), "活动名称", MAX_TEXT)
    if given("organiser"):
        out["organiser"] = _text(values.get("organiser"), "主办单位", MAX_TEXT)
    if given("place"):
        out["place"] = _text(values.get("place"), "地点", MAX_TEXT)
    if given("starts_at"):
        out["starts_at"] = _time(values.get("starts_at"), "开始时间")
    if given("ends_at"):
        out["ends_at"] = _time(values.get("ends_at"), "结束时间")
    starts = out.get("starts_at", current.starts_at if current else None)
    ends = out.get("ends_at", current.ends_at if current else None)
    if ends < starts:
        raise EventError("结束时间不能早于开始时间")
    if given("capacity"):
        out["capacity"] = _number(values.get("capacity"), "名额", whole=True, most=MAX_CAPACITY)
    if given("class_hours"):
        out["class_hours"] = _number(values.get("class_hours"), "课时", whole=False, most=MAX_CLASS_HOURS)
    if given("series"):
        out["series"] = _text(values.get("series"), "系列", MAX_SERIES, required=False)
    if given("summary"):
        summary = str(values.get("summary") or "").strip()
        if len(summary) > MAX_SUMMARY:
            raise EventError(f"活动小结不能超过 {MAX_SUMMARY} 个字")
        out["summary"] = summary or None
    return out


def _duplicate_message(county: str, title: str, day: dt.date) -> str:
    where = county_name(county) if county else "市级活动"
    return f"已有同名活动：{where} {day.year}年{day.month}月{day.day}日的“{title}”已登记，不能重复登记"


def _refuse_duplicate(session: Session, county: str, title: str, starts: dt.datetime,
                      event_id: int | None = None) -> None:
    """One event of a title a day in a county: a second is a form sent twice."""
    day = dt.datetime(starts.year, starts.month, starts.day)
    stmt = select(Event.id).where(Event.county_code == county, Event.title == title,
                                  Event.starts_at >= day, Event.starts_at < day + dt.timedelta(days=1))
    if event_id is not None:
        stmt = stmt.where(Event.id != event_id)
    if session.scalar(stmt.limit(1)) is not None:
        raise EventError(_duplicate_message(county, title, starts.date()))


def _flush(session: Session) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise EventError("保存失败：数据已被他人修改，请刷新后重试") from None


# --- the event's record -------------------------------------------------------------------------

def create_event(session: Session, user, *, kind, title, organiser, county_code, place, starts_at,
                 ends_at, capacity=None, class_hours=None, series=None, summary=None) -> Event:
    """A new event (计划) in ``county_code`` ("" city-wide): needs events.edit and the county
    (a city-wide one a city user). The kind must be one that county may use."""
    require(user, "events.edit")
    if county_code is None:  # "" is the city's: no county chosen is not the same
        raise EventError("请选择所属区县")
    check_county(user, str(county_code).strip())
    row = _checked(session, dict(kind=kind, title=title, organiser=organiser, county_code=county_code,
                                 place=place, starts_at=starts_at, ends_at=ends_at, capacity=capacity,
                                 class_hours=class_hours, series=series, summary=summary))
    _refuse_duplicate(session, row["county_code"], row["title"], row["starts_at"])
    event = Event(**row, status=PLANNED, created_by=user.username)
    session.add(event)
    _flush(session)
    return event


def update_event(session: Session, user, event_id: int, **fields) -> Event:
    """Change some of the event's fields (EDITABLE; status has set_status). Moving it to
    another county needs that county too; a held event cannot be moved into the future."""
    event = event_for(session, user, event_id, "events.edit")
    row = _checked(session, fields, event)
    county = row.get("county_code", event.county_code)
    check_county(user, county)
    starts = row.get("starts_at", event.starts_at)
    if event.status == HELD and starts > now_wall():
        raise EventError("已举办的活动不能改到以后的时间")
    _refuse_duplicate(session, county, row.get("title", event.title), starts, event.id)
    for key, value in row.items():
        if getattr(event, key) != value:
            setattr(event, key, value)
    _flush(session)
    return event


def set_status(session: Session, user, event_id: int, status: str, reason: str = "") -> Event:
    """计划, 已举办 (only once it has started; not a cancelled one) or 取消 (with a reason; not
    once someone was recorded present)."""
    event = event_for(session, user, event_id, "events.edit")
    if status not in STATUSES:
        raise EventError("状态应为：" + "、".join(STATUSES))
    if status == event.status:
        raise EventError(f"该活动已是“{status}”状态")
    reason = _text(reason, "取消原因" if status == CANCELLED else "说明", MAX_REASON,
                   required=status == CANCELLED)
    if status == HELD:
        if event.status == CANCELLED:
            raise EventError("已取消的活动不能标为已举办，请先恢复为计划")
        if event.starts_at > now_wall():
            raise EventError("活动尚未开始，不能标为已举办")
    if status == CANCELLED:
        present = session.scalar(select(func.count()).where(Participant.event_id == event.id,
                                                            Participant.attendance == PRESENT))
        if present:
            raise EventError(f"已有 {present} 人签到出席，不能取消该活动")
    event.status = status
    event.status_reason = reason
    _flush(session)
    return event


def mark_held_if_started(session: Session, user, event: Event) -> bool:
    """A 计划 event that has started becomes 已举办 (the first 出席 recorded says it took
    place); whether it changed. Needs events.edit and the event's county."""
    require(user, "events.edit")
    check_county(user, event.county_code)
    if event.status != PLANNED or event.starts_at > now_wall():
        return False
    event.status = HELD
    session.flush()
    return True

