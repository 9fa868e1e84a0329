"""The events' section of the yearly report (年度工作报告), counted in SQL for a year and a scope.

- The plan: per plan line, the target, the sessions held (status 已举办, started in the year)
  and those still planned later in it (plan.scope_progress: a county's own figure, several
  counties' or the city's added up as docs/events.md says); for the whole city, each scope's own
  figure too (what the city figure adds up).
- By kind: the events of the year of the scope's counties (the event's county; the whole
  city: all, the city's own included) by kind: held, still planned, cancelled, and the class
  hours of those held (each event's 课时 once).
- The 926工匠日 series: the events of the year whose series starts with 926工匠日, held, and
  the attendances at them.
- Participants: the distinct roster people (by the person's county, as 总览 and 参与统计 count
  them) present at least once at an event held in the year, the attendances (人次), guests,
  and the class hours they attended (课时 of each event attended, per attendance: 人·课时).
"""

from __future__ import annotations

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from core.access.permissions import in_counties
from core.host.charts import COUNTED, OTHER, bars
from core.report.sections import ReportSection, ReportTable
from core.settings.counties import county_name
from plugins.events.metrics import people_present
from plugins.events.models import Event, EventKind, Participant
from plugins.events.plan import by_scope, line_key, scope_name, scope_progress
from plugins.events.queries import now_wall, year_bounds
from plugins.events.vocab import CANCELLED, CITY, HELD, PLANNED, PRESENT, SERIES_926

KEY, TITLE, ORDER = "events-plan", "活动培训", 30
TOTAL = "合计"


def _number(value) -> int | float:
    value = round(float(value or 0), 1)
    return int(value) if value == int(value) else value


def _by_kind(session: Session, year: int, counties) -> list[dict]:
    start, end = year_bounds(year)
    rest_from = max(start, min(now_wall(), end))
    held = Event.status == HELD
    stmt = (select(Event.kind,
                   func.sum(case((held, 1), else_=0)),
                   func.sum(case((and_(Event.status == PLANNED, Event.starts_at >= rest_from), 1), else_=0)),
                   func.sum(case((Event.status == CANCELLED, 1), else_=0)),
                   func.coalesce(func.sum(case((held, Event.class_hours), else_=0)), 0))
            .where(Event.starts_at >= start, Event.starts_at < end, in_counties(Event.county_code, counties))
            .group_by(Event.kind))
    kinds = {name: (category, line, position) for name, category, line, position in session.execute(
        select(EventKind.name, EventKind.category, EventKind.plan_line, EventKind.position)
        .order_by(EventKind.county_code.desc()))}  # a city kind wins over a county's of its name
    rows = []
    for kind, n_held, n_rest, n_cancelled, hours in session.execute(stmt):
        category, line, position = kinds.get(kind, ("", kind, 999))
        rows.append({"类型": kind, "类别": category, "计划项目": line, "已举办（场）": int(n_held or 0),
                     "尚在计划（场）": int(n_rest or 0), "取消（场）": int(n_cancelled or 0),
                     "课时": _number(hours), "_order": (line_key(line), position, kind)})
    rows.sort(key=lambda r: r.pop("_order"))
    return rows


def _series_926(session: Session, year: int, counties) -> tuple[int, int, int]:
    """(events of the 926 series in the year not cancelled, of them held, attendances at them)."""
    start, end = year_bounds(year)
    where = and_(Event.series.like(f"{SERIES_926}%"), Event.starts_at >= start, Event.starts_at < end,
                 Event.status != CANCELLED, in_counties(Event.county_code, counties))
    events, held = session.execute(select(func.count(), func.sum(case((Event.status == HELD, 1), else_=0)))
                                   .where(where)).one()
    present = session.scalar(select(func.count()).select_from(Participant)
                             .join(Event, Event.id == Participant.event_id)
                             .where(where, Event.status == HELD, Participant.attendance == PRESENT)) or 0
    return int(events or 0), int(held or 0), int(present)


def _attended(session: Session, year: int, counties) -> tuple[int, float]:
    """(guests present, class hours attended by roster people and guests: 人·课时), by the
    person's county."""
    start, end = year_bounds(year)
    stmt = (select(func.sum(case((Participant.person_id.is_(None), 1), else_=0)),
                   func.coalesce(func.sum(Event.class_hours), 0))
            .join(Event, Event.id == Participant.event_id)
            .where(Event.status == HELD, Event.starts_at >= start, Event.starts_at < end,
                   Participant.attendance == PRESENT, in_counties(Participant.county_code, counties)))
    guests, hours = session.execute(stmt).one()
    return int(guests or 0), float(hours or 0)


def _percent(part: int, whole: int) -> str:
    return f"{part / whole * 100:.0f}%" if whole else ""


def sections(session: Session, year: int, counties: tuple[str, ...] | None) -> list[ReportSection]:
    """The events' section for ``year`` within ``counties`` (None: the whole city)."""
    place = "全市" if counties is None else "、".join(county_name(c) for c in counties)
    lines = scope_progress(session, year, counties)
    kinds = _by_kind(session, year, counties)
    events_926, held_926, present_926 = _series_926(session, year, counties)
    per_person = people_present(session, counties, year)
    guests, person_hours = _attended(session, year, counties)

    plan_rows = [{"计划项目": p.line, "目标（场）": p.target, "已举办（场）": p.held,
                  "尚在计划（场）": p.planned_rest, "完成率": _percent(p.held, p.target)} for p in lines]
    held_total = sum(r["已举办（场）"] for r in kinds)
    hours_total = sum(r["课时"] for r in kinds)
    if kinds:
        kinds.append({"类型": TOTAL, "类别": "", "计划项目": "",
                      **{k: sum(r[k] for r in kinds) for k in ("已举办（场）", "尚在计划（场）", "取消（场）")},
                      "课时": _number(hours_total)})
    tables = [ReportTable(f"{year} 年计划完成情况（按计划项目）", plan_rows),
              ReportTable(f"{year} 年活动培训（按类型）", kinds)]
    if counties is None:
        tables.append(ReportTable(f"{year} 年全市计划由各范围相加（已举办/目标）", _scope_rows(session, year)))

    # the text
    targeted = [p for p in lines if p.target]
    if targeted:
        done = "；".join(f"{p.line}目标 {p.target} 场，已举办 {p.held} 场"
                        + ("，已完成" if p.held >= p.target else f"，尚差 {p.target - p.held} 场")
                        + (f"，另有 {p.planned_rest} 场计划在年内举办" if p.planned_rest else "")
                        for p in targeted)
        first = f"{year} 年{place}年度计划：{done}。"
    else:
        first = f"{year} 年{place}未设定年度计划目标。"
    if counties is None:
        first += "全市数字为市本级和各区县之和（目标与场次分别相加）。"
    if held_total:
        cancelled = kinds[-1]["取消（场）"]
        first += (f"全年已举办活动培训 {held_total:,} 场，共 {_number(hours_total):,} 课时"
                  + (f"，取消 {cancelled} 场" if cancelled else "") + "。")
    second = (f"{SERIES_926}系列活动 {events_926} 场，已举办 {held_926} 场，出席 {present_926:,} 人次。"
              if events_926 else f"{year} 年尚无{SERIES_926}系列活动。")
    people = len(per_person)
    third = (f"名册人员中 {people:,} 人至少出席一次，共出席 {sum(per_person.values()):,} 人次"
             + (f"，另有来宾 {guests:,} 人次" if guests else "")
             + f"；参训学时合计 {_number(person_hours):,} 人·课时。") if people or guests \
        else "当年尚无出席记录。"
    text = "\n\n".join([first, second + third])

    charts = []
    if lines:
        chart_rows = [{"计划项目": p.line, "场次": label, "场数": n} for p in lines
                      for label, n in (("已举办", p.held), ("目标", p.target))]
        charts.append(bars(chart_rows, "计划项目", "场数", title=f"{place} {year} 年各计划项目已举办场数与目标",
                           order=[p.line for p in lines], colour="场次", colour_order=["已举办", "目标"],
                           grouped=True, palette=[COUNTED, OTHER], horizontal=True))
    return [ReportSection(key=KEY, title=TITLE, order=ORDER, text=text, tables=tables, charts=charts)]


def _scope_rows(session: Session, year: int) -> list[dict]:
    """One row per scope (the city's own, then each county), a column per plan line with a
    target or a session anywhere: 已举办/目标."""
    parts = by_scope(session, year)
    names = sorted({p.line for lines in parts.values() for p in lines}, key=line_key)
    rows = []
    for scope in sorted(parts, key=lambda c: (c != CITY, c)):
        per = {p.line: p for p in parts[scope]}
        rows.append({"范围": scope_name(scope),
                     **{line: f"{per[line].held}/{per[line].target}" if line in per else "0/0" for line in names}})
    return rows
