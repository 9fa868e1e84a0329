"""建设标准: a year's construction standard, the city's default or a county's own: the checklist
by part with its weights and their sum, and the thresholds of the grades.

Administrators edit the city's and any county's; county staff their own county's (and read the
city's); managers and reviewers read. A year without a standard is made by copying the one
before (``standards.copy_to_year``). Query parameters: ``year`` and ``county`` (the scope).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy import select

from core.access.auth import display_names
from core.access.permissions import PermissionDenied
from core.data.db import read_session, session_scope
from core.settings import clock
from core.settings.counties import county_name, load_counties
from core.ui import format_time, page_link, require
from core.ui.messages import PageMessages
from core.ui.text import literal
from plugins.workshops import standards
from plugins.workshops.models import CITY, Standard
from plugins.workshops.queries import StudioError
from plugins.workshops.vocab import EXCELLENT, FAIL, GOOD, PARTS, PASS

MESSAGES = PageMessages("workshops_standard")  # the last save's message; the editor starts from what was saved
COLUMNS = {"part": "部分", "title": "条目", "weight": "分值", "description": "说明", "remove": "删除"}


def _years(session) -> list[int]:
    this = clock.this_year()
    kept = set(session.scalars(select(Standard.year).distinct()))
    return sorted(kept | {this, this + 1}, reverse=True)


def _choose(user, years: list[int]) -> tuple[int, str]:
    """年度 and 范围, first taken from the URL (``?year=2026&county=330182``)."""
    asked = st.query_params
    if "standard_year" not in st.session_state and (asked.get("year") or "").isdigit() \
            and int(asked.get("year")) in years:
        st.session_state["standard_year"] = int(asked.get("year"))
    own = user.county_code
    scopes = [CITY, *(c.code for c in load_counties())] if own is None else [own, CITY]
    if "standard_scope" not in st.session_state and asked.get("county") in scopes:
        st.session_state["standard_scope"] = asked.get("county")
    st.session_state.setdefault("standard_year", clock.this_year())
    a, b = st.columns(2)
    year = a.selectbox("年度", years, format_func=lambda y: f"{y} 年", key="standard_year")
    scope = b.selectbox("范围", scopes, key="standard_scope", format_func=standards.scope_name)
    return year, scope


def standard_page() -> None:
    user = require("workshops.view")
    st.title("建设标准")
    MESSAGES.show()
    with read_session() as session:
        years = _years(session)
    year, scope = _choose(user, years)
    editable = standards.may_edit(user, scope)
    with read_session() as session:
        standard = session.scalar(select(Standard).where(Standard.year == year, Standard.county_code == scope))
        criteria = list(standard.criteria) if standard is not None else []
        source = standards.copy_source(session, year, scope) if standard is None else None
        city = None
        if standard is None and scope != CITY:
            city = session.scalar(select(Standard.id).where(Standard.year == year, Standard.county_code == CITY))
        editor = display_names(session, {standard.updated_by}) if standard is not None else {}
    if standard is None:
        _missing(user, year, scope, source, city is not None, editable)
        return
    _show(standard, criteria, editor)
    if editable:
        _edit(user, standard, criteria)
    else:
        st.caption("您可以查看本标准，修改须由"
                   + ("管理员" if scope == CITY else f"管理员或{county_name(scope)}工作人员") + "进行。")


def _missing(user, year: int, scope: str, source: Standard | None, city_has_one: bool, editable: bool) -> None:
    name = standards.scope_name(scope)
    st.info(f"{year} 年度尚未制定{name}建设标准。")
    if scope != CITY:
        st.caption(f"{name}的工作室按 {year} 年度全市标准评审。" if city_has_one
                   else f"{name}没有自己的标准时，其工作室按全市标准评审。")
    if not editable:
        return
    # after a Chinese verb: a space before a number, none before Chinese
    origin = (f" {source.year} 年度{standards.scope_name(source.county_code)}标准" if source is not None
              else "默认标准")
    st.caption(f"新建的标准将复制{origin}的条目和分数线，之后可以修改。")
    if st.button(f"以上一年度为基础新建 {year} 年度标准", type="primary", key="standard_copy"):
        try:
            with session_scope(user.actor) as session:
                standards.copy_to_year(session, user, year, scope)
        except (StudioError, PermissionDenied) as exc:
            st.error(literal(exc))
            return
        MESSAGES.done(f"已新建 {year} 年度{name}建设标准（复制自{origin}）。")


def _show(standard: Standard, criteria: list, editor: dict[str, str]) -> None:
    st.subheader(literal(standard.title))
    who = editor.get(standard.updated_by, standard.updated_by) if standard.updated_by else ""
    st.caption(f"范围：{standards.scope_name(standard.county_code)}"
               + (f" · 最近修改：{literal(who)}，{format_time(standard.updated_at)}" if who else ""))
    total = sum(c.weight for c in criteria)
    for part in PARTS:
        items = [c for c in criteria if c.part == part]
        if not items:
            continue
        st.markdown(f"**{part}**（{sum(c.weight for c in items):g} 分）")
        st.dataframe([{"条目": c.title, "分值": f"{c.weight:g}", "说明": c.description or ""} for c in items],
                     hide_index=True, width="stretch",
                     column_config={"说明": st.column_config.TextColumn(width="large")})
    st.markdown(f"**满分 {total:g} 分**（各条目分值合计）")
    st.markdown(f"**等次分数线**：{EXCELLENT} ≥ {standard.excellent_min:g} 分，{GOOD} ≥ {standard.good_min:g} 分，"
                f"{PASS} ≥ {standard.pass_min:g} 分，低于 {standard.pass_min:g} 分为{FAIL}")


def _edit(user, standard: Standard, criteria: list) -> None:
    st.subheader("修改标准")
    # the grid's own toolbar (add and delete buttons among its English tooltips) is hidden in every
    # grid (dashboard/style.py): rows are added on the grid's last, empty line, and removed by 删除
    st.caption("在表格中修改条目、分值和说明；在表格最下方的空行中填写可以增加条目；勾选“删除”的条目在保存时删除。"
               "分值须大于 0，分数线须满足 优秀 ＞ 良好 ＞ 合格 ＞ 0，且优秀不高于分值合计。")
    n = MESSAGES.round()
    frame = pd.DataFrame([{"id": c.id, "part": c.part, "title": c.title, "weight": float(c.weight),
                           "description": c.description or "", "remove": False} for c in criteria],
                         columns=["id", *COLUMNS])
    edited = st.data_editor(
        frame, key=f"standard_editor_{standard.id}_{n}", num_rows="dynamic", hide_index=True, width="stretch",
        column_order=list(COLUMNS),
        column_config={
            "part": st.column_config.SelectboxColumn(COLUMNS["part"], options=list(PARTS), required=True),
            "title": st.column_config.TextColumn(COLUMNS["title"], max_chars=standards.MAX_TITLE, required=True),
            "weight": st.column_config.NumberColumn(COLUMNS["weight"], min_value=0.0, step=0.5, format="%g",
                                                    required=True),
            "description": st.column_config.TextColumn(COLUMNS["description"], width="large",
                                                       max_chars=standards.MAX_DESCRIPTION),
            "remove": st.column_config.CheckboxColumn(COLUMNS["remove"], default=False),
        })
    edited = edited[~edited["remove"].astype("boolean").fillna(False).astype(bool)]
    total = float(pd.to_numeric(edited["weight"], errors="coerce").fillna(0).sum())
    st.caption(f"分值合计：{total:g} 分")
    a, b, c = st.columns(3)
    marks = {
        EXCELLENT: a.number_input("优秀分数线", min_value=0.0, value=float(standard.excellent_min), step=0.5,
                                  key=f"standard_excellent_{standard.id}_{n}"),
        GOOD: b.number_input("良好分数线", min_value=0.0, value=float(standard.good_min), step=0.5,
                             key=f"standard_good_{standard.id}_{n}"),
        PASS: c.number_input("合格分数线", min_value=0.0, value=float(standard.pass_min), step=0.5,
                             key=f"standard_pass_{standard.id}_{n}"),
    }
    if st.button("保存标准", type="primary", key="standard_save"):
        rows = [{key: (None if pd.isna(value) else value) for key, value in row.items() if key != "remove"}
                for row in edited.to_dict("records")]
        try:
            with session_scope(user.actor) as session:
                standards.save_standard(session, user, standard.id, rows, marks)
        except (StudioError, PermissionDenied) as exc:
            st.error(literal(exc))
            return
        MESSAGES.done(f"已保存 {literal(standard.title)}：{len(rows)} 个条目，满分 {total:g} 分。")
    page_link("workshops-review", "前往年度评审", icon="📝")
