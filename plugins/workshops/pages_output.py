"""成果统计: the studios' output by county for a year, output over the years, the ranking of
studios by a measure, and the honoured people who came out of studios.

Filters come from the link (``?year=2025&county=330182``) and go back into it when changed.
Every figure is SQL in ``stats`` (GROUP BY), cached per scope until a studio table is written."""

from __future__ import annotations

import streamlit as st

from core.access.permissions import scoped_counties
from core.data.db import read_session
from core.settings import clock
from core.settings.counties import county_name, load_counties, resolve_county
from core.ui import NAV_KEY, data_version_now, page_link, require
from core.ui.text import literal
from plugins.workshops import stats
from plugins.workshops.vocab import HONOUR_LEVELS, OUTPUT_FIELDS

ALL = ""
TABLES = {"workshops_output", "workshops_studio", "workshops_member"}
YEAR, COUNTY = "ws_out_year", "ws_out_county"
MEASURE, LEVEL, PAGE = "ws_out_measure", "ws_out_level", "ws_out_page"
HISTORY_YEARS = 10  # the chart shows the last ten years at most
RANKED = 20


@st.cache_data(show_spinner=False, max_entries=500, ttl=3600)
def _cached(what: str, counties: tuple[str, ...] | None, args: tuple, version: int):
    # ``version`` only keys the cache: a write to a studio table makes a new entry
    with read_session() as session:
        return getattr(stats, what)(session, counties, *args)


def _apply_query(user, years: list[int]) -> None:
    """Set the filters from the link, once per link (the user may change them afterwards); a
    value that is no choice of its filter is ignored."""
    wanted = (st.query_params.get("year"), st.query_params.get("county"), st.query_params.get("level"))
    if st.session_state.get("ws_out_query") == wanted and YEAR in st.session_state:
        return
    st.session_state["ws_out_query"] = wanted
    year = int(wanted[0]) if (wanted[0] or "").isdigit() and int(wanted[0]) in years else clock.this_year()
    st.session_state[YEAR] = year
    county = resolve_county(wanted[1] or "") if wanted[1] else None
    st.session_state[COUNTY] = county if county and user.county_code is None else ALL
    # the overview's 全国级荣誉成员 tile links with level=全国: its people listed
    st.session_state[LEVEL] = wanted[2] if wanted[2] in HONOUR_LEVELS else ALL
    st.session_state[PAGE] = 1


def _to_link() -> None:
    """The chosen filters into the page's link, so it can be shared or bookmarked."""
    st.query_params["year"] = str(st.session_state[YEAR])
    if st.session_state.get(COUNTY):
        st.query_params["county"] = st.session_state[COUNTY]
    else:
        st.query_params.pop("county", None)
    st.session_state["ws_out_query"] = (st.query_params.get("year"), st.query_params.get("county"),
                                        st.query_params.get("level"))
    st.session_state[PAGE] = 1


def _scope_name(counties) -> str:
    return "全市" if counties is None else "、".join(county_name(c) for c in counties)


def output_page() -> None:
    user = require("workshops.view")
    st.title("成果统计")
    own = user.visible_counties()
    version = data_version_now(TABLES)
    this_year = clock.this_year()
    years = sorted({this_year, *_cached("output_years", own, (), version)}, reverse=True)
    _apply_query(user, years)
    left, right = st.columns(2)
    year = left.selectbox("年度", years, key=YEAR, on_change=_to_link, format_func=lambda y: f"{y} 年")
    if user.county_code is None:
        right.selectbox("区县", [ALL] + [c.code for c in load_counties()], key=COUNTY, on_change=_to_link,
                        format_func=lambda c: county_name(c) if c else "全市")
        chosen = st.session_state.get(COUNTY) or None
    else:
        right.selectbox("区县", [user.county_code], format_func=county_name, disabled=True)
        chosen = None
    counties = scoped_counties(user, (chosen,) if chosen else None)
    scope = _scope_name(counties)
    st.caption(f"范围：{literal(scope)}。成果按工作室每年填报或导入的数据统计。")

    _by_county(counties, year, scope, version)
    measure = _history(counties, year, scope, version)
    _ranking(counties, year, measure, version)
    _honoured(counties, scope, version)


def _by_county(counties, year: int, scope: str, version: int) -> None:
    st.subheader(f"{year} 年各区县工作室成果")
    rows = _cached("output_by_county", counties, (year,), version)
    if not rows:
        st.info(f"{literal(scope)} {year} 年还没有填报成果。")
        return
    table = [{"区县": county_name(r["county_code"]), "填报工作室（个）": r["studios"],
              **{label: r[key] for key, label, _ in OUTPUT_FIELDS}} for r in rows]
    if len(rows) > 1:
        table.append({"区县": "合计", "填报工作室（个）": sum(r["studios"] for r in rows),
                      **{label: (round(sum(r[key] for r in rows), 2) if key == "benefit" else sum(r[key] for r in rows))
                         for key, label, _ in OUTPUT_FIELDS}})
    st.dataframe(table, hide_index=True, width="stretch")
    if counties is not None and len(counties) == 1:
        page_link("workshops-list", f"在工作室一览中查看{county_name(counties[0])}的工作室",
                  {"county": counties[0]})


def _history(counties, year: int, scope: str, version: int) -> str:
    """The chart of a measure over the years up to ``year``; returns the measure chosen (the
    ranking uses it too)."""
    st.subheader("历年成果")
    measure = st.selectbox("统计指标（图表和排名）", list(stats.MEASURES), format_func=stats.MEASURES.get,
                           key=MEASURE)
    label, unit = stats.MEASURES[measure], stats.UNITS[measure]
    rows = _cached("output_by_year", counties, (year - HISTORY_YEARS + 1, year), version)
    title = f"{rows[0]['year'] if rows else year}—{year} 年{label}"
    if not rows:
        st.info("所选范围内还没有历年成果。")
        return measure
    data = [{"年度": str(r["year"]), label: _measure_of(r, measure)} for r in rows]
    st.altair_chart(_bars(data, "年度", label, unit, title, f"{scope}，单位：{unit}"), width="stretch")
    return measure


def _measure_of(row: dict, measure: str):
    if measure == stats.PATENTS:
        return row["patents_invention"] + row["patents_utility"] + row["patents_design"]
    return row[measure]


def _bars(data: list[dict], category: str, value: str, unit: str, title: str, subtitle: str):
    import altair as alt
    import pandas as pd

    frame = pd.DataFrame(data)
    upright = {"titleAngle": 0, "titleAlign": "left", "titleBaseline": "bottom", "titleX": 0, "titleY": -6}
    return (alt.Chart(frame, title=alt.TitleParams(title, subtitle=subtitle, anchor="start"))
            .mark_bar(color="#4c78a8")
            .encode(x=alt.X(f"{category}:N", sort=None, axis=alt.Axis(title=category, labelAngle=0)),
                    y=alt.Y(f"{value}:Q", axis=alt.Axis(title=unit, **upright,
                                                         **({} if unit == "万元" else {"format": "d",
                                                                                        "tickMinStep": 1}))),
                    tooltip=[alt.Tooltip(f"{category}:N", title=category),
                             alt.Tooltip(f"{value}:Q", title=f"{value}（{unit}）")])
            .properties(height=260))


def _ranking(counties, year: int, measure: str, version: int) -> None:
    label, unit = stats.MEASURES[measure], stats.UNITS[measure]
    st.subheader(f"{year} 年工作室排名：{label}")
    rows = _cached("ranking", counties, (year, measure, RANKED), version)
    if not rows:
        st.info(f"{year} 年还没有工作室填报{label}。")
        return
    st.caption(f"按{label}从多到少，列出前 {RANKED} 个工作室（数量相同的名次相同）。点击一行打开该工作室的页面。")
    # the figure ranked beside the rank: what a phone shows without scrolling sideways
    event = st.dataframe([{"名次": r["rank"], f"{label}（{unit}）": r["value"], "工作室": r["name"],
                           "区县": county_name(r["county_code"]), "类型": r["kind"], "级别": r["level"]}
                          for r in rows],
                         hide_index=True, width="stretch", key="ws_out_ranking", on_select="rerun",
                         selection_mode=["single-row", "single-cell"])
    _open_studio(event, rows, "studio_id")


def _open_studio(event, rows: list[dict], id_key: str) -> None:
    """A row (or a cell of it) clicked: that studio's page (工作室一览 at ``?studio=<id>``)."""
    chosen = [*event.selection.rows, *(cell[0] for cell in event.selection.cells)]
    page = st.session_state.get(NAV_KEY, {}).get("workshops-list")
    if chosen and 0 <= chosen[0] < len(rows) and page is not None:
        st.switch_page(page, query_params={"studio": str(rows[chosen[0]][id_key])})


def _honoured(counties, scope: str, version: int) -> None:
    st.subheader("工作室走出的荣誉人物")
    counts = _cached("honoured_counts", counties, (), version)
    st.caption(f"{literal(scope)}各工作室的领办人和成员中获得荣誉的人数（按最高荣誉级别，一人只计一次）。")
    columns = st.columns(len(HONOUR_LEVELS))
    for column, level in zip(columns, HONOUR_LEVELS, strict=True):
        column.metric(f"{level}荣誉", f"{counts[level]} 人")
    level = st.selectbox("荣誉级别", [ALL, *HONOUR_LEVELS], key=LEVEL,
                         format_func=lambda v: v or "全部", on_change=lambda: st.session_state.update({PAGE: 1}))
    total = _cached("count_honoured", counties, (level or None,), version)
    if not total:
        st.info("所选范围内的工作室还没有获得荣誉的成员。")
        return
    pages = max(1, -(-total // stats.PAGE_SIZE))
    if st.session_state.get(PAGE, 1) > pages:
        st.session_state[PAGE] = 1
    page = st.number_input(f"页码（共 {pages} 页，{total} 人次）", 1, pages, key=PAGE)
    rows, _ = _cached("honoured_people", counties, (level or None, (page - 1) * stats.PAGE_SIZE, stats.PAGE_SIZE),
                      version)
    st.caption("点击一行打开其所在工作室的页面。")
    event = st.dataframe([{"姓名": r["name"] + ("（已故）" if r["deceased"] else ""), "荣誉": r["honour"] or "",
                           "荣誉级别": r["honour_level"], "工作室": r["studio_name"],
                           "工作室角色": r["role"],
                           "区县": county_name(r["county_code"])}
                          for r in rows], hide_index=True, width="stretch", key="ws_out_people", on_select="rerun",
                         selection_mode=["single-row", "single-cell"])
    _open_studio(event, rows, "studio_id")
