"""The roster's section of the yearly report (年度工作报告), counted in SQL for a year and a
scope.

Who is counted at the year's end (the headcount, by honour level and county): everyone on the
roster holding an honour awarded in or before that year (or in a year not recorded), who had
not died by the year's end (status 去世 with a death date within or before the year; a death
without a date counts as before). Retired (退休) and transferred-out (转出) people are counted,
as 人员名册 and 总览 count them (the text says how many of them there are). Each person counts
once, under the highest level among those honours (全国 > 省级 > 市级 > 区县级), in the county
the roster places them now (the roster keeps no dated history of moves). For the year under
way the count is of today.

Honours awarded that year are every honour whose 授予年份 is the year, the deceased's too (as
the 荣誉授予 tile counts them). Changes approved that year are the requests 已通过 whose decision
fell within the year (Beijing time), by kind; the wait runs from submission (or the last
resubmission, which the request keeps as its submission time) to approval. Only that year's
approved requests are read, to compute the average and the median (SQLite has no median).
"""

from __future__ import annotations

import datetime as dt
import statistics

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.access.permissions import in_counties
from core.host.charts import BAR, COUNTED, OTHER, bars
from core.report.sections import ReportSection, ReportTable
from core.settings import clock
from core.settings.counties import county_name, county_names, load_counties
from plugins.registry.models import ChangeRequest, Honour, Person
from plugins.registry.queries import level_rank
from plugins.registry.vocab import APPROVED, CHANGE_KINDS, DECEASED, LEVELS

KEY, TITLE, ORDER = "registry-roster", "劳模工匠名册", 10
OTHER_LEVEL = "其他"  # a level outside LEVELS (a county plugin's own), ranked below them
TOTAL = "合计"
RETIRED, TRANSFERRED = "退休", "转出"
LEVEL_COLOURS = [COUNTED, "#e07b39", BAR, OTHER, "#c8ccd1"]  # 全国 darkest, then down the levels
WAIT_AVERAGE, WAIT_MEDIAN = "平均等待（天）", "中位等待（天）"


def as_of(year: int) -> dt.date:
    """The day the headcount is of: the year's last day, or today for the year under way."""
    today = clock.today()
    return today if year >= today.year else dt.date(year, 12, 31)


def _ended(year: int) -> bool:
    """Whether the headcount is of the year's end (the year is over, or ends today)."""
    return as_of(year) == dt.date(year, 12, 31)


def _as_of_text(year: int) -> str:
    day = as_of(year)
    return f"{year} 年底" if _ended(year) else f"{day.year} 年 {day.month} 月 {day.day} 日"


def headcount(session: Session, year: int,
              counties: tuple[str, ...] | None) -> dict[tuple[str, str, str], int]:
    """(county code, highest level, status) -> people on the roster at the year's end (see the
    module's docstring for who counts)."""
    best = (select(Honour.person_id, func.min(level_rank()).label("best"))
            .where(or_(Honour.year_awarded <= year, Honour.year_awarded.is_(None)))
            .group_by(Honour.person_id).subquery())
    stmt = (select(Person.county_code, best.c.best, Person.status, func.count())
            .join(best, best.c.person_id == Person.id)
            .where(or_(Person.status != DECEASED, Person.death_date > dt.date(year, 12, 31)))
            .where(in_counties(Person.county_code, counties))
            .group_by(Person.county_code, best.c.best, Person.status))
    levels = [*LEVELS, OTHER_LEVEL]
    return {(county, levels[rank], status): n for county, rank, status, n in session.execute(stmt)}


def honours_awarded(session: Session, year: int,
                    counties: tuple[str, ...] | None) -> list[tuple[str, str, int]]:
    """(honour, level, how many) awarded in ``year`` to people of ``counties``, highest level
    first, then the most awarded."""
    stmt = (select(Honour.name, Honour.level, func.count())
            .join(Person, Person.id == Honour.person_id)
            .where(Honour.year_awarded == year, in_counties(Person.county_code, counties))
            .group_by(Honour.name, Honour.level))
    rank = {level: i for i, level in enumerate(LEVELS)}
    return sorted(session.execute(stmt).all(),
                  key=lambda r: (rank.get(r[1], len(LEVELS)), -r[2], r[0]))


def approval_waits(session: Session, year: int,
                   counties: tuple[str, ...] | None) -> dict[str, list[float]]:
    """Kind -> the waits in days (submission to approval) of the requests approved in ``year``
    (local time), in ``counties``: that year's approved requests only, a few thousand at most."""
    start, end = clock.local_year_bounds(year)
    stmt = (select(ChangeRequest.kind, ChangeRequest.submitted_at, ChangeRequest.decided_at)
            .where(ChangeRequest.state == APPROVED, ChangeRequest.decided_at >= start,
                   ChangeRequest.decided_at < end, in_counties(ChangeRequest.county_code, counties)))
    waits: dict[str, list[float]] = {}
    for kind, submitted, decided in session.execute(stmt):
        waits.setdefault(kind, []).append((decided - submitted).total_seconds() / 86400)
    return waits


def _days(waits: list[float], how) -> float | None:
    return round(how(waits), 1) if waits else None


def _level_rows(counts: dict[tuple[str, str, str], int], counties: tuple[str, ...] | None) -> list[dict]:
    """A row per county (every configured one for the city, in the file's order), the levels
    as columns, then 合计; a 合计 row under several counties."""
    names = county_names()
    codes = list(counties) if counties is not None else [c.code for c in load_counties()]
    codes += sorted({c for c, _, _ in counts} - set(codes))  # people of a county not configured
    levels = [*LEVELS] + ([OTHER_LEVEL] if any(lv == OTHER_LEVEL for _, lv, _ in counts) else [])
    rows = []
    for code in codes:
        row = {"区县": names.get(code, code)}
        row.update({lv: sum(n for (c, level, _), n in counts.items() if c == code and level == lv)
                    for lv in levels})
        row[TOTAL] = sum(row[lv] for lv in levels)
        rows.append(row)
    if len(rows) > 1:
        rows.append({"区县": TOTAL, **{k: sum(r[k] for r in rows) for k in [*levels, TOTAL]}})
    return rows


def _levels_chart(rows: list[dict], title: str, subtitle: str):
    """The headcount drawn: one bar per county split by level (the city), or one bar per level
    (a county); ``subtitle`` says who is counted."""
    import altair as alt
    import pandas as pd

    levels = [k for k in rows[0] if k not in ("区县", TOTAL)]
    # two lines of a title, not a subtitle: Vega names a subtitle in English for screen readers
    heading = alt.Title([title, f"（{subtitle}）"], anchor="start", fontSize=13, offset=14)
    if len(rows) == 1:
        return bars([{"级别": lv, "人数": rows[0][lv]} for lv in levels], "级别", "人数", title=title,
                    order=levels).properties(title=heading)
    counties_only = [r for r in rows if r["区县"] != TOTAL]
    data = pd.DataFrame([{"区县": r["区县"], "级别": lv, "序": i, "人数": r[lv]}
                         for r in counties_only for i, lv in enumerate(levels)])
    upright = {"titleAngle": 0, "titleAlign": "right", "titleBaseline": "bottom", "titleX": 0, "titleY": -6}
    return (alt.Chart(data, title=heading).mark_bar()
            .encode(y=alt.Y("区县:N", sort=[r["区县"] for r in counties_only],
                            axis=alt.Axis(title="区县", labelAngle=0, labelLimit=200, **upright)),
                    x=alt.X("人数:Q", stack=True, axis=alt.Axis(title="人数", format="d", tickMinStep=1)),
                    color=alt.Color("级别:N", sort=levels, legend=alt.Legend(title=None, orient="top"),
                                    scale=alt.Scale(domain=levels, range=LEVEL_COLOURS[:len(levels)])),
                    order=alt.Order("序:Q"),
                    tooltip=[alt.Tooltip("区县:N"), alt.Tooltip("级别:N"), alt.Tooltip("人数:Q", format=",")])
            .properties(height=26 * len(counties_only),
                        autosize=alt.AutoSizeParams(type="fit-x", contains="padding")))


def _level_name(level: str) -> str:
    """全国 -> 全国级; 省级 stays 省级."""
    return level if level.endswith("级") or level == OTHER_LEVEL else f"{level}级"


def _listed(pairs: list[tuple[str, int]], unit: str) -> str:
    """全国级 17 人、省级 120 人 (the ones above 0)."""
    return "、".join(f"{name} {n:,} {unit}" for name, n in pairs if n)


def _text(year: int, place: str, level_rows: list[dict], counts, awarded, waits) -> str:
    past = _ended(year)
    span = "全年" if past else "今年以来"
    total = level_rows[-1]
    levels = [k for k in total if k not in ("区县", TOTAL)]
    retired = sum(n for (_, _, status), n in counts.items() if status == RETIRED)
    moved = sum(n for (_, _, status), n in counts.items() if status == TRANSFERRED)
    named = _listed([(_level_name(lv), total[lv]) for lv in levels], "人")
    people = (f"截至 {_as_of_text(year)}，{place}在册劳模工匠 {total[TOTAL]:,} 人"
              + (f"，其中{named}" if named else "")
              + f"（按各人截至{'年底' if past else '今日'}所获最高级别荣誉计，每人只计一次；"
              f"含退休 {retired:,} 人、转出 {moved:,} 人，不含{'年底前' if past else '已'}去世者）。")
    given = sum(n for _, _, n in awarded)
    by_level = _listed([(_level_name(lv), sum(n for _, level, n in awarded if level == lv))
                        for lv in LEVELS], "项")
    honours = (f"{year} 年名册记录授予荣誉 {given:,} 项" + (f"，其中{by_level}" if by_level else "") + "。"
               if given else f"{year} 年名册中没有授予荣誉的记录。")
    every = [w for kind in waits for w in waits[kind]]
    if every:
        kinds = _listed([(kind, len(waits.get(kind, []))) for kind in _kinds(waits)], "件")
        changes = (f"{span}审核通过变动申请 {len(every):,} 件（{kinds}），从提交到审核通过平均 "
                   f"{statistics.mean(every):.1f} 天，中位等待 {statistics.median(every):.1f} 天。")
    else:
        changes = f"{span}没有审核通过的变动申请。"
    return "\n\n".join([people, honours + changes])


def _kinds(waits: dict[str, list[float]]) -> list[str]:
    return [*CHANGE_KINDS, *sorted(set(waits) - set(CHANGE_KINDS))]


def sections(session: Session, year: int, counties: tuple[str, ...] | None) -> list[ReportSection]:
    """The roster's section for ``year`` within ``counties`` (None: the whole city)."""
    counts = headcount(session, year, counties)
    awarded = honours_awarded(session, year, counties)
    waits = approval_waits(session, year, counties)
    place = "全市" if counties is None else "、".join(county_name(c) for c in counties)

    level_rows = _level_rows(counts, counties)
    who = "各区县" if len(level_rows) > 1 else place
    counted = f"按最高荣誉级别计，每人一次，不含{'年底前' if _ended(year) else '已'}去世者"
    people_title = f"{_as_of_text(year)}{who}在册劳模工匠人数"
    honour_rows = [{"荣誉": name, "级别": level, "人数": n} for name, level, n in awarded]
    if honour_rows:
        honour_rows.append({"荣誉": TOTAL, "级别": "", "人数": sum(r["人数"] for r in honour_rows)})
    every = [w for kind in waits for w in waits[kind]]
    change_rows = [{"变动类型": kind, "件数": len(waits.get(kind, [])),
                    WAIT_AVERAGE: _days(waits.get(kind, []), statistics.mean),
                    WAIT_MEDIAN: _days(waits.get(kind, []), statistics.median)} for kind in _kinds(waits)]
    change_rows.append({"变动类型": TOTAL, "件数": len(every), WAIT_AVERAGE: _days(every, statistics.mean),
                        WAIT_MEDIAN: _days(every, statistics.median)})
    changes_title = f"{year} 年审核通过的变动申请（按类型）"
    return [ReportSection(
        key=KEY, title=TITLE, order=ORDER,
        text=_text(year, place, level_rows, counts, awarded, waits),
        tables=[ReportTable(f"{people_title}（{counted}）", level_rows),
                ReportTable(f"{year} 年授予的荣誉（按荣誉）", honour_rows),
                ReportTable(changes_title, change_rows)],
        charts=[_levels_chart(level_rows, people_title, counted),
                bars([{"变动类型": r["变动类型"], "件数": r["件数"]} for r in change_rows[:-1]],
                     "变动类型", "件数", title=f"{year} 年各类型变动申请审核通过件数",
                     order=_kinds(waits))],
    )]
