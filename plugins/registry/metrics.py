"""Overview tiles for the roster, computed in SQL within the county and year chosen."""

from __future__ import annotations

from sqlalchemy import distinct, func, select

from core.counties import county_name
from core.metrics import Metric, MetricContext, MetricResult
from plugins.registry.models import Honour, Person
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


METRICS = [
    Metric(key="registry-people", title="在册劳模工匠", compute=people_by_county, tables=TABLES,
           permission="registry.view", link="registry-people", order=10),
    Metric(key="registry-levels", title="全国级荣誉获得者", compute=people_by_level, tables=TABLES,
           permission="registry.view", link="registry-people", order=11),
    Metric(key="registry-status", title="在职人员", compute=people_by_status, tables=TABLES,
           permission="registry.view", link="registry-people", order=12),
    Metric(key="registry-honours-per-year", title="荣誉授予", compute=honours_per_year,
           tables=TABLES, permission="registry.view", link="registry-people", order=13),
]
