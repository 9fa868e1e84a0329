"""The studios' section of the yearly report (年度工作报告), counted in SQL for a year and a scope.

- Studios: those not removed (运行 and 暂停) as they stand now (the studios keep no dated
  history of kind or level), by kind and level; the studios removed (摘牌) in the year, by the
  date of their status change.
- Reviews: the reviews of the year, by grade and county; for the year under way, the studios
  still due (``queries.due_condition``).
- Output: the sums of the year's output against the year before, each measure with its change.
- Honoured members: the distinct leaders and members of the studios (the deceased and the
  removed studios' too), by the level of their honour (as 总览 and 成果统计 count them).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from core.access.permissions import in_counties
from core.host.charts import bars
from core.host.metrics import MetricContext
from core.report.sections import ReportSection, ReportTable
from core.settings import clock
from core.settings.counties import county_name, county_names, load_counties
from plugins.workshops.metrics import COMPARED, PATENTS, honoured_counts, output_sums
from plugins.workshops.models import Review, StatusChange, Studio
from plugins.workshops.queries import due_condition
from plugins.workshops.vocab import (
    ACTIVE,
    FAIL,
    GRADES,
    HONOUR_LEVELS,
    KINDS,
    LEVELS,
    OUTPUT_FIELDS,
    REMOVED,
    SUSPENDED,
)

KEY, TITLE, ORDER = "workshops-studios", "工作室", 20
TOTAL = "合计"
UNITS = {key: unit for key, _, unit in OUTPUT_FIELDS}


def _listed(pairs, unit: str) -> str:
    """国家级 3 家、省级 12 家 (the ones above 0)."""
    return "、".join(f"{name} {n:,} {unit}" for name, n in pairs if n)


def _studios(session: Session, counties) -> list[tuple[str, str, str, str, int]]:
    stmt = (select(Studio.county_code, Studio.kind, Studio.level, Studio.status, func.count())
            .where(Studio.status != REMOVED, in_counties(Studio.county_code, counties))
            .group_by(Studio.county_code, Studio.kind, Studio.level, Studio.status))
    return session.execute(stmt).all()


def _removed_in(session: Session, year: int, counties) -> int:
    stmt = (select(func.count(distinct(StatusChange.studio_id))).join(Studio, Studio.id == StatusChange.studio_id)
            .where(StatusChange.status == REMOVED, StatusChange.on >= dt.date(year, 1, 1),
                   StatusChange.on <= dt.date(year, 12, 31), in_counties(Studio.county_code, counties)))
    return session.scalar(stmt) or 0


def _reviews(session: Session, year: int, counties) -> dict[tuple[str, str], int]:
    stmt = (select(Review.county_code, Review.grade, func.count())
            .where(Review.year == year, in_counties(Review.county_code, counties))
            .group_by(Review.county_code, Review.grade))
    return {(c, g): n for c, g, n in session.execute(stmt)}


def _still_due(session: Session, year: int, counties) -> dict[str, int]:
    stmt = (select(Studio.county_code, func.count()).where(due_condition(year), in_counties(Studio.county_code, counties))
            .group_by(Studio.county_code))
    return dict(session.execute(stmt).all())


def _level_name(level: str) -> str:
    return level if level.endswith("级") else f"{level}级"


def _change_text(now: float, before: float, unit: str) -> str:
    if now == before:
        return "与上年持平"
    word = "增加" if now > before else "减少"
    share = f"，{(now - before) / before * 100:+.1f}%" if before else ""
    return f"比上年{word} {abs(now - before):,g} {unit}{share}"


def _number(value: float) -> float | int:
    value = round(float(value), 1)
    return int(value) if value == int(value) else value


def sections(session: Session, year: int, counties: tuple[str, ...] | None) -> list[ReportSection]:
    """The studios' section for ``year`` within ``counties`` (None: the whole city)."""
    place = "全市" if counties is None else "、".join(county_name(c) for c in counties)
    studios = _studios(session, counties)
    reviews = _reviews(session, year, counties)
    current = year >= clock.this_year()
    due = _still_due(session, year, counties)
    sums = output_sums(MetricContext(session=session, counties=counties, year=year), (year, year - 1))
    honoured = honoured_counts(session, counties)
    removed = _removed_in(session, year, counties)

    # studios by kind (rows) and level (columns)
    kinds = [k for k in KINDS if any(r[1] == k for r in studios)] + sorted({r[1] for r in studios} - set(KINDS))
    levels = [lv for lv in LEVELS if any(r[2] == lv for r in studios)] + sorted({r[2] for r in studios} - set(LEVELS))
    kind_rows = []
    for kind in kinds:
        row = {"类型": kind, **{lv: sum(n for _, k, level, _, n in studios if k == kind and level == lv)
                               for lv in levels}}
        row[TOTAL] = sum(row[lv] for lv in levels)
        kind_rows.append(row)
    if kind_rows:
        kind_rows.append({"类型": TOTAL, **{k: sum(r[k] for r in kind_rows) for k in [*levels, TOTAL]}})
    total = sum(n for *_, n in studios)
    suspended = sum(n for *_, status, n in studios if status == SUSPENDED)
    running = sum(n for *_, status, n in studios if status == ACTIVE)

    # reviews by county and grade
    names = county_names()
    codes = list(counties) if counties is not None else [c.code for c in load_counties()]
    codes += sorted(({c for c, _ in reviews} | set(due)) - set(codes))
    review_rows = []
    for code in codes:
        row = {"区县": names.get(code, code), **{g: reviews.get((code, g), 0) for g in GRADES}}
        row["已评审"] = sum(row[g] for g in GRADES)
        row["待评审" if current else "未评审"] = due.get(code, 0)
        review_rows.append(row)
    if len(review_rows) > 1:
        review_rows.append({"区县": TOTAL, **{k: sum(r[k] for r in review_rows) for k in review_rows[0] if k != "区县"}})
    grade_counts = {g: sum(n for (_, grade), n in reviews.items() if grade == g) for g in GRADES}
    reviewed = sum(grade_counts.values())
    left = sum(due.values())

    # output of the year against the year before
    now, before = sums[year], sums[year - 1]
    patents, patents_before = sum(now[k] for k in PATENTS), sum(before[k] for k in PATENTS)
    output_rows = [{"指标": "专利合计", f"{year} 年": _number(patents), f"{year - 1} 年": _number(patents_before),
                    "增减": _number(patents - patents_before)}]
    output_rows += [{"指标": label, f"{year} 年": _number(now[key]), f"{year - 1} 年": _number(before[key]),
                     "增减": _number(now[key] - before[key])} for key, label, _ in OUTPUT_FIELDS]

    # the text
    by_level = _listed([(lv, sum(n for _, _, level, _, n in studios if level == lv)) for lv in levels], "家")
    by_kind = _listed([(r["类型"], r[TOTAL]) for r in kind_rows if r["类型"] != TOTAL], "家")
    first = (f"截至 {_today_text()}，{place}共有工作室 {total:,} 家（运行 {running:,} 家、暂停 {suspended:,} 家，"
             f"不含已摘牌的）" + (f"，其中{by_level}；按类型分，{by_kind}" if total else "") + "。"
             + (f"{year} 年摘牌 {removed} 家。" if removed else ""))
    if reviewed:
        graded = _listed([(g, grade_counts[g]) for g in GRADES], "家")
        second = f"{year} 年度评审工作室 {reviewed:,} 家，其中{graded}"
        if grade_counts[FAIL]:
            second += f"；不合格率 {grade_counts[FAIL] / reviewed * 100:.1f}%"
    else:
        second = f"{year} 年度尚无工作室完成评审"
    if left:
        second += f"；尚有 {left:,} 家{'待评审' if current else '当年未评审'}"
    second += "。"
    parts = [f"专利 {_number(patents):,} 件（{_change_text(patents, patents_before, '件')}）"]
    for key, label, unit in OUTPUT_FIELDS:
        if key in PATENTS or key in ("apprentices_technician", "apprentices_senior"):
            continue
        text = f"{label.removesuffix('（万元）')} {_number(now[key]):,} {unit}（{_change_text(_number(now[key]), _number(before[key]), unit)}）"
        if key == "apprentices" and now["apprentices_technician"]:
            text += f"，其中达到技师 {_number(now['apprentices_technician'])} 人、高级技师 {_number(now['apprentices_senior'])} 人"
        parts.append(text)
    anything = any(now.values()) or any(before.values())
    third = (f"{year} 年各工作室{'已填报' if current else ''}成果：" + "；".join(parts) + "。") if anything \
        else f"{year} 年尚无工作室填报年度成果。"
    named = _listed([(_level_name(lv), honoured.get(lv, 0)) for lv in HONOUR_LEVELS], "人")
    fourth = (f"工作室的领办人和成员中（含已故），获全国级荣誉的 {honoured.get(HONOUR_LEVELS[0], 0):,} 人"
              + (f"（各级别：{named}；每人只计一次，按其最高荣誉）" if named else "") + "。")
    text = "\n\n".join([first, second + third + fourth])

    charts = []
    if reviewed:
        charts.append(bars([{"等次": g, "工作室数": grade_counts[g]} for g in GRADES], "等次", "工作室数",
                           title=f"{place} {year} 年各评审等次的工作室数", order=list(GRADES)))
    if anything:
        chart_rows = [{"指标": label, "年度": f"{y} 年", "数量": _number(sum(sums[y][k] for k in keys))}
                      for label, keys in COMPARED for y in (year, year - 1)]
        charts.append(bars(chart_rows, "指标", "数量", title=f"{place} {year} 年与 {year - 1} 年工作室各项成果数量",
                           order=[label for label, _ in COMPARED], colour="年度",
                           colour_order=[f"{year} 年", f"{year - 1} 年"], grouped=True))
    return [ReportSection(
        key=KEY, title=TITLE, order=ORDER, text=text,
        tables=[ReportTable("工作室（按类型和级别，不含摘牌）", kind_rows),
                ReportTable(f"{year} 年度评审（按区县和等次，工作室数）", review_rows),
                ReportTable(f"{year} 年与 {year - 1} 年工作室成果", output_rows)],
        charts=charts,
    )]


def _today_text() -> str:
    """The day the studios are counted on: today (they keep no dated history)."""
    today = clock.today()
    return f"{today.year} 年 {today.month} 月 {today.day} 日"
