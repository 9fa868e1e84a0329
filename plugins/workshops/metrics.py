"""Overview tiles of the studios, counted in SQL within the county (and, where it means
something, the year) chosen on the overview.

Each tile's 查看明细 link lists what its number counts (``link_params`` are 工作室一览's query
parameters, see INTERFACES: ``status``, ``grade``, ``year``, ``flag``; the overview adds
``county``, and ``year`` unless a tile sets it to ``""``):

- 工作室: studios not removed (运行 and 暂停) by kind and level; the year does not narrow it
  (工作室一览 without ``status`` lists the studios not removed).
- 年度评审进度: the reviews done in the year (the chosen one, else this year) against the
  studios due that year (done plus still due: ``queries.due_condition``).
- 年度评审等次: the reviews of the year by grade (工作室一览 ``?year=…&grade=已评审`` lists
  the studios reviewed that year).
- 年度成果: patents of the year, against the year before; the chart compares each measure.
- 全国级荣誉成员: the distinct people whose honour is national (荣誉级别 全国) among the
  leaders and members of the studios (the removed and the deceased too, as 成果统计 counts who
  came out of the studios); the year does not narrow it.
- 需更换领办人: the studios not removed whose leader died or moved (flag ``leader``).
"""

from __future__ import annotations

from sqlalchemy import and_, distinct, func, select

from core.access.permissions import in_counties
from core.host.charts import bars
from core.host.metrics import Metric, MetricContext, MetricResult
from core.settings import clock
from core.settings.counties import county_name
from plugins.workshops.models import Member, Output, Review, Studio
from plugins.workshops.queries import due_condition
from plugins.workshops.vocab import (
    GRADES,
    HONOUR_LEVELS,
    KINDS,
    LEVELS,
    NATIONAL,
    OUTPUT_FIELDS,
    REMOVED,
)

PERMISSION = "workshops.view"
REVIEWED = "已评审"  # 工作室一览's grade choice: any grade, reviewed in the year
PATENTS = ("patents_invention", "patents_utility", "patents_design")
# the measures the output chart compares (counts of things; 经济效益 is in 万元, in the rows only)
COMPARED = (("专利", PATENTS), ("技术革新", ("innovations",)), ("合理化建议", ("proposals_adopted",)),
            ("带徒", ("apprentices",)), ("获奖", ("awards",)))


def _year(ctx: MetricContext) -> int:
    """The tile's year: the one chosen on the overview, else this year (Beijing time)."""
    return ctx.year or clock.this_year()


def _not_removed(ctx: MetricContext):
    return and_(Studio.status != REMOVED, ctx.county_filter(Studio.county_code))


def _level_name(level: str) -> str:
    """全国 -> 全国级; 省级 stays 省级."""
    return level if level.endswith("级") else f"{level}级"


def by_kind(ctx: MetricContext) -> MetricResult:
    stmt = (select(Studio.county_code, Studio.kind, Studio.level, func.count()).where(_not_removed(ctx))
            .group_by(Studio.county_code, Studio.kind, Studio.level))
    found = ctx.session.execute(stmt).all()
    rows = sorted(({"区县": county_name(c), "类型": k, "级别": lv, "工作室数": n} for c, k, lv, n in found),
                  key=lambda r: (r["区县"], _index(KINDS, r["类型"]), _index(LEVELS, r["级别"])))
    per: dict[tuple[str, str], int] = {}
    for _, kind, level, n in found:
        per[(kind, level)] = per.get((kind, level), 0) + n
    levels = [lv for lv in LEVELS if any(level == lv for _, level in per)]
    levels += sorted({level for _, level in per} - set(levels))
    kinds = [k for k in KINDS if any(kind == k for kind, _ in per)] + sorted({k for k, _ in per} - set(KINDS))
    chart_rows = [{"类型": k, "级别": lv, "工作室数": per[(k, lv)]} for k in kinds for lv in levels if (k, lv) in per]
    total = sum(per.values())
    by_level = {lv: sum(n for (_, level), n in per.items() if level == lv) for lv in levels}
    caption = "，".join(f"{lv} {n} 家" for lv, n in by_level.items() if n) if total else None
    return MetricResult(
        value=total, rows=rows, link_params={"year": ""},
        help="运行和暂停的工作室（不含摘牌），按类型、级别和区县；不按年度筛选",
        caption=(caption or "") + ("（当前在册，不按年度）" if ctx.year and caption else "") or None,
        chart=bars(chart_rows, "类型", "工作室数", title="各类型工作室数（按级别着色，不含摘牌）",
                   order=kinds, colour="级别", colour_order=levels) if chart_rows else None)


def _index(values, value) -> int:
    return values.index(value) if value in values else len(values)


def reviews(ctx: MetricContext) -> MetricResult:
    year = _year(ctx)
    done = dict(ctx.session.execute(
        select(Review.county_code, func.count()).where(Review.year == year, ctx.county_filter(Review.county_code))
        .group_by(Review.county_code)).all())
    left = dict(ctx.session.execute(
        select(Studio.county_code, func.count()).where(due_condition(year), ctx.county_filter(Studio.county_code))
        .group_by(Studio.county_code)).all())
    rows = [{"区县": county_name(c), "应评": done.get(c, 0) + left.get(c, 0), "已评": done.get(c, 0),
             "待评": left.get(c, 0)} for c in sorted(set(done) | set(left))]
    rows.sort(key=lambda r: (-r["应评"], r["区县"]))
    reviewed, due = sum(done.values()), sum(done.values()) + sum(left.values())
    split = [{"区县": r["区县"], "进度": label, "工作室数": r[label]} for r in rows for label in ("已评", "待评")]
    return MetricResult(
        value=reviewed, rows=rows, link_params={"year": ""},
        caption=f"{year} 年应评 {due} 家，已评 {reviewed} 家",
        help=f"{year} 年已完成的年度评审；应评为当年已评的和仍待评审的运行中工作室",
        chart=bars(split, "区县", "工作室数", title=f"{year} 年各区县评审进度（工作室数）", horizontal=True,
                   order=[r["区县"] for r in rows], colour="进度", colour_order=["已评", "待评"])
        if rows else None)


def grades(ctx: MetricContext) -> MetricResult:
    year = _year(ctx)
    counts = dict(ctx.session.execute(
        select(Review.grade, func.count()).where(Review.year == year, ctx.county_filter(Review.county_code))
        .group_by(Review.grade)).all())
    order = [*GRADES, *sorted(set(counts) - set(GRADES))]
    rows = [{"等次": g, "工作室数": counts.get(g, 0)} for g in order]
    total = sum(counts.values())
    said = "，".join(f"{r['等次']} {r['工作室数']} 家" for r in rows if r["工作室数"])
    return MetricResult(
        value=total, rows=rows, link_params={"year": str(year), "grade": REVIEWED},
        caption=f"{year} 年：{said}" if total else f"{year} 年尚无评审",
        help=f"{year} 年已评审的工作室数，按评审等次",
        chart=bars(rows, "等次", "工作室数", title=f"{year} 年各评审等次的工作室数", order=order) if total else None)


def output_sums(ctx: MetricContext, years: tuple[int, ...]) -> dict[int, dict[str, float]]:
    """Year -> measure -> sum of the studios' output (in the chosen counties), in one query."""
    keys = [key for key, _, _ in OUTPUT_FIELDS]
    stmt = (select(Output.year, *(func.coalesce(func.sum(getattr(Output, k)), 0) for k in keys))
            .where(Output.year.in_(years), ctx.county_filter(Output.county_code)).group_by(Output.year))
    found = {y: dict(zip(keys, values, strict=True)) for y, *values in ctx.session.execute(stmt)}
    return {y: found.get(y, dict.fromkeys(keys, 0)) for y in years}


def _change(now: float, before: float, unit: str, year: int) -> str:
    if now == before:
        return f"与 {year} 年持平"
    word = "增加" if now > before else "减少"
    share = f"（{(now - before) / before * 100:+.1f}%）" if before else ""
    return f"比 {year} 年{word} {abs(now - before):,g} {unit}{share}"


def output(ctx: MetricContext) -> MetricResult:
    year = _year(ctx)
    sums = output_sums(ctx, (year, year - 1))
    now, before = sums[year], sums[year - 1]

    def total(values, keys):
        return sum(values[k] for k in keys)

    patents, patents_before = total(now, PATENTS), total(before, PATENTS)
    rows = [{"指标": "专利合计", f"{year} 年": patents, f"{year - 1} 年": patents_before,
             "增减": patents - patents_before}]
    for key, label, _ in OUTPUT_FIELDS:
        value, previous = now[key], before[key]
        if key == "benefit":
            value, previous = round(float(value), 1), round(float(previous), 1)
        rows.append({"指标": label, f"{year} 年": value, f"{year - 1} 年": previous,
                     "增减": round(value - previous, 1) if key == "benefit" else value - previous})
    chart_rows = [{"指标": label, "年度": f"{y} 年", "数量": total(sums[y], keys)}
                  for label, keys in COMPARED for y in (year, year - 1)]
    anything = any(r["数量"] for r in chart_rows)
    return MetricResult(
        value=int(patents), rows=rows, link_params={"year": str(year)},
        caption=_change(patents, patents_before, "件", year - 1),
        help=f"{year} 年工作室获得的专利（发明、实用新型、外观设计），与上一年相比；图为各项成果两年对比",
        chart=bars(chart_rows, "指标", "数量", title=f"{year} 年与 {year - 1} 年各项成果数量",
                   order=[label for label, _ in COMPARED], colour="年度",
                   colour_order=[f"{year} 年", f"{year - 1} 年"], grouped=True) if anything else None)


def person_key():
    """One person however many studios they are in: the roster's id, or (a typed name, no id)
    the member row itself (as 成果统计 counts them, plugins.workshops.stats)."""
    return func.coalesce(Member.person_id, -Member.id)


def honoured_counts(session, counties) -> dict[str, int]:
    """Honour level -> the distinct people of that level among the studios' leaders and members
    (every studio and member, the removed and the deceased too: who came out of the studios)."""
    stmt = (select(Member.honour_level, func.count(distinct(person_key())))
            .join(Studio, Studio.id == Member.studio_id)
            .where(in_counties(Studio.county_code, counties), Member.honour_level.is_not(None))
            .group_by(Member.honour_level))
    return dict(session.execute(stmt).all())


def honoured(ctx: MetricContext) -> MetricResult:
    counts = honoured_counts(ctx.session, ctx.counties)
    order = [*HONOUR_LEVELS, *sorted(set(counts) - set(HONOUR_LEVELS))]
    rows = [{"荣誉级别": _level_name(lv), "人数": counts.get(lv, 0)} for lv in order]
    return MetricResult(
        value=counts.get(NATIONAL, 0), rows=rows, link_params={"level": NATIONAL, "year": ""},
        help="工作室领办人和成员中获全国级荣誉的人数（含已故、含已摘牌工作室的），每人只计一次；不按年度筛选",
        caption="，".join(f"{r['荣誉级别']} {r['人数']} 人" for r in rows[1:] if r["人数"]) or None,
        chart=bars(rows, "荣誉级别", "人数", title="工作室领办人和成员中各级别荣誉获得者人数，深色为全国级",
                   counted=_level_name(NATIONAL), order=[r["荣誉级别"] for r in rows]) if counts else None)


def leaders(ctx: MetricContext) -> MetricResult:
    stmt = (select(Studio.county_code, func.count()).where(_not_removed(ctx), Studio.needs_new_leader.is_(True))
            .group_by(Studio.county_code))
    rows = [{"区县": county_name(c), "工作室数": n} for c, n in ctx.session.execute(stmt)]
    rows.sort(key=lambda r: (-r["工作室数"], r["区县"]))
    total = sum(r["工作室数"] for r in rows)
    return MetricResult(
        value=total, rows=rows, link_params={"flag": "leader", "year": ""},
        help="领办人去世、调往其他区县或单位，需更换领办人的工作室（不含摘牌）；不按年度筛选",
        caption="请各区县尽快确定新的领办人" if total else None,  # at 0 the tile says 暂无数据
        chart=bars(rows, "区县", "工作室数", title="各区县需更换领办人的工作室数", horizontal=True,
                   order=[r["区县"] for r in rows]) if rows else None)


STUDIO_TABLES = frozenset({"workshops_studio"})
METRICS = [
    Metric(key="workshops-by-kind", title="在册工作室", compute=by_kind, tables=STUDIO_TABLES,
           permission=PERMISSION, link="workshops-list", order=20),
    Metric(key="workshops-reviews", title="年度评审进度", compute=reviews,
           tables=frozenset({"workshops_studio", "workshops_review"}), permission=PERMISSION,
           link="workshops-review", order=21),
    Metric(key="workshops-grades", title="年度评审等次", compute=grades, tables=frozenset({"workshops_review"}),
           permission=PERMISSION, link="workshops-list", order=22),
    Metric(key="workshops-output", title="年度成果（专利）", compute=output, tables=frozenset({"workshops_output"}),
           permission=PERMISSION, link="workshops-output", order=23),
    Metric(key="workshops-honoured", title="全国级荣誉成员", compute=honoured,
           tables=frozenset({"workshops_studio", "workshops_member"}), permission=PERMISSION,
           link="workshops-output", order=24),
    Metric(key="workshops-leaders", title="需更换领办人", compute=leaders, tables=STUDIO_TABLES,
           permission=PERMISSION, link="workshops-list", order=25),
]
