"""Overview tiles for the roster, computed in SQL within the county and year chosen."""

from __future__ import annotations

from sqlalchemy import case, distinct, func, select

from core.host.metrics import Metric, MetricContext, MetricResult
from core.settings.counties import county_name
from plugins.registry.models import ChangeRequest, Honour, Person
from plugins.registry.vocab import DECEASED, LEVELS, STATUSES

TABLES = frozenset({"registry_person", "registry_honour"})


def _bar(rows: list[dict], x: str, y: str, sort: list[str] | None = None):
    import altair as alt
    import pandas as pd

    return (alt.Chart(pd.DataFrame(rows)).mark_bar()
            .encode(x=alt.X(f"{x}:N", sort=sort or "-y", title=None), y=alt.Y(f"{y}:Q", title=y),
                    tooltip=[x, y]).properties(height=200))


def people_by_county(ctx: MetricContext) -> MetricResult:
    stmt = (select(Person.county_code, func.count()).where(Person.status != DECEASED)
            .where(ctx.county_filter(Person.county_code)).group_by(Person.county_code))
    rows = [{"区县": county_name(c), "人数": n} for c, n in ctx.session.execute(stmt)]
    rows.sort(key=lambda r: -r["人数"])
    return MetricResult(value=sum(r["人数"] for r in rows), help="在册人员（不含已去世）",
                        chart=_bar(rows, "区县", "人数") if rows else None, rows=rows)


def people_by_level(ctx: MetricContext) -> MetricResult:
    stmt = (select(Honour.level, func.count(distinct(Honour.person_id)))
            .join(Person, Person.id == Honour.person_id).where(Person.status != DECEASED)
            .where(ctx.county_filter(Person.county_code)).group_by(Honour.level))
    if ctx.year:
        stmt = stmt.where(Honour.year_awarded == ctx.year)
    counts = dict(ctx.session.execute(stmt).all())
    rows = [{"级别": level, "人数": counts.get(level, 0)} for level in LEVELS]
    return MetricResult(value=counts.get("全国", 0), help="全国级荣誉获得者人数；图为各级别人数",
                        chart=_bar(rows, "级别", "人数", sort=list(LEVELS)), rows=rows)


def people_by_status(ctx: MetricContext) -> MetricResult:
    stmt = (select(Person.status, func.count()).where(ctx.county_filter(Person.county_code))
            .group_by(Person.status))
    counts = dict(ctx.session.execute(stmt).all())
    rows = [{"状态": s, "人数": counts.get(s, 0)} for s in STATUSES]
    return MetricResult(value=counts.get("在职", 0), help="在职人数；明细含退休、去世、转出",
                        chart=_bar(rows, "状态", "人数", sort=list(STATUSES)), rows=rows)


def honours_per_year(ctx: MetricContext) -> MetricResult:
    stmt = (select(Honour.year_awarded, func.count()).join(Person, Person.id == Honour.person_id)
            .where(ctx.county_filter(Person.county_code)).where(Honour.year_awarded.is_not(None))
            .group_by(Honour.year_awarded).order_by(Honour.year_awarded))
    rows = [{"年份": str(y), "荣誉数": n} for y, n in ctx.session.execute(stmt)]
    value = next((r["荣誉数"] for r in rows if r["年份"] == str(ctx.year)), 0) if ctx.year else \
        sum(r["荣誉数"] for r in rows)
    return MetricResult(value=value, help="所选年度授予的荣誉数（未选年度时为合计）",
                        chart=_bar(rows, "年份", "荣誉数", sort=[r["年份"] for r in rows]) if rows else None,
                        rows=rows)


def pending_changes(ctx: MetricContext) -> MetricResult:
    import datetime as dt

    from core.data.db import utcnow

    overdue_before = utcnow() - dt.timedelta(days=7)
    stmt = (select(ChangeRequest.kind, func.count(),
                   func.sum(case((ChangeRequest.submitted_at < overdue_before, 1), else_=0)))
            .where(ChangeRequest.state == "待审核").where(ctx.county_filter(ChangeRequest.county_code))
            .group_by(ChangeRequest.kind))
    found = {kind: (n, int(late or 0)) for kind, n, late in ctx.session.execute(stmt)}
    rows = [{"类型": kind, "待审核": found.get(kind, (0, 0))[0], "超期": found.get(kind, (0, 0))[1]}
            for kind in ("新增", "关系转移", "去世", "信息更正")]
    rows.sort(key=lambda r: (-r["超期"], -r["待审核"]))  # overdue first
    late = sum(r["超期"] for r in rows)
    return MetricResult(value=sum(r["待审核"] for r in rows),
                        help=f"其中 {late} 件超过 7 天未审核" if late else "没有超期的申请",
                        chart=_bar(rows, "类型", "待审核"), rows=rows)


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
    return MetricResult(
        value=len(waits),
        help=f"{year} 年通过的变动；从提交到审核的中位时间 {median:.1f} 天" if waits else f"{year} 年尚无通过的变动",
        rows=[{"年份": year, "通过件数": len(waits),
               "提交到审核中位天数": round(median, 1) if median is not None else None}])


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
    Metric(key="registry-approvals", title="本年度通过变动", compute=approvals,
           tables=frozenset({"registry_change"}), permission="registry.view", link="registry-review",
           order=15),
    Metric(key="registry-honours-per-year", title="荣誉授予", compute=honours_per_year,
           tables=TABLES, permission="registry.view", link="registry-people", order=13),
]
