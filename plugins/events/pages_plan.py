"""年度计划: a year's targets and progress per plan line, for the whole city (全市: 市本级 and
every county added up, docs/events.md), 市本级 (the association's own events) or one county;
the targets' editor and the kinds with 新增类型.

Who changes what (plan.may_plan; the services check again): administrators 市本级's and every
county's plan, county staff their county's; everyone else reads. County staff see their county
and 市本级, not the other counties. Query parameters: ``year`` and ``county`` (a county code,
``city`` for 市本级; none for 全市), as the overview's tile and the to-do link them.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy import select

from core.access.permissions import PermissionDenied
from core.data.db import read_session, session_scope
from core.host.charts import COUNTED, OTHER, bars
from core.settings import clock
from core.settings.counties import load_counties
from core.ui import can, require
from core.ui.messages import PageMessages
from core.ui.text import literal
from plugins.events import plan
from plugins.events.models import EventKind, Target
from plugins.events.queries import EventError
from plugins.events.vocab import CATEGORIES, CITY

ALL, CITY_PARAM = "all", "city"  # the scope choices besides county codes: 全市, 市本级
MESSAGES = PageMessages("events_plan")  # the last save's message; the forms start from what was saved
YEAR_KEY, SCOPE_KEY = "events_plan_year", "events_plan_scope"
NEW_LINE = "（新计划项目）"


def scope_label(scope: str) -> str:
    if scope == ALL:
        return "全市（市本级和各区县合计）"
    return plan.scope_name(CITY if scope == CITY_PARAM else scope)


def _years(session) -> list[int]:
    this = clock.this_year()
    kept = set(session.scalars(select(Target.year).distinct()))
    return sorted(kept | set(range(this - 2, this + 2)), reverse=True)


def _scopes(user) -> list[str]:
    if user.county_code is None:
        return [ALL, CITY_PARAM, *(c.code for c in load_counties())]
    return [user.county_code, CITY_PARAM]


def _choose(user, years: list[int]) -> tuple[int, str]:
    """年度 and 范围, first taken from the URL (``?year=2026&county=330182``); a county outside
    the user's scope is ignored."""
    asked = st.query_params
    scopes = _scopes(user)
    if YEAR_KEY not in st.session_state:
        year = asked.get("year") or ""
        st.session_state[YEAR_KEY] = int(year) if year.isdigit() and int(year) in years else clock.this_year()
    if SCOPE_KEY not in st.session_state:
        county = asked.get("county") or ALL
        st.session_state[SCOPE_KEY] = county if county in scopes else scopes[0]
    a, b = st.columns(2)
    year = a.selectbox("年度", years, format_func=lambda y: f"{y} 年", key=YEAR_KEY)
    scope = b.selectbox("范围", scopes, format_func=scope_label, key=SCOPE_KEY)
    return year, scope


def plan_page() -> None:
    user = require("events.view")
    st.title("年度计划", anchor=False)
    MESSAGES.show()
    with read_session() as session:
        years = _years(session)
    year, scope = _choose(user, years)
    county = None if scope == ALL else CITY if scope == CITY_PARAM else scope
    with read_session() as session:
        lines = plan.city_progress(session, year) if county is None else plan.progress(session, year, county)
        parts = plan.by_scope(session, year) if county is None else {}
        goals = plan.targets(session, year, county) if county is not None else {}
        plannable = plan.lines_for(session, county) if county is not None else []
        kinds = _kinds(session, county)
    _progress(year, scope, lines)
    if parts:
        _parts(parts)
    if county is None:
        st.caption("全市数字为市本级和各区县之和：目标相加，已举办和尚在计划的场次也相加。"
                   + ("修改目标请选择市本级或某个区县。" if can("events.plan") else ""))
        return
    if plan.may_plan(user, county):
        _edit_targets(user, year, county, goals, plannable)
    else:
        st.caption("您可以查看本计划，修改须由"
                   + ("管理员" if county == CITY else f"管理员或{plan.scope_name(county)}工作人员") + "进行。")
    _kinds_section(user, county, kinds, plannable)


def _progress(year: int, scope: str, lines: list[plan.PlanLine]) -> None:
    st.subheader(f"{year} 年{scope_label(scope)}计划进度", anchor=False)
    if not lines:
        st.info("该年度尚未设定目标，也没有已举办或计划中的活动。")
        return
    targeted = [p for p in lines if p.target]
    held, target = sum(p.held for p in targeted), sum(p.target for p in targeted)
    a, b = st.columns(2)
    a.metric("已举办（有目标的项目，场）", held)
    b.metric("目标（场）", target)
    # one bar per line, readable on a phone; the chart says what it counts
    for p in lines:
        rest = f"，另有 {p.planned_rest} 场计划在年内举办" if p.planned_rest else ""
        if p.target:
            state = "已完成" if p.held >= p.target else f"尚差 {p.target - p.held} 场"
            st.progress(min(p.held / p.target, 1.0),
                        text=f"{literal(p.line)}：已举办 {p.held} 场 / 目标 {p.target} 场，{state}{rest}")
        else:
            st.caption(f"{literal(p.line)}：已举办 {p.held} 场（未设目标）{rest}")
    chart_rows = [{"计划项目": p.line, "场次": label, "场数": n} for p in lines
                  for label, n in (("已举办", p.held), ("尚在计划", p.planned_rest), ("目标", p.target))]
    st.altair_chart(bars(chart_rows, "计划项目", "场数", title=f"{year} 年各计划项目已举办场数与目标",
                         order=[p.line for p in lines], colour="场次",
                         colour_order=["已举办", "尚在计划", "目标"], grouped=True,
                         palette=[COUNTED, OTHER, "#4c78a8"], horizontal=True), width="stretch")
    st.caption("只计状态为“已举办”且开始时间在该年度内的活动；计划和取消的不计入。"
               "“尚在计划”为该年度今后仍计划举办的场次。")


def _parts(parts: dict[str, list[plan.PlanLine]]) -> None:
    st.subheader("全市数字由以下相加", anchor=False)
    rows = []
    for scope in sorted(parts, key=lambda c: (c != CITY, c)):
        for p in parts[scope]:
            rows.append({"范围": plan.scope_name(scope), "计划项目": p.line, "已举办": p.held,
                         "目标": p.target, "尚在计划": p.planned_rest})
    st.dataframe(rows, hide_index=True, width="stretch")


def _edit_targets(user, year: int, county: str, goals: dict[str, int], lines: list[str]) -> None:
    st.subheader("修改目标", anchor=False)
    n = MESSAGES.round()
    with st.form(f"events_targets_{year}_{county}_{n}"):
        st.caption(f"{year} 年{plan.scope_name(county)}各计划项目至少应举办的场次（0 为不设目标）。")
        values = {line: st.number_input(literal(line), min_value=0, max_value=plan.MAX_TARGET, step=1,
                                        value=int(goals.get(line, 0)), key=f"events_target_{county}_{line}_{n}")
                  for line in lines}
        submitted = st.form_submit_button("保存目标", type="primary")
    if not submitted:
        return
    changed = {line: int(v) for line, v in values.items() if int(v) != int(goals.get(line, 0))}
    if not changed:
        st.info("目标没有变化。")
        return
    try:
        with session_scope(user.actor) as session:
            for line, target in changed.items():
                plan.set_target(session, user, year, county, line, target)
    except (EventError, PermissionDenied) as exc:
        st.error(literal(exc))
        return
    said = "、".join(f"{literal(line)} {t} 场" for line, t in changed.items())
    MESSAGES.done(f"已保存 {year} 年{plan.scope_name(county)}目标：{said}。")


def _kinds(session, county: str | None) -> list[dict]:
    stmt = select(EventKind).order_by(EventKind.county_code, EventKind.position, EventKind.id)
    if county is not None:
        stmt = stmt.where(EventKind.county_code.in_({CITY, county}))
    return [{"类型": k.name, "类别": k.category, "计划项目": k.plan_line, "范围": plan.scope_name(k.county_code),
             "启用": "是" if k.active else "否"} for k in session.scalars(stmt)]


def _kinds_section(user, county: str, kinds: list[dict], lines: list[str]) -> None:
    st.subheader("活动类型", anchor=False)
    st.caption("市本级的类型各区县通用；区县可以增加本区县自己的类型，并指定它计入哪个计划项目。")
    st.dataframe(kinds, hide_index=True, width="stretch")
    if not plan.may_plan(user, county):
        return
    n = MESSAGES.round()
    with st.form(f"events_new_kind_{county}_{n}"):
        st.markdown(f"**新增{plan.scope_name(county)}活动类型**")
        name = st.text_input("类型名称", max_chars=plan.MAX_KIND, key=f"events_kind_name_{n}")
        category = st.selectbox("类别", CATEGORIES, key=f"events_kind_category_{n}")
        line = st.selectbox("计入计划项目", [*lines, NEW_LINE], key=f"events_kind_line_{n}")
        new_line = st.text_input("新计划项目名称（选择“新计划项目”时填写）", max_chars=plan.MAX_LINE,
                                 key=f"events_kind_new_line_{n}")
        submitted = st.form_submit_button("新增类型", type="primary")
    if not submitted:
        return
    chosen = new_line if line == NEW_LINE else line
    try:
        with session_scope(user.actor) as session:
            plan.add_kind(session, user, name, category, chosen, county)
    except (EventError, PermissionDenied) as exc:
        st.error(literal(exc))
        return
    MESSAGES.done(f"已新增{plan.scope_name(county)}活动类型“{literal(name.strip())}”，计入{literal(chosen.strip())}。")
