"""Overview tiles for the roster, computed in SQL within the county and year chosen.

Each tile counts what its 查看明细 link lists: ``link_params`` are 人员名册's query parameters
(``level``, ``status``; the overview adds ``county`` and ``year``), and the 人员名册 filters
count the same people (see plugins.registry.queries.PersonFilter). The year, where chosen, is
the year an honour was awarded (授予年份), as on 人员名册: a headcount with a year counts the
people awarded an honour that year. Each chart draws what its tile counts, or is titled with
what it draws, the counted bar darker (core.host.charts).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, distinct, exists, func, select

from core.host.charts import BAR, COUNTED, bars
from core.host.metrics import Metric, MetricContext, MetricResult
from core.settings.counties import county_name
from plugins.registry.models import ChangeRequest, Honour, Person
from plugins.registry.vocab import DECEASED, LEVELS, STATUSES

TABLES = frozenset({"registry_person", "registry_honour"})
NATIONAL, WORKING = LEVELS[0], STATUSES[0]  # 全国, 在职
ALL_STATUSES = "全部"  # 人员名册's status that keeps the deceased in
UNKNOWN_YEAR = "年份不详"


def _people(ctx: MetricContext) -> ColumnElement[bool]:
    """People of the chosen counties; with a year, only those awarded an honour that year."""
    where = ctx.county_filter(Person.county_code)
    if ctx.year:
        where = and_(where, exists(select(Honour.id).where(
            Honour.person_id == Person.id, Honour.year_awarded == ctx.year)))
    return where


def _of_year(ctx: MetricContext, what: str) -> str:
    """``what``, with the year's narrowing said after it."""
    return f"{what}（{ctx.year} 年获授荣誉者）" if ctx.year else what


def people_by_county(ctx: MetricContext) -> MetricResult:
    stmt = (select(Person.county_code, func.count()).where(Person.status != DECEASED, _people(ctx))
            .group_by(Person.county_code))
    rows = [{"区县": county_name(c), "人数": n} for c, n in ctx.session.execute(stmt)]
    rows.sort(key=lambda r: -r["人数"])
    return MetricResult(value=sum(r["人数"] for r in rows), help=_of_year(ctx, "在册人员（不含已去世）"),
                        caption=f"{ctx.year} 年获授荣誉者" if ctx.year else None,
                        chart=bars(rows, "区县", "人数", title=_of_year(ctx, "各区县在册人数"),
                                   horizontal=True) if rows else None, rows=rows)


def people_by_level(ctx: MetricContext) -> MetricResult:
    # a person counts once per level they hold (with a year: an honour of that level that year):
    # each (person, level) once first, from the (person_id, level) index, then the living among
    # them; four times faster than count(DISTINCT) over every honour joined to its person
    held = select(Honour.person_id, Honour.level).distinct()
    if ctx.year:
        held = held.where(Honour.year_awarded == ctx.year)
    held = held.subquery()
    stmt = (select(held.c.level, func.count()).select_from(held).join(Person, Person.id == held.c.person_id)
            .where(Person.status != DECEASED, ctx.county_filter(Person.county_code)).group_by(held.c.level))
    counts = dict(ctx.session.execute(stmt).all())
    rows = [{"级别": level, "人数": counts.get(level, 0)} for level in LEVELS]
    title = (f"{ctx.year} 年各级别获授荣誉人数" if ctx.year else "各级别荣誉获得者人数") + "，深色为全国级"
    return MetricResult(value=counts.get(NATIONAL, 0), rows=rows, link_params={"level": NATIONAL},
                        help="在册（不含已去世）的全国级荣誉获得者；一人可计入多个级别",
                        caption=f"{ctx.year} 年获授全国级荣誉" if ctx.year else None,
                        chart=bars(rows, "级别", "人数", title=title, counted=NATIONAL, order=list(LEVELS)))


def people_by_status(ctx: MetricContext) -> MetricResult:
    stmt = select(Person.status, func.count()).where(_people(ctx)).group_by(Person.status)
    counts = dict(ctx.session.execute(stmt).all())
    rows = [{"状态": s, "人数": counts.get(s, 0)} for s in STATUSES]
    return MetricResult(value=counts.get(WORKING, 0), rows=rows, link_params={"status": WORKING},
                        help=_of_year(ctx, "在职人员") + "；图含退休、去世、转出",
                        caption=f"{ctx.year} 年获授荣誉者" if ctx.year else None,
                        chart=bars(rows, "状态", "人数", title=_of_year(ctx, "各状态人数") + "，深色为在职",
                                   counted=WORKING, order=list(STATUSES)))


def honours_per_year(ctx: MetricContext) -> MetricResult:
    """Honours awarded (the deceased's too): with a year, that year's by level; else by year."""
    base = select(func.count(), func.count(distinct(Honour.person_id))).select_from(Honour)
    if ctx.counties is not None:  # the whole city: every honour, no person to look up (30 times faster)
        base = base.join(Person, Person.id == Honour.person_id).where(ctx.county_filter(Person.county_code))
    if ctx.year:
        base = base.where(Honour.year_awarded == ctx.year)
    total, people = ctx.session.execute(base).one()
    if ctx.year:
        stmt = base.with_only_columns(Honour.level, func.count()).group_by(Honour.level)
        counts = dict(ctx.session.execute(stmt).all())
        rows = [{"级别": level, "荣誉数": counts.get(level, 0)} for level in LEVELS]
        chart = bars(rows, "级别", "荣誉数", title=f"{ctx.year} 年各级别授予荣誉数", order=list(LEVELS))
    else:
        stmt = (base.with_only_columns(Honour.year_awarded, func.count()).group_by(Honour.year_awarded)
                .order_by(Honour.year_awarded))
        rows = [{"年份": str(y) if y else UNKNOWN_YEAR, "荣誉数": n} for y, n in ctx.session.execute(stmt)]
        rows.sort(key=lambda r: (r["年份"] == UNKNOWN_YEAR, r["年份"]))
        chart = bars(rows, "年份", "荣誉数", title="历年授予荣誉数",
                     order=[r["年份"] for r in rows]) if rows else None
    return MetricResult(value=int(total), help="所选年度授予的荣誉数（未选年度时为合计，含已去世者）",
                        caption=f"共 {people} 人获授；明细按人列出" if total else None,
                        chart=chart, rows=rows, link_params={"status": ALL_STATUSES})


def pending_changes(ctx: MetricContext) -> MetricResult:
    from core.data.db import utcnow
    from plugins.registry.changes import KINDS, OVERDUE, PENDING

    late_case = ChangeRequest.submitted_at < utcnow() - OVERDUE
    stmt = (select(ChangeRequest.kind, func.count(), func.count().filter(late_case))
            .where(ChangeRequest.state == PENDING).where(ctx.county_filter(ChangeRequest.county_code))
            .group_by(ChangeRequest.kind))
    found = {kind: (n, int(late or 0)) for kind, n, late in ctx.session.execute(stmt)}
    rows = [{"类型": kind, "待审核": found.get(kind, (0, 0))[0], "超期": found.get(kind, (0, 0))[1]}
            for kind in KINDS]
    rows.sort(key=lambda r: (-r["超期"], -r["待审核"]))  # overdue first
    late = sum(r["超期"] for r in rows)
    split = [{"类型": r["类型"], "等待": label, "件数": n} for r in rows
             for label, n in (("超过 7 天", r["超期"]), ("7 天内", r["待审核"] - r["超期"]))]
    caption = f"其中 {late} 件超过 7 天" if late else "没有超过 7 天的申请"
    return MetricResult(value=sum(r["待审核"] for r in rows), rows=rows,
                        help="当前待审核的变动申请（不按年度筛选）",
                        caption=caption + ("（当前待审核，不按年度）" if ctx.year else ""),
                        chart=bars(split, "类型", "件数", title="各类型待审核件数",
                                   order=[r["类型"] for r in rows], colour="等待",
                                   colour_order=["超过 7 天", "7 天内"], palette=[COUNTED, BAR]),
                        link_params={"year": ""})


def approvals(ctx: MetricContext) -> MetricResult:
    import statistics

    from core.settings import clock

    year = ctx.year or clock.this_year()  # the year in the users' time zone, and its bounds
    start, end = clock.local_year_bounds(year)
    stmt = (select(ChangeRequest.submitted_at, ChangeRequest.decided_at)
            .where(ChangeRequest.state == "已通过", ChangeRequest.decided_at >= start,
                   ChangeRequest.decided_at < end)
            .where(ctx.county_filter(ChangeRequest.county_code)))
    waits = [(decided - submitted).total_seconds() / 86400 for submitted, decided in ctx.session.execute(stmt)]
    median = statistics.median(waits) if waits else None
    said = f"{year} 年通过；从提交到审核中位 {median:.1f} 天" if waits else f"{year} 年尚无通过的变动"
    return MetricResult(
        value=len(waits), help=f"{year} 年审核通过的变动申请", caption=said,
        rows=[{"年份": year, "通过件数": len(waits),
               "提交到审核中位天数": round(median, 1) if median is not None else None}],
        link_params={"year": ""})


METRICS = [
    Metric(key="registry-people", title="在册劳模工匠", compute=people_by_county, tables=TABLES,
           permission="registry.view", link="registry-people", order=10),
    Metric(key="registry-levels", title="全国级荣誉获得者", compute=people_by_level, tables=TABLES,
           permission="registry.view", link="registry-people", order=11),
    Metric(key="registry-status", title="在职人员", compute=people_by_status, tables=TABLES,
           permission="registry.view", link="registry-people", order=12),
    Metric(key="registry-pending", title="待审核变动", compute=pending_changes,
           tables=frozenset({"registry_change"}), permission="registry.view", link="registry-review",
           order=14),
    # no link: no page lists decided requests (审核队列 holds the pending ones only)
    Metric(key="registry-approvals", title="本年度通过变动", compute=approvals,
           tables=frozenset({"registry_change"}), permission="registry.view", order=15),
    Metric(key="registry-honours-per-year", title="荣誉授予", compute=honours_per_year,
           tables=TABLES, permission="registry.view", link="registry-people", order=13),
]
