"""参与统计: participation per county and per person for a year, and the living roster people
nobody invited in the last two years. Every figure is SQL in ``stats``; the lists come 50 at a
time. Filters come from the link (``?year=2025&county=330182``) and go back into it.

At the top, the overview's three participation tiles (出勤率, 参与人数, 名册参与率) for the same
year and county, computed by the tiles' own functions: each tile's 查看明细 opens this page, which
must show the figure the tile counted."""

from __future__ import annotations

import streamlit as st

from core.data.db import read_session
from core.host.charts import bars
from core.host.metrics import MetricContext
from core.host.people import display_names, people_available
from core.settings import clock
from core.settings.counties import county_name, county_names, load_counties, resolve_county
from core.ui import data_version_now, require
from core.ui.text import literal
from plugins.events import metrics, stats
from plugins.events.queries import counties_of
from plugins.events.vocab import NOT_INVITED_YEARS

ALL = ""
YEAR, COUNTY = "ev_part_year", "ev_part_county"
PEOPLE_PAGE, NOT_INVITED_PAGE = "ev_part_people_page", "ev_part_never_page"
YEARS_BACK = 5  # the years offered: this one and the four before
PEOPLE_TABLES = frozenset({"events_event", "events_participant"})


@st.cache_data(show_spinner=False, max_entries=200, ttl=3600)
def _people(_user, scope, year: int, county: str | None, offset: int, version: int):
    """A page of ``stats.person_participation`` and the total, kept until an event or an
    invitation changes (``version``): the whole city's year groups every invitation by person,
    about 0.4 s (docs/performance.md), and every rerun of the page asked again. ``scope`` (the
    user's counties) keys it with the filters; ``_user`` is not hashed."""
    with read_session() as session:
        rows, total = stats.person_participation(session, _user, year, county, offset)
    return [dict(row) for row in rows], total


def _event_county(code: str, names: dict[str, str]) -> str:
    """Whose events a county row counts: a county's, or the city's own ("" → 市级活动)."""
    return names.get(code, code) if code else "市级活动"


def _apply_query(user, years: list[int]) -> None:
    """The filters from the link, once per link (the user may change them afterwards); a value
    that is no choice of its filter is ignored."""
    wanted = (st.query_params.get("year"), st.query_params.get("county"))
    if st.session_state.get("ev_part_query") == wanted and YEAR in st.session_state:
        return
    st.session_state["ev_part_query"] = wanted
    year = wanted[0] or ""
    st.session_state[YEAR] = int(year) if year.isdigit() and int(year) in years else years[0]
    county = resolve_county(wanted[1]) if wanted[1] else None
    st.session_state[COUNTY] = county if county and user.county_code is None else ALL
    st.session_state[PEOPLE_PAGE] = st.session_state[NOT_INVITED_PAGE] = 1


def _to_link() -> None:
    """The chosen filters into the page's link, so it can be shared or bookmarked."""
    st.query_params["year"] = str(st.session_state[YEAR])
    if st.session_state.get(COUNTY):
        st.query_params["county"] = st.session_state[COUNTY]
    else:
        st.query_params.pop("county", None)
    st.session_state["ev_part_query"] = (st.query_params.get("year"), st.query_params.get("county"))
    st.session_state[PEOPLE_PAGE] = st.session_state[NOT_INVITED_PAGE] = 1


def participation_page() -> None:
    user = require("events.view")
    st.title("参与统计", anchor=False)
    this_year = clock.this_year()
    years = list(range(this_year, this_year - YEARS_BACK, -1))
    _apply_query(user, years)
    left, right = st.columns(2)
    year = left.selectbox("年度", years, key=YEAR, on_change=_to_link, format_func=lambda y: f"{y} 年")
    if user.county_code is None:
        right.selectbox("区县", [ALL] + [c.code for c in load_counties()], key=COUNTY, on_change=_to_link,
                        format_func=lambda c: county_name(c) if c else "全市")
        county = st.session_state.get(COUNTY) or None
    else:
        right.selectbox("区县", [user.county_code], format_func=county_name, disabled=True)
        county = None
    scope = county_name(county or user.county_code)
    st.caption(f"范围：{literal(scope)}。取消的活动不计入。")
    with read_session() as session:
        _summary(session, user, year, county)
        _by_county(session, user, year, county)
        _by_person(session, user, year, county, scope)
        _not_invited(session, user, county, scope)


SUMMARY = (("出勤率", metrics.attendance_rate), ("参与人数", metrics.participants),
           ("名册参与率", metrics.roster_share))


def _summary(session, user, year: int, county: str | None) -> None:
    """The overview's participation tiles for this year and county (a county's staff: theirs)."""
    ctx = MetricContext(session=session, counties=(county,) if county else user.visible_counties(), year=year)
    for column, (label, compute) in zip(st.columns(len(SUMMARY)), SUMMARY, strict=True):
        result = compute(ctx)
        column.metric(label, result.value, help=result.help)
        if result.caption:
            column.caption(result.caption)


def _by_county(session, user, year: int, county: str | None) -> None:
    st.subheader(f"{year} 年各区县活动参与情况", anchor=False)
    rows = stats.county_participation(session, user, year)
    if county:
        rows = [r for r in rows if r["county_code"] == county]
    if not rows:
        st.info(f"{year} 年还没有已举办的活动。")
        return
    names = county_names()
    st.caption("按举办活动的区县统计已举办的活动：邀请人次、出席人次和出勤率（出席人次 ÷ 邀请人次）。")
    # the rate beside the name: what a phone shows without scrolling sideways
    st.dataframe([{"举办单位": _event_county(r["county_code"], names),
                   "出勤率": "" if r["rate"] is None else f"{r['rate']:.0%}",
                   "举办场次": r["events"], "邀请人次": r["invited"], "出席人次": r["present"]} for r in rows],
                 hide_index=True, width="stretch")
    if len(rows) > 1:
        chart = [{"举办单位": _event_county(r["county_code"], names), "出席人次": r["present"]} for r in rows]
        st.altair_chart(bars(chart, "举办单位", "出席人次", title=f"{year} 年已举办活动的出席人次", horizontal=True),
                        width="stretch")


def _pager(key: str, total: int, unit: str) -> int:
    """The page number chosen (1-based) for ``total`` rows, PAGE_SIZE a page."""
    pages = max(1, -(-total // stats.PAGE_SIZE))
    if st.session_state.get(key, 1) > pages:
        st.session_state[key] = 1
    if pages == 1:
        return 1
    return int(st.number_input(f"页码（共 {pages} 页，{total} {unit}）", 1, pages, key=key))


def _by_person(session, user, year: int, county: str | None, scope: str) -> None:
    st.subheader(f"{year} 年人员参与情况", anchor=False)
    version, scope_key = data_version_now(PEOPLE_TABLES), counties_of(user)
    _, total = _people(user, scope_key, year, county, 0, version)
    if not total:
        st.info(f"{literal(scope)} {year} 年还没有名册人员受邀参加活动。")
        return
    st.caption(f"共 {total} 人受邀。按出席次数从多到少，每页 {stats.PAGE_SIZE} 人；课时为出席活动的课时之和。")
    page = _pager(PEOPLE_PAGE, total, "人")
    rows, _ = _people(user, scope_key, year, county, (page - 1) * stats.PAGE_SIZE, version)
    shown = display_names(session, user, [(r["person_id"], r["name"]) for r in rows])
    names = county_names()
    st.dataframe([{"姓名": name, "出席（次）": r["present"], "受邀（次）": r["invited"],
                   "课时": round(float(r["hours"] or 0), 1),
                   "最近出席": r["last_at"].strftime("%Y-%m-%d") if r["last_at"] else "",
                   "区县": names.get(r["county_code"], r["county_code"])}
                  for name, r in zip(shown, rows, strict=True)], hide_index=True, width="stretch")


def _not_invited(session, user, county: str | None, scope: str) -> None:
    st.subheader(f"近 {NOT_INVITED_YEARS} 年未受邀的名册人员", anchor=False)
    if not people_available():
        st.info("人员名册未启用，无法列出未受邀的人员。")
        return
    first = stats.never_invited(session, user, county, limit=0)
    if not first.total:
        st.info(f"{literal(scope)}的在册人员近 {NOT_INVITED_YEARS} 年都受邀参加过活动。")
        return
    st.caption(f"{literal(scope)}共 {first.total} 位在册人员（不含已故）自 "
               f"{stats.cut_off():%Y-%m-%d} 以来没有受邀参加任何活动（取消的活动不算）。"
               f"按区县、姓名排列，每页 {stats.PAGE_SIZE} 人。")
    page = _pager(NOT_INVITED_PAGE, first.total, "人")
    people = stats.never_invited(session, user, county, (page - 1) * stats.PAGE_SIZE).people
    names = county_names()
    st.dataframe([{"姓名": p.name, "最高荣誉": p.honour or "", "区县": names.get(p.county_code, p.county_code),
                   "工作单位": p.employer} for p in people], hide_index=True, width="stretch")
