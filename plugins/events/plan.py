"""The yearly plan (年度计划): targets per plan line and year, and progress against them.

A *plan line* (计划项目) groups kinds: 事迹宣讲 and 技术培训 both count towards
事迹宣讲和技术培训 (vocab.DEFAULT_KINDS). A target is "at least N sessions of this line held in
this year", kept for the city's own events (county "": the academy's) or for one county.

Counting (the same everywhere: tiles, page, to-dos, report):

- *held*: events with status 已举办 whose ``starts_at`` falls in the year (local wall-clock
  time, ``queries.year_bounds``), by their kind's plan line. 计划 and 取消 never count;
- *planned_rest*: events with status 计划 starting later in that year (from now on, for the year
  under way; all of the year's 计划 events for a year to come; none for a past year);
- a kind's line: the city kind of that name when there is one, else the event's county's own
  kind of that name, else the kind's name itself (a kind since renamed still counts somewhere).

The city figure (``city_progress``) adds up, line by line, the city's own figure and every
county's: targets, held and planned_rest are plain sums (docs/events.md, "How the city figure
adds up its counties").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.access.permissions import PermissionDenied, require
from core.data.db import utcnow
from plugins.events.models import Event, EventKind, Target
from plugins.events.queries import EventError, check_county, counties_of, now_wall, year_bounds
from plugins.events.vocab import CATEGORIES, CITY, DEFAULT_KINDS, DEFAULT_TARGETS, HELD, PLANNED

FIRST_YEAR = 2000  # the earliest year a target may be set for
MAX_TARGET = 999
MAX_KIND, MAX_LINE = 20, 30  # the columns' lengths (models.EventKind)
CITY_OWN, WHOLE_CITY = "市本级", "全市"
CITY_ONLY_ADMIN = "市本级计划只能由管理员修改"
# the lines in the order of the academy's plan, then any other alphabetically
LINE_ORDER = tuple(dict.fromkeys(line for _, _, line in DEFAULT_KINDS))


@dataclass(frozen=True)
class PlanLine:
    """One line of a plan: its target, the sessions held so far in the year and those still
    planned later in it."""

    line: str
    target: int
    held: int
    planned_rest: int

    @property
    def behind(self) -> int:
        """Sessions still missing to reach the target (0 when reached)."""
        return max(self.target - self.held, 0)


def scope_name(county_code: str) -> str:
    """市本级 for the city's own plan (the association's, the academy's events), else the
    county's name. 全市 is the city figure, which adds up 市本级 and every county."""
    from core.settings.counties import county_name

    return CITY_OWN if county_code == CITY else county_name(county_code)


def line_key(line: str) -> tuple[int, str]:
    """Sort key: the academy's lines first, in the plan's order, then the others by name."""
    return (LINE_ORDER.index(line), "") if line in LINE_ORDER else (len(LINE_ORDER), line)


# --- targets ---------------------------------------------------------------------------------


def targets(session: Session, year: int, county_code: str) -> dict[str, int]:
    """The targets of ``year`` for ``county_code`` by plan line. The city's own (``CITY``)
    starts from vocab.DEFAULT_TARGETS (the academy's plan) and a stored row replaces a default;
    a county has only what it stored."""
    found = dict(DEFAULT_TARGETS) if county_code == CITY else {}
    found.update(session.execute(select(Target.plan_line, Target.target)
                                 .where(Target.year == year, Target.county_code == county_code)).all())
    return found


def _all_targets(session: Session, year: int) -> dict[str, dict[str, int]]:
    """Every scope's targets of ``year``: county code ("" the city's own) -> line -> target."""
    found: dict[str, dict[str, int]] = {CITY: dict(DEFAULT_TARGETS)}
    for county, line, target in session.execute(
            select(Target.county_code, Target.plan_line, Target.target).where(Target.year == year)):
        found.setdefault(county, {})[line] = target
    return found


def may_plan(user, county_code: str) -> bool:
    """Whether ``user`` may change the plan (targets, kinds) of ``county_code``: events.plan, and
    the city's own only for an administrator of the whole city, a county's only for users of it."""
    try:
        _check_may_plan(user, county_code)
    except PermissionDenied:
        return False
    return True


def _check_may_plan(user, county_code: str) -> None:
    require(user, "events.plan")
    if county_code == CITY:
        if getattr(user, "role", None) != "admin" or counties_of(user) is not None:
            raise PermissionDenied(CITY_ONLY_ADMIN)
    else:
        check_county(user, county_code)


def lines_for(session: Session, county_code: str) -> list[str]:
    """The plan lines a scope plans for: those of the city's kinds and of its own kinds, and any
    it has set a target for, in plan order."""
    kinds = session.scalars(select(EventKind.plan_line).distinct()
                            .where(EventKind.county_code.in_({CITY, county_code})))
    stored = session.scalars(select(Target.plan_line).distinct().where(Target.county_code == county_code))
    return sorted({*kinds, *stored}, key=line_key)


def set_target(session: Session, user, year: int, county_code: str, line: str, target: int) -> Target:
    """Set ``county_code``'s target of ``line`` for ``year`` (a stored row replaces the city's
    default). Needs events.plan; the city's own only an administrator, a county's only its staff
    (or an administrator). Refused with an EventError for a year, line or number out of range."""
    _check_may_plan(user, county_code)
    from core.settings import clock

    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= clock.this_year() + 1:
        raise EventError(f"年度须在 {FIRST_YEAR} 到 {clock.this_year() + 1} 之间")
    if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target <= MAX_TARGET:
        raise EventError(f"目标场次须为 0 到 {MAX_TARGET} 之间的整数")
    line = (line or "").strip()
    if line not in lines_for(session, county_code):
        raise EventError(f"没有这个计划项目：{line}" if line else "请选择计划项目")
    row = session.scalar(select(Target).where(Target.year == year, Target.county_code == county_code,
                                              Target.plan_line == line))
    what = f"{year} 年{scope_name(county_code)}“{line}”目标 {target} 场"
    if row is None:
        row = Target(year=year, county_code=county_code, plan_line=line, target=target,
                     updated_by=user.username, updated_at=utcnow())
        row._audit_summary = f"设定{what}"
        try:
            with session.begin_nested():  # set at the same moment by someone else: say so
                session.add(row)
                session.flush()
        except IntegrityError as exc:
            raise EventError("该目标刚被其他人修改，请刷新后重试") from exc
    elif row.target != target:
        row.target, row.updated_by, row.updated_at = target, user.username, utcnow()
        row._audit_summary = f"修改{what}"
        session.flush()
    return row


def add_kind(session: Session, user, name: str, category: str, plan_line: str, county_code: str) -> EventKind:
    """A new kind of event for ``county_code`` ("" a city kind every county uses), counting
    towards ``plan_line`` (an existing line or a new one). Needs events.plan with the scope rules
    of set_target. Refused (EventError) for a name the county or the city already uses."""
    _check_may_plan(user, county_code)
    name, plan_line = (name or "").strip(), (plan_line or "").strip()
    if not name or len(name) > MAX_KIND:
        raise EventError(f"类型名称须为 1 到 {MAX_KIND} 个字")
    if category not in CATEGORIES:
        raise EventError(f"类别须为{'、'.join(CATEGORIES)}之一")
    if not plan_line or len(plan_line) > MAX_LINE:
        raise EventError(f"计划项目须为 1 到 {MAX_LINE} 个字")
    # a county kind of a city kind's name would count towards the city kind's line: refuse it;
    # a new city kind must not shadow a county's either
    clash = select(EventKind.county_code).where(EventKind.name == name)
    if county_code != CITY:
        clash = clash.where(EventKind.county_code.in_((CITY, county_code)))
    if session.scalars(clash).first() is not None:
        raise EventError(f"已有同名的活动类型“{name}”")
    position = (session.scalar(select(func.max(EventKind.position))
                               .where(EventKind.county_code == county_code)) or 0) + 1
    kind = EventKind(name=name, category=category, plan_line=plan_line, county_code=county_code,
                     position=position, active=True)
    kind._audit_summary = f"新增{scope_name(county_code)}活动类型“{name}”（{category}，计入{plan_line}）"
    try:
        with session.begin_nested():
            session.add(kind)
            session.flush()
    except IntegrityError as exc:
        raise EventError(f"已有同名的活动类型“{name}”") from exc
    return kind


# --- progress --------------------------------------------------------------------------------


def _kind_lines(session: Session) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """(city kind name -> line, (county, kind name) -> line of a county's own kind)."""
    city, own = {}, {}
    for county, name, line in session.execute(select(EventKind.county_code, EventKind.name,
                                                     EventKind.plan_line)):
        if county == CITY:
            city[name] = line
        else:
            own[(county, name)] = line
    return city, own


def counts(session: Session, year: int, counties: Iterable[str] | None = None) -> dict[str, dict[str, list[int]]]:
    """County code -> plan line -> [held, planned_rest] for ``year``, counted in SQL per county
    and kind (``counties`` None: every county and the city's own)."""
    start, end = year_bounds(year)
    rest_from = max(start, min(now_wall(), end))  # the rest of the year: from now, within it
    held = func.sum(case((Event.status == HELD, 1), else_=0))
    rest = func.sum(case((and_(Event.status == PLANNED, Event.starts_at >= rest_from), 1), else_=0))
    stmt = (select(Event.county_code, Event.kind, held, rest)
            .where(Event.starts_at >= start, Event.starts_at < end, Event.status.in_((HELD, PLANNED)))
            .group_by(Event.county_code, Event.kind))
    if counties is not None:
        stmt = stmt.where(Event.county_code.in_(tuple(counties)))
    city, own = _kind_lines(session)
    found: dict[str, dict[str, list[int]]] = {}
    for county, kind, n_held, n_rest in session.execute(stmt):
        line = city.get(kind) or own.get((county, kind)) or kind
        pair = found.setdefault(county, {}).setdefault(line, [0, 0])
        pair[0] += int(n_held or 0)
        pair[1] += int(n_rest or 0)
    return found


def _lines(goal: dict[str, int], done: dict[str, list[int]]) -> list[PlanLine]:
    """The lines with a target or any session, in plan order."""
    names = sorted({*goal, *done}, key=line_key)
    return [PlanLine(line, goal.get(line, 0), *done.get(line, (0, 0))) for line in names
            if goal.get(line, 0) or any(done.get(line, (0, 0)))]


def progress(session: Session, year: int, county_code: str) -> list[PlanLine]:
    """``county_code``'s plan for ``year`` ("" the city's own events and targets only)."""
    done = counts(session, year, (county_code,)).get(county_code, {})
    return _lines(targets(session, year, county_code), done)


def city_progress(session: Session, year: int) -> list[PlanLine]:
    """The city figure: line by line, the sum of the city's own figure and every county's
    (every county with a target or an event that year, configured or not)."""
    return add_up(_all_targets(session, year), counts(session, year))


def counties_progress(session: Session, year: int, counties: Iterable[str]) -> list[PlanLine]:
    """Several counties' figures added up the way the city's are (their own events only)."""
    counties = tuple(counties)
    goals = {c: t for c, t in _all_targets(session, year).items() if c in counties}
    return add_up(goals, counts(session, year, counties))


def add_up(goals: dict[str, dict[str, int]], done: dict[str, dict[str, list[int]]]) -> list[PlanLine]:
    """Scopes' targets and counts summed line by line (plain sums: a surplus in one scope
    makes up for a shortfall in another)."""
    goal: dict[str, int] = {}
    for per in goals.values():
        for line, n in per.items():
            goal[line] = goal.get(line, 0) + n
    total: dict[str, list[int]] = {}
    for per in done.values():
        for line, (held, rest) in per.items():
            pair = total.setdefault(line, [0, 0])
            pair[0] += held
            pair[1] += rest
    return _lines(goal, total)


def scope_progress(session: Session, year: int, counties: tuple[str, ...] | None) -> list[PlanLine]:
    """The plan of a metric's scope: the city figure for None, else the counties' added up."""
    if counties is None:
        return city_progress(session, year)
    if len(counties) == 1:
        return progress(session, year, counties[0])
    return counties_progress(session, year, counties)


def by_scope(session: Session, year: int) -> dict[str, list[PlanLine]]:
    """Each scope's own lines ("" the city's own, then each county with a target or an event),
    for the page's and the report's table of what the city figure adds up."""
    goals, done = _all_targets(session, year), counts(session, year)
    return {scope: _lines(goals.get(scope, {}), done.get(scope, {}))
            for scope in sorted({*goals, *done})}
