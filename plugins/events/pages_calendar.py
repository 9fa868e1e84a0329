"""日程: the events of a month as a calendar and a list by day, filtered by county, kind,
series, status and text; the filters come from the link's query parameters and are written
back to them, so the page's link carries what it shows. The list shows 50 events a page with
"共 N 场", each opening 活动详情 (``events-event?event=<id>``). Staff and admins register a
new event (新建活动).

Phones: the calendar is a 7-column table of day numbers and counts alone (it fits 390 px; no
typed text in it, so it can be HTML), and the events themselves are a list by day, one link a
line, rather than a wide table.

Forms clear once submitted: their widgets' keys carry a counter bumped on success, and the
confirmation is kept in ``session_state`` and shown after the rerun.
"""

from __future__ import annotations

import calendar
import datetime as dt

import streamlit as st

from core.access.permissions import PermissionDenied
from core.data.db import read_session, session_scope
from core.settings.counties import county_name, load_counties
from core.ui import can, page_link, require
from core.ui.dates import date_field
from core.ui.messages import PageMessages
from core.ui.text import literal
from plugins.events import events as svc
from plugins.events.queries import EventError, kinds_for, now_wall
from plugins.events.vocab import CITY, STATUSES

ALL = ""
ALL_MONTHS = "all"  # ?month=all: the list over every month, no calendar
PARAMS = ("county", "kind", "series", "status", "month", "q")
# what only a tile's or a to-do's link asks for (no widget of its own): kept until cleared
LINK_PARAMS = ("from", "to", "attendance")
KEYS = {p: f"evc_{p}" for p in PARAMS}
APPLIED = "evc_query"  # the query parameters last put into the filters
MESSAGES = PageMessages("evc")  # 日程 and 活动详情: the last save's message, the forms' round
PAGE = "evc_page"
CREATED = "evc_created"  # the id of the event just registered: a link to it
WEEKDAYS = "一二三四五六日"
TIMES = [f"{h:02d}:{m:02d}" for h in range(6, 23) for m in (0, 30)]
YEARS_BACK, YEARS_FORWARD = 2, 1  # months offered: from January two years ago to next December


def calendar_page() -> None:
    user = require("events.view")
    st.title("日程", anchor=False)
    MESSAGES.show()
    if can("events.edit"):
        _new_event_form(user)
    flt = _filters(user)
    if flt.month:
        _month_grid(user, flt)
    _event_list(user, flt)


# --- filters -----------------------------------------------------------------------------------

def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def month_label(value: str) -> str:
    if value == ALL_MONTHS:
        return "全部月份"
    year, month = svc.parse_month(value) or (0, 0)
    return f"{year}年{month}月"


def _months(wanted: str | None) -> list[str]:
    this = now_wall().year
    months = [month_key(y, m) for y in range(this + YEARS_FORWARD, this - YEARS_BACK - 1, -1)
              for m in range(12, 0, -1)]
    if wanted and wanted not in months and wanted != ALL_MONTHS:
        months.append(wanted)  # a link's month outside the usual range still shows
    return [ALL_MONTHS, *sorted(months, reverse=True)]


def _this_month() -> str:
    now = now_wall()
    return month_key(now.year, now.month)


def _asked() -> tuple[str, ...]:
    return tuple(str(st.query_params.get(p) or "") for p in PARAMS + LINK_PARAMS)


def _link_filters() -> dict[str, str]:
    """The link-only filters the URL carries (``from``, ``to``, ``attendance``)."""
    return {p: str(st.query_params[p]) for p in LINK_PARAMS if st.query_params.get(p)}


def _clear_link_filters() -> None:
    for param in LINK_PARAMS:
        st.query_params.pop(param, None)
    st.session_state.pop(PAGE, None)


def _apply_query(user) -> None:
    """Put the link's query parameters into the filters, once per link (the user may change
    them afterwards); a value that is no choice is ignored. No month is this month."""
    asked = _asked()
    if st.session_state.get(APPLIED) == asked and KEYS["month"] in st.session_state:
        return
    st.session_state[APPLIED] = asked
    flt = svc.filter_from_params(st.query_params, user)
    county = svc.params_of(flt).get("county", ALL)
    month = ALL_MONTHS if st.query_params.get("month") == ALL_MONTHS or (
        not flt.month and _link_filters()) else (month_key(*flt.month) if flt.month else _this_month())
    st.session_state.update({KEYS["county"]: county, KEYS["kind"]: flt.kind or ALL,
                             KEYS["series"]: flt.series or ALL, KEYS["status"]: flt.status or ALL,
                             KEYS["month"]: month, KEYS["q"]: flt.text})
    st.session_state.pop(PAGE, None)  # a new search starts on its first page


def _step_month(step: int) -> None:
    current = svc.parse_month(st.session_state.get(KEYS["month"])) or svc.parse_month(_this_month())
    index = current[0] * 12 + current[1] - 1 + step
    st.session_state[KEYS["month"]] = month_key(index // 12, index % 12 + 1)
    st.session_state.pop(PAGE, None)


def _county_choices(user) -> list[str]:
    own = [user.county_code] if user.county_code else [c.code for c in load_counties()]
    return [ALL, svc.CITY_PARAM, *own]


def _county_label(user):
    def label(value: str) -> str:
        if value == ALL:
            return "全部区县" if user.county_code is None else "本区县和市级活动"
        return "市级活动" if value == svc.CITY_PARAM else county_name(value)

    return label


def _with(options: list[str], wanted: str) -> list[str]:
    """``options`` with ``wanted`` kept in them (a link's series not in the list yet)."""
    return options if not wanted or wanted in options else [*options, wanted]


def _filters(user) -> svc.EventFilter:
    """The filters, drawn from the URL's query parameters and written back to them."""
    _apply_query(user)
    with read_session() as session:
        kinds = list(dict.fromkeys(k.name for k in kinds_for(session, user, include_inactive=True)))
        series = svc.series_names(session, user)
    if st.session_state.get(KEYS["kind"]) not in (ALL, *kinds):  # a link's kind that is no choice
        st.session_state[KEYS["kind"]] = ALL
    active = any(st.session_state.get(KEYS[p]) for p in ("county", "kind", "series", "status"))
    with st.expander("筛选条件（区县、类型、系列、状态）", expanded=active):
        c1, c2 = st.columns(2)
        county = c1.selectbox("区县", _county_choices(user), format_func=_county_label(user), key=KEYS["county"])
        kind = c2.selectbox("类型", [ALL, *kinds], format_func=lambda v: v or "全部类型", key=KEYS["kind"])
        c3, c4 = st.columns(2)
        chosen_series = c3.selectbox("系列", [ALL, *_with(series, st.session_state.get(KEYS["series"]) or "")],
                                     format_func=lambda v: v or "全部系列", key=KEYS["series"])
        status = c4.selectbox("状态", [ALL, *STATUSES], format_func=lambda v: v or "全部状态", key=KEYS["status"])
    chosen = [_county_label(user)(county) if county else "", kind, chosen_series, status]
    if any(chosen):
        st.caption("已筛选：" + literal(" · ".join(c for c in chosen if c)))
    months = _months(st.session_state.get(KEYS["month"]))
    # a row that stays a row on a phone (columns would stack into three lines)
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.button("上月", key="evc_prev", on_click=_step_month, args=(-1,),
                  disabled=st.session_state.get(KEYS["month"]) == ALL_MONTHS)
        month = st.selectbox("月份", months, format_func=month_label, key=KEYS["month"], width=160)
        st.button("下月", key="evc_next", on_click=_step_month, args=(1,), disabled=month == ALL_MONTHS)
    text = st.text_input("搜索", placeholder="活动名称、地点或主办单位", max_chars=50, key=KEYS["q"])
    wanted = {"county": county, "kind": kind, "series": chosen_series, "status": status,
              "month": "" if month == _this_month() else month, "q": " ".join(text.split())}
    for param in PARAMS:  # the URL says what the page shows
        if wanted[param]:
            if st.query_params.get(param) != wanted[param]:
                st.query_params[param] = wanted[param]
        elif param in st.query_params:
            del st.query_params[param]
    link = _link_filters()
    if link:
        flt = svc.filter_from_params({**wanted, "month": month, **link}, user)
        said = []
        if not flt.month and (flt.start is not None or flt.end is not None):
            first = flt.start.date().isoformat() if flt.start else "不限"
            last = (flt.end - dt.timedelta(days=1)).date().isoformat() if flt.end else "不限"
            said.append(f"开始日期 {first} 至 {last}")
        if flt.awaiting_attendance:
            said.append("已结束、尚有人未签到")
        if said:
            with st.container(horizontal=True, vertical_alignment="center"):
                st.caption("按链接筛选：" + "；".join(said))
                st.button("清除", key="evc_clear_link", on_click=_clear_link_filters)
    if st.session_state.get(APPLIED) != _asked():
        st.session_state[APPLIED] = _asked()
        st.session_state.pop(PAGE, None)
    return svc.filter_from_params({**wanted, "month": month, **link}, user)


# --- the month ------------------------------------------------------------------------------------

def month_grid_html(year: int, month: int, counts: dict[int, int], today: dt.date | None) -> str:
    """The month as a 7-column table: each day's number and how many events start on it.
    Numbers only (no typed text), so HTML is safe; narrow enough for a 390-px screen."""
    head = "".join(f"<th>{d}</th>" for d in WEEKDAYS)
    rows = []
    for week in calendar.Calendar(firstweekday=0).monthdayscalendar(year, month):
        cells = []
        for day in week:
            if not day:
                cells.append("<td></td>")
                continue
            mark = " class='jx-today'" if today == dt.date(year, month, day) else ""
            count = counts.get(day, 0)
            badge = f"<div class='jx-n'>{count} 场</div>" if count else "<div class='jx-n'>&nbsp;</div>"
            cells.append(f"<td{mark}><div class='jx-d'>{day}</div>{badge}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    style = ("<style>.jx-cal{width:100%;table-layout:fixed;border-collapse:collapse;font-size:0.85rem}"
             ".jx-cal th,.jx-cal td{border:1px solid rgba(128,128,128,.3);text-align:center;padding:2px}"
             ".jx-cal td .jx-n{color:#c0392b;font-size:0.75rem}.jx-cal td.jx-today{background:rgba(255,200,0,.2)}"
             "</style>")
    return (f"{style}<table class='jx-cal' aria-label='{year}年{month}月日历'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _month_grid(user, flt: svc.EventFilter) -> None:
    year, month = flt.month
    with read_session() as session:
        counts = svc.month_counts(session, user, year, month, flt)
    st.markdown(f"**{year}年{month}月**（本月 {sum(counts.values())} 场，格中为当天开始的活动场数）")
    st.html(month_grid_html(year, month, counts, now_wall().date()))


# --- the list ---------------------------------------------------------------------------------

def when_text(starts: dt.datetime, ends: dt.datetime) -> str:
    """``7月8日 周三 09:00–17:00``, or across days ``7月8日 09:00 至 7月10日 17:00``."""
    if starts.date() == ends.date():
        return f"{starts:%H:%M}–{ends:%H:%M}"
    return f"{starts:%H:%M} 至 {ends.month}月{ends.day}日 {ends:%H:%M}"


def day_text(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日 周{WEEKDAYS[day.weekday()]}"


def row_label(row) -> str:
    """The link to one event: its time and title (Markdown: the title through literal)."""
    return f"{when_text(row.starts_at, row.ends_at)}　**{literal(row.title)}**"


def row_caption(row) -> str:
    """The line under it: kind, county, status and, once people are invited, attendance."""
    people = f" · 出席 {row.present}/{row.invited} 人" if row.invited else ""
    return f"{literal(row.kind)} · {county_name(row.county_code)} · {row.status}{people}"


def _event_list(user, flt: svc.EventFilter) -> None:
    page = st.session_state.get(PAGE) or 1
    with read_session() as session:
        rows, total = svc.list_events(session, user, flt, (page - 1) * svc.PAGE_SIZE, svc.PAGE_SIZE)
        pages = max(1, -(-total // svc.PAGE_SIZE))
        if page > pages:  # the list shrank under the page number: its first page
            st.session_state.pop(PAGE, None)
            rows, total = svc.list_events(session, user, flt, 0, svc.PAGE_SIZE)
    st.markdown(f"**共 {total} 场**")
    if pages > 1:
        st.number_input(f"页码（共 {pages} 页，每页 {svc.PAGE_SIZE} 场）", 1, pages, 1, key=PAGE)
    if not rows:
        st.info("没有找到符合条件的活动。")
        return
    st.caption("点击活动查看详情")
    day = None
    for row in rows:  # a list by day: one line an event, readable on a phone
        if row.starts_at.date() != day:
            day = row.starts_at.date()
            st.markdown(f"**{day_text(day)}**")
        page_link("events-event", row_label(row), {"event": str(row.id)})
        st.caption(row_caption(row))


# --- 新建活动 -----------------------------------------------------------------------------------

def event_fields(session, user, key: str, values: dict | None = None) -> dict | None:
    """The fields of an event (inside a form), filled with ``values``; what they hold as
    create_event's/update_event's keywords, or None when a date is not one (the field says
    why). A new event's kind (and an admin's county) start unchosen."""
    v = values or {}
    kinds = list(dict.fromkeys(k.name for k in kinds_for(session, user)))
    if v.get("kind") and v["kind"] not in kinds:
        kinds.append(v["kind"])
    title = st.text_input("活动名称", value=v.get("title", ""), max_chars=svc.MAX_TEXT, key=f"{key}_title")
    c1, c2 = st.columns(2)
    kind = c1.selectbox("类型", kinds, index=kinds.index(v["kind"]) if v.get("kind") in kinds else None,
                        placeholder="请选择", key=f"{key}_kind")
    if user.county_code is None:
        codes = [CITY, *(c.code for c in load_counties())]
        current = v.get("county_code")
        county = c2.selectbox("所属区县", codes, index=codes.index(current) if current in codes else None,
                              format_func=lambda c: "全市（市级活动）" if c == CITY else county_name(c),
                              placeholder="请选择", key=f"{key}_county")
    else:
        county = c2.selectbox("所属区县", [user.county_code], format_func=county_name, disabled=True,
                              key=f"{key}_county")
    organiser = st.text_input("主办单位", value=v.get("organiser", ""), max_chars=svc.MAX_TEXT,
                              key=f"{key}_organiser")
    place = st.text_input("地点", value=v.get("place", ""), max_chars=svc.MAX_TEXT, key=f"{key}_place")
    starts, ends = v.get("starts_at"), v.get("ends_at")
    c3, c4, c5 = st.columns([2, 1, 1])
    day = date_field("日期", value=starts.date() if starts else None, key=f"{key}_day", container=c3)
    start_time = c4.selectbox("开始", TIMES, index=_time_index(starts, "09:00"), key=f"{key}_start")
    end_time = c5.selectbox("结束", TIMES, index=_time_index(ends, "11:30"), key=f"{key}_end")
    last_day = date_field("结束日期（跨天的活动填写）",
                          value=ends.date() if ends and starts and ends.date() != starts.date() else None,
                          key=f"{key}_last_day")
    c6, c7 = st.columns(2)
    capacity = c6.number_input("名额（可不填）", min_value=1, max_value=svc.MAX_CAPACITY, step=1,
                               value=v.get("capacity"), key=f"{key}_capacity")
    hours = c7.number_input("课时（可不填）", min_value=0.5, max_value=svc.MAX_CLASS_HOURS, step=0.5,
                            value=v.get("class_hours"), format="%.1f", key=f"{key}_hours")
    series = st.text_input("系列（可不填）", value=v.get("series") or "", max_chars=svc.MAX_SERIES,
                           placeholder="如 926工匠日 2026", key=f"{key}_series")
    summary = st.text_area("活动小结（可不填）", value=v.get("summary") or "", max_chars=svc.MAX_SUMMARY,
                           key=f"{key}_summary")
    starts_at = _at(day, start_time)
    ends_at = _at(last_day or day, end_time)
    return {"kind": kind, "title": title, "organiser": organiser, "county_code": county, "place": place,
            "starts_at": starts_at, "ends_at": ends_at, "capacity": capacity, "class_hours": hours,
            "series": series, "summary": summary}


def _time_index(moment: dt.datetime | None, default: str) -> int:
    wanted = f"{moment:%H:%M}" if moment else default
    return TIMES.index(wanted) if wanted in TIMES else TIMES.index(default)


def _at(day: dt.date | None, time: str) -> dt.datetime | None:
    if day is None:
        return None
    hour, minute = map(int, time.split(":"))
    return dt.datetime(day.year, day.month, day.day, hour, minute)


def _new_event_form(user) -> None:
    n = MESSAGES.round()
    created = st.session_state.get(CREATED)
    if created:
        page_link("events-event", "打开刚登记的活动", {"event": str(created)}, icon="🎫")
    with st.expander("新建活动"), st.form(f"evc_new_{n}"):
        with read_session() as session:
            values = event_fields(session, user, f"evc_new_{n}")
        if st.form_submit_button("登记"):
            try:
                with session_scope(user.actor) as session:
                    event = svc.create_event(session, user, **values)
                    title, county, day, eid = event.title, event.county_code, event.starts_at, event.id
            except (EventError, PermissionDenied) as exc:
                st.error(literal(exc))
                return
            st.session_state[CREATED] = eid
            MESSAGES.done(f"已登记活动“{literal(title)}”（{county_name(county)}，{day_text(day.date())}）。")
