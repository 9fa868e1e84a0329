"""Roster pages: 人员名册 (search, filters, 50 a page, a person's record) and 导入导出."""

from __future__ import annotations

import streamlit as st

from core.data.db import read_session, session_scope
from core.settings import clock
from core.settings.counties import county_name, load_counties
from core.spreadsheet.widgets import export_button, import_panel
from core.ui import can, format_time, require
from core.ui.text import literal
from plugins.registry import changes, queries
from plugins.registry.models import Person
from plugins.registry.queries import PAGE_SIZE, PersonFilter, count_people, find_people, honours_of
from plugins.registry.vocab import HONOURS, LEVELS, STATUSES, mask_birth, mask_id, mask_phone

ALL = ""
STATUS_DEFAULT = "不含去世"


def people_page() -> None:
    user = require("registry.view")
    st.title("人员名册")
    text = st.text_input("搜索", placeholder="姓名、拼音首字母（如 zjg）或身份证号码", key="registry_q")
    c1, c2, c3, c4, c5 = st.columns(5)
    if user.county_code is None:
        county = c1.selectbox("区县", [ALL] + [c.code for c in load_counties()],
                              format_func=lambda c: county_name(c) if c else "全市", key="registry_county")
    else:
        county = c1.selectbox("区县", [user.county_code], format_func=county_name, disabled=True)
    level = c2.selectbox("级别", [ALL, *LEVELS], format_func=lambda v: v or "全部级别", key="registry_level")
    honour = c3.selectbox("荣誉", [ALL, *HONOURS], format_func=lambda v: v or "全部荣誉", key="registry_honour")
    status = c4.selectbox("人员状态", [STATUS_DEFAULT, *STATUSES, "全部"], key="registry_status")
    this_year = clock.this_year()
    year = c5.selectbox("授予年份", [0, *range(this_year, 1979, -1)],
                        format_func=lambda y: str(y) if y else "全部年份", key="registry_year")
    flt = PersonFilter(
        text=text, counties=(county,) if county else user.visible_counties(), level=level or None,
        honour=honour or None, status=status if status in STATUSES else None, year=year or None,
        include_deceased=status == "全部", viewer=user)
    refused = queries.record_id_search(user, flt, st.session_state.setdefault("registry_id_searches", set()))
    if refused:  # counted and audited; a masked number is never searched around
        st.warning(refused)
        return

    with read_session() as session:
        total = count_people(session, flt)
        pages = max(1, -(-total // PAGE_SIZE))
        page = st.number_input(f"页码（共 {pages} 页，{total} 人）", 1, pages, 1, key="registry_page") \
            if pages > 1 else 1
        people = find_people(session, flt, page=page)
        honours = honours_of(session, [p.id for p in people])
    if not people:
        st.info("没有找到符合条件的人员。")
        return
    _export_search(flt, total)
    sensitive = can("registry.view_sensitive")
    st.dataframe([{
        "姓名": p.name, "性别": p.gender, "出生日期": mask_birth(p.birth_date, sensitive),
        "公民身份号码": mask_id(p.id_number), "所属区县": county_name(p.county_code),
        "工作单位": p.employer or "", "荣誉": "、".join(f"{h.name}（{h.year_awarded or '—'}）"
                                                  for h in honours[p.id]),
        "人员状态": p.status, "联系电话": mask_phone(p.phone)} for p in people],
        hide_index=True, width="stretch")
    chosen = st.selectbox("查看人员详情", [0] + [p.id for p in people], key="registry_person",
                          format_func=lambda pid: "—" if not pid else next(
                              f"{p.name}（{mask_id(p.id_number)}）" for p in people if p.id == pid))
    if chosen:
        person = next(p for p in people if p.id == chosen)
        _person_detail(user, person, honours[person.id])


def _export_search(flt: PersonFilter, total: int) -> None:
    """Everyone this search finds, on every page, numbers masked (the full roster, with full
    numbers, is the administrators' 导入导出)."""
    from dataclasses import replace

    from plugins.registry.spreadsheet import ROSTER_MASKED, masked_rows

    searched = replace(ROSTER_MASKED, title="劳模工匠名册（搜索结果，号码已隐藏）",
                       export_rows=lambda session, counties: masked_rows(session, counties, search=flt))
    export_button(searched, f"导出这 {total} 人到 Excel（号码已隐藏）",
                  key=f"export-roster-search-{abs(hash(flt))}")


def _person_detail(user, person: Person, honours) -> None:
    sensitive = can("registry.view_sensitive")
    if sensitive:
        seen = st.session_state.setdefault("registry_seen", set())
        if person.id not in seen:  # reading a full ID number is audited, once per session
            with session_scope(user.actor) as session:
                queries.sensitive_details(session, user, person.id)  # checks the permission, audits
            seen.add(person.id)
    with st.container(border=True):
        st.subheader(literal(person.name))
        st.write(f"**公民身份号码**：{literal(person.id_number if sensitive else mask_id(person.id_number))}　"
                 f"**联系电话**：{literal((person.phone or '') if sensitive else mask_phone(person.phone))}")
        st.write(f"**性别**：{literal(person.gender)}　**出生日期**：{literal(mask_birth(person.birth_date, sensitive))}　"
                 f"**民族**：{literal(person.ethnicity or '—')}　**政治面貌**：{literal(person.political_status or '—')}　"
                 f"**学历**：{literal(person.education or '—')}")
        st.write(f"**工作单位**：{literal(person.employer or '—')}　**职务/工种**：{literal(person.post or '—')}　"
                 f"**行业**：{literal(person.industry or '—')}　**所属区县**：{literal(county_name(person.county_code))}　"
                 f"**人员状态**：{literal(person.status)}" + (f"（{person.death_date}）" if person.death_date else ""))
        st.dataframe([{"荣誉": h.name, "级别": h.level, "授予年份": h.year_awarded or "",
                       "授予单位": h.awarding_body or ""} for h in honours], hide_index=True)
        with read_session() as session:
            history = changes.history_of(session, person.id)
        st.markdown("**变动记录**")
        if history:
            st.dataframe([{"编号": r.id, "类型": r.kind, "状态": r.state, "提交人": r.submitted_by,
                           "提交时间": format_time(r.submitted_at), "审核人": r.decided_by or "",
                           "审核时间": format_time(r.decided_at), "意见": r.decision_reason or ""}
                          for r in history], hide_index=True, width="stretch")
        else:
            st.caption("暂无变动记录")


def io_page() -> None:
    require("registry.import")
    st.title("名册导入导出")
    st.caption("管理员直接导入各区县的名册表格（首次迁移用）。每一行都检查通过才会写入，否则一行也不写。")
    import_panel("roster")
    export_button("roster")
