"""Overview tiles of the events, counted in SQL within the county (and year) chosen on the
overview. The year is the one chosen, else this year (Beijing time); events are in local
wall-clock time (queries.year_bounds).

- 年度计划进度: sessions held in the year on the plan lines that have a target, against those
  targets (plan.scope_progress: a county's own figure, or the city figure that adds up the
  city's own and every county's, docs/events.md). Links to 年度计划 ``?year=``.
- 未来30天活动: events still planned (计划) starting from today within 30 days (today included),
  of the chosen counties (a county's own; the whole city: all). The year does not narrow it.
  Links to 日程 ``?status=计划&from=…&to=…``.
- 出勤率: at the events held in the year (by the event's county), the invitations marked 出席
  out of all invitations, as 参与统计's per-county rate. Links to 参与统计 ``?year=``.
- 年度参与人数: the distinct roster people (by the person's county) present at least once at an
  event held in the year; guests (typed names) are counted apart, in the caption. Links to
  参与统计 ``?year=``.
- 名册参与率: of the living roster in the chosen counties (core.host.people.list_people's
  total), the share present at least once at an event held in the year; the people present
  are counted by the roster itself (the same list with those people excluded in SQL), so both
  figures use the roster's current counties. Without a roster the tile says so.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, func, select

from core.host.charts import COUNTED, OTHER, bars
from core.host.metrics import Metric, MetricContext, MetricResult
from core.host.people import PeopleQuery, list_people, people_available
from core.settings import clock
from core.settings.counties import county_name
from plugins.events.models import Event, Participant
from plugins.events.plan import scope_progress
from plugins.events.queries import now_wall, year_bounds
from plugins.events.vocab import ABSENT, EXCUSED, HELD, NOT_TAKEN, PLANNED, PRESENT

PERMISSION = "events.view"
PLAN, CALENDAR, PARTICIPATION = "events-plan", "events-calendar", "events-participation"
UPCOMING_DAYS = 30
EVENT_TABLES = frozenset({"events_event", "events_kind", "events_target"})
PEOPLE_TABLES = frozenset({"events_event", "events_participant"})
NO_FIGURE = "—"


def _year(ctx: MetricContext) -> int:
    return ctx.year or clock.this_year()


def _percent(part: int, whole: int) -> str:
    return f"{part / whole * 100:.1f}%"


def _held_in(year: int):
    start, end = year_bounds(year)
    return and_(Event.status == HELD, Event.starts_at >= start, Event.starts_at < end)


def plan_progress(ctx: MetricContext) -> MetricResult:
    year = _year(ctx)
    lines = scope_progress(ctx.session, year, ctx.counties)
    targeted = [p for p in lines if p.target]
    held, target = sum(p.held for p in targeted), sum(p.target for p in targeted)
    rows = [{"计划项目": p.line, "目标（场）": p.target, "已举办（场）": p.held,
             "尚在计划（场）": p.planned_rest, "完成率": _percent(p.held, p.target) if p.target else ""}
            for p in lines]
    chart_rows = [{"计划项目": p.line, "场次": label, "场数": n} for p in lines
                  for label, n in (("已举办", p.held), ("尚在计划", p.planned_rest), ("目标", p.target))]
    said = "；".join(f"{p.line} {p.held}/{p.target}" for p in targeted)
    return MetricResult(
        value=held, rows=rows, link_params={"year": str(year)},
        caption=(f"{year} 年目标 {target} 场，完成 {_percent(held, target)}" + (f"（{said}）" if said else ""))
        if target else f"{year} 年尚未设定目标",
        help=f"{year} 年已举办的场次（计划和取消的不算），只计有目标的计划项目；"
             "全市为市本级和各区县之和，目标也相加",
        chart=bars(chart_rows, "计划项目", "场数", title=f"{year} 年各计划项目已举办场数与目标",
                   order=[p.line for p in lines], colour="场次", colour_order=["已举办", "尚在计划", "目标"],
                   grouped=True, palette=[COUNTED, OTHER, "#4c78a8"], horizontal=True) if lines else None)


def upcoming_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last day of 未来30天 (today and the 29 days after it)."""
    today = today or now_wall().date()
    return today, today + dt.timedelta(days=UPCOMING_DAYS - 1)


def upcoming(ctx: MetricContext) -> MetricResult:
    first, last = upcoming_window()
    stmt = (select(Event.starts_at, Event.title, Event.kind, Event.county_code)
            .where(Event.status == PLANNED, Event.starts_at >= dt.datetime.combine(first, dt.time()),
                   Event.starts_at < dt.datetime.combine(last + dt.timedelta(days=1), dt.time()),
                   ctx.county_filter(Event.county_code))
            .order_by(Event.starts_at, Event.id))
    found = ctx.session.execute(stmt).all()
    rows = [{"开始时间": f"{s:%Y-%m-%d %H:%M}", "名称": t, "类型": k, "区县": county_name(c) if c else "全市"}
            for s, t, k, c in found]
    per_kind: dict[str, int] = {}
    for _, _, kind, _ in found:
        per_kind[kind] = per_kind.get(kind, 0) + 1
    kinds = sorted(per_kind, key=lambda k: (-per_kind[k], k))
    span = f"{first:%m-%d} 至 {last:%m-%d}"
    return MetricResult(
        value=len(found), rows=rows,
        link_params={"status": PLANNED, "from": first.isoformat(), "to": last.isoformat(), "year": ""},
        caption=(f"{span}，最近一场 {found[0][0]:%m-%d %H:%M}" if found else f"{span}暂无计划举办的活动"),
        help="今天起 30 天内（含今天）计划举办的活动，不含已取消的；不按年度筛选",
        chart=bars([{"类型": k, "场数": per_kind[k]} for k in kinds], "类型", "场数",
                   title="未来 30 天计划举办的活动场数（按类型）", order=kinds, horizontal=True) if found else None)


def attendance_counts(session, counties, year: int) -> dict[str, int]:
    """出席/请假/缺席/未签到 -> invitations at the events held in ``year`` of ``counties``."""
    stmt = (select(Participant.attendance, func.count())
            .join(Event, Event.id == Participant.event_id)
            .where(_held_in(year), _in(Event.county_code, counties))
            .group_by(Participant.attendance))
    found = {value or NOT_TAKEN: n for value, n in session.execute(stmt)}
    return {label: found.get(label, 0) for label in (PRESENT, EXCUSED, ABSENT, NOT_TAKEN)}


def _in(column, counties):
    from core.access.permissions import in_counties

    return in_counties(column, counties)


def attendance_rate(ctx: MetricContext) -> MetricResult:
    year = _year(ctx)
    counts = attendance_counts(ctx.session, ctx.counties, year)
    invited = sum(counts.values())
    rows = [{"出勤": label, "人次": n} for label, n in counts.items()]
    return MetricResult(
        value=_percent(counts[PRESENT], invited) if invited else NO_FIGURE, rows=rows,
        link_params={"year": str(year)},
        caption=(f"{year} 年邀请 {invited:,} 人次，出席 {counts[PRESENT]:,} 人次"
                 + (f"，尚有 {counts[NOT_TAKEN]:,} 人次未签到" if counts[NOT_TAKEN] else ""))
        if invited else f"{year} 年已举办的活动尚无邀请记录",
        help=f"{year} 年已举办的活动中，出席人次占邀请人次的比例（未签到的计入分母）",
        chart=bars(rows, "出勤", "人次", title=f"{year} 年已举办活动的邀请人次（按出勤，深色为出席）",
                   counted=PRESENT, order=[r["出勤"] for r in rows]) if invited else None)


def _present_in(year: int):
    return and_(_held_in(year), Participant.attendance == PRESENT)


def people_present(session, counties, year: int) -> dict[int, int]:
    """Roster person id -> times present at events held in ``year`` (the person's county in
    ``counties``)."""
    stmt = (select(Participant.person_id, func.count())
            .join(Event, Event.id == Participant.event_id)
            .where(_present_in(year), Participant.person_id.is_not(None),
                   _in(Participant.county_code, counties))
            .group_by(Participant.person_id))
    return dict(session.execute(stmt).all())


TIMES = ("1 次", "2 次", "3 次", "4 次及以上")


def participants(ctx: MetricContext) -> MetricResult:
    year = _year(ctx)
    per_person = people_present(ctx.session, ctx.counties, year)
    guests = ctx.session.scalar(
        select(func.count()).select_from(Participant).join(Event, Event.id == Participant.event_id)
        .where(_present_in(year), Participant.person_id.is_(None), _in(Participant.county_code, ctx.counties))) or 0
    spread = dict.fromkeys(TIMES, 0)
    for times in per_person.values():
        spread[TIMES[min(times, 4) - 1]] += 1
    rows = [{"出席次数": label, "人数": n} for label, n in spread.items()]
    total = len(per_person)
    return MetricResult(
        value=total, rows=rows, link_params={"year": str(year)},
        caption=(f"共出席 {sum(per_person.values()):,} 人次" if total else "")
        + (f"，另有来宾 {guests:,} 人次" if guests else "") or None,
        help=f"{year} 年至少出席一次已举办活动的名册人员（按本人所属区县，每人只计一次；来宾另计）",
        chart=bars(rows, "出席次数", "人数", title=f"{year} 年参与人员按出席次数（人）", order=list(TIMES))
        if total else None)


def attendees_query(year: int):
    """The roster ids present at least once at an event held in ``year`` (any county: the
    roster decides where a person belongs now)."""
    return (select(Participant.person_id).distinct().join(Event, Event.id == Participant.event_id)
            .where(_present_in(year), Participant.person_id.is_not(None)))


def roster_share(ctx: MetricContext) -> MetricResult:
    year = _year(ctx)
    if not people_available():
        return MetricResult(value=NO_FIGURE, caption="未启用人员名册，无法计算参与率",
                            help="需要人员名册插件提供在册人数")
    living = list_people(ctx.session, None, PeopleQuery(counties=ctx.counties), 0, 0).total
    never = list_people(ctx.session, None, PeopleQuery(counties=ctx.counties, excluding=attendees_query(year)),
                        0, 0).total
    took_part = living - never
    rows = [{"名册人员": "至少出席一次", "人数": took_part}, {"名册人员": "未出席", "人数": never}]
    return MetricResult(
        value=_percent(took_part, living) if living else NO_FIGURE, rows=rows, link_params={"year": str(year)},
        caption=f"健在的名册人员 {living:,} 人中，{took_part:,} 人 {year} 年至少出席一次" if living
        else "名册中暂无人员",
        help=f"健在的名册人员中，{year} 年至少出席一次已举办活动的比例（按名册中现在所属的区县）",
        chart=bars(rows, "名册人员", "人数", title=f"{year} 年名册人员参与情况（人，深色为至少出席一次）",
                   counted="至少出席一次", order=[r["名册人员"] for r in rows]) if living else None)


METRICS = [
    Metric(key="events-plan", title="年度计划进度", compute=plan_progress, tables=EVENT_TABLES,
           permission=PERMISSION, link=PLAN, order=30),
    Metric(key="events-upcoming", title="未来30天活动", compute=upcoming, tables=frozenset({"events_event"}),
           permission=PERMISSION, link=CALENDAR, order=31),
    Metric(key="events-attendance", title="出勤率", compute=attendance_rate, tables=PEOPLE_TABLES,
           permission=PERMISSION, link=PARTICIPATION, order=32),
    Metric(key="events-participants", title="年度参与人数", compute=participants, tables=PEOPLE_TABLES,
           permission=PERMISSION, link=PARTICIPATION, order=33),
    Metric(key="events-roster-share", title="名册参与率", compute=roster_share,
           tables=PEOPLE_TABLES | {"registry_person"}, permission=PERMISSION, link=PARTICIPATION, order=34),
]
