"""Roster pages: 人员名册 (search, filters, 50 a page, a person's record) and 导入导出."""

from __future__ import annotations

import streamlit as st

from core.access.auth import display_names
from core.access.permissions import PermissionDenied
from core.data.db import read_session, session_scope
from core.settings import clock
from core.settings.counties import county_name, load_counties, resolve_county
from core.spreadsheet.widgets import export_button, import_panel
from core.ui import can, data_version_now, format_time, keep_list_filters, require
from core.ui.text import literal
from plugins.registry import changes, queries
from plugins.registry.models import Person
from plugins.registry.queries import PAGE_SIZE, PersonFilter, count_people, find_people, honours_of
from plugins.registry.spreadsheet import count_exported_people, count_honours, honour_text
from plugins.registry.vocab import HONOURS, LEVELS, STATUSES, mask_birth, mask_id, mask_phone

ALL = ""
STATUS_DEFAULT = "不含去世"
STATUS_CHOICES = (STATUS_DEFAULT, *STATUSES, "全部")
FILTERS = ("registry_q", "registry_county", "registry_level", "registry_honour", "registry_status",
           "registry_year", "registry_page")
# the query parameters a link may set the filters with (the overview's 查看明细): ?county=330182
# &level=全国&honour=杭州工匠&status=在职&year=2023; ?person=<id> opens that person's record
QUERY_FILTERS = ("county", "level", "honour", "status", "year")
ROW_HEIGHT = 35  # pixels: the table is as tall as its rows, no scroll box inside the page
# pixels, so the nine columns fit a laptop's 1366-pixel screen beside the sidebar (870 in all)
# what the counts of a search read: a write to either changes them
ROSTER_TABLES = frozenset({"registry_person", "registry_honour"})
WIDTHS = {"姓名": 68, "性别": 44, "出生日期": 84, "公民身份号码": 144, "所属区县": 72,
          "工作单位": 118, "荣誉": 180, "人员状态": 72, "联系电话": 90}


def people_page() -> None:
    user = require("registry.view")
    keep_list_filters(FILTERS, "person" in st.query_params, "registry_people")
    if "person" in st.query_params:  # a person's own link, or a row just clicked
        _person_page(user, st.query_params["person"])
        return
    st.title("人员名册")
    _apply_query(user)
    text = st.text_input("搜索", placeholder="姓名、拼音首字母（如 zjg）或身份证号码", key="registry_q")
    c1, c2, c3, c4, c5 = st.columns(5)
    if user.county_code is None:
        county = c1.selectbox("区县", [ALL] + [c.code for c in load_counties()],
                              format_func=lambda c: county_name(c) if c else "全市", key="registry_county")
    else:
        county = c1.selectbox("区县", [user.county_code], format_func=county_name, disabled=True)
    level = c2.selectbox("级别", [ALL, *LEVELS], format_func=lambda v: v or "全部级别", key="registry_level")
    honour = c3.selectbox("荣誉", [ALL, *HONOURS], format_func=lambda v: v or "全部荣誉", key="registry_honour")
    status = c4.selectbox("人员状态", STATUS_CHOICES, key="registry_status")
    year = c5.selectbox("授予年份", _years(), format_func=lambda y: str(y) if y else "全部年份",
                        key="registry_year")
    flt = PersonFilter(
        text=text, counties=(county,) if county else user.visible_counties(), level=level or None,
        honour=honour or None, status=status if status in STATUSES else None, year=year or None,
        include_deceased=status == "全部", viewer=user)
    refused = queries.record_id_search(user, flt, st.session_state.setdefault("registry_id_searches", set()))
    if refused:  # counted and audited; a masked number is never searched around
        st.warning(refused)
        return

    total, honour_count = search_counts(flt, data_version_now(ROSTER_TABLES))
    st.markdown(f"**共 {total} 人**")
    pages = max(1, -(-total // PAGE_SIZE))
    page = st.number_input(f"页码（共 {pages} 页，{total} 人）", 1, pages, 1,
                           key="registry_page") if pages > 1 else 1
    with read_session() as session:
        people = find_people(session, flt, page=page)
        honours = honours_of(session, [p.id for p in people])
    if not people:
        st.info("没有找到符合条件的人员。")
        return
    _export_search(flt, total, honour_count)
    _people_table(people, honours)


@st.cache_data(show_spinner=False, max_entries=500, ttl=3600)
def search_counts(flt: PersonFilter, version: int) -> tuple[int, int]:
    """共 N 人 of a search and the honours its export would hold, kept until the roster changes
    (``version``, read first): both count every match, linear in the answer (a county's 14,000
    people at province scale, the living 192,000: 6–25 ms), and every rerun asked again: a click
    on a row, the next page, a download. ``flt`` keys it with its viewer."""
    with read_session() as session:
        return count_people(session, flt), count_honours(session, None, search=flt)


def _years() -> list[int]:
    return [0, *range(clock.this_year(), 1979, -1)]


def _people_table(people: list[Person], honours) -> None:
    """Every row of the page, as tall as its rows; clicking a row opens that person (the row's
    person becomes ``?person=<id>``, a link of its own)."""
    sensitive = can("registry.view_sensitive")
    rows = [{
        "姓名": p.name, "性别": p.gender, "出生日期": mask_birth(p.birth_date, sensitive),
        "公民身份号码": mask_id(p.id_number), "所属区县": county_name(p.county_code),
        "工作单位": p.employer or "",
        "荣誉": "；".join(honour_text(h.name, h.year_awarded) for h in honours[p.id]),
        "人员状态": p.status, "联系电话": mask_phone(p.phone)} for p in people]
    st.caption("点击一行查看该人员的详细信息")
    event = st.dataframe(
        rows, hide_index=True, width="stretch", row_height=ROW_HEIGHT,
        height=(len(rows) + 1) * ROW_HEIGHT + 3,  # the header and every row: no inner scroll bar
        column_config={name: st.column_config.TextColumn(name, width=w) for name, w in WIDTHS.items()},
        # a click on any cell opens the row's person, as does its round marker on the left
        key="registry_table", on_select="rerun", selection_mode=["single-row", "single-cell"])
    chosen = [*event.selection.rows, *(cell[0] for cell in event.selection.cells)]
    if chosen and 0 <= chosen[0] < len(people):
        st.query_params["person"] = str(people[chosen[0]].id)
        st.rerun()  # the record is shown instead of the list (people_page keeps the filters)


def _apply_query(user) -> None:
    """Set the filters from the link's query parameters, once per link: the user may change
    them afterwards. A value that is no choice of its filter is ignored."""
    wanted = {k: st.query_params.get(k) for k in QUERY_FILTERS}
    signature = tuple(wanted.values())
    if st.session_state.get("registry_query") == signature and "registry_level" in st.session_state:
        return  # applied already, and the filters are on screen with what the user chose since
    st.session_state["registry_query"] = signature
    if not any(signature):
        return
    values = {"registry_q": "", "registry_county": ALL, "registry_level": ALL,
              "registry_honour": ALL, "registry_status": STATUS_DEFAULT, "registry_year": 0}
    county = resolve_county(wanted["county"] or "")
    if county and user.county_code is None:  # a county user's county is fixed
        values["registry_county"] = county
    if wanted["level"] in LEVELS:
        values["registry_level"] = wanted["level"]
    if wanted["honour"] in HONOURS:
        values["registry_honour"] = wanted["honour"]
    if wanted["status"] in STATUS_CHOICES:
        values["registry_status"] = wanted["status"]
    year = (wanted["year"] or "").strip()
    if year.isdigit() and int(year) in _years():
        values["registry_year"] = int(year)
    st.session_state.update(values)
    st.session_state.pop("registry_page", None)  # a new search starts on its first page


def _close_person() -> None:
    st.query_params.pop("person", None)


def _person_page(user, wanted: str) -> None:
    """One person's record at ``?person=<id>``: within the viewer's counties, else a refusal
    that names no one."""
    st.button("← 返回名册", on_click=_close_person, key="registry_back")
    try:
        with read_session() as session:
            person, honours, history, names = person_data(session, user, wanted)
    except PermissionDenied as exc:
        st.title("人员名册")
        st.error(str(exc))
        return
    st.title("人员详情")
    _person_detail(user, person, honours, history, names)


def person_data(session, user, wanted: str):
    """What a person's record shows: the person (PermissionDenied outside the user's counties),
    their honours, every change request about them, newest first, and the display names of
    who submitted and decided them; in one read session."""
    person = queries.visible_person(session, user, wanted)
    history = changes.history_of(session, person.id)
    names = display_names(session, {r.submitted_by for r in history} | {r.decided_by for r in history})
    return person, honours_of(session, [person.id])[person.id], history, names


def _export_search(flt: PersonFilter, total: int, honour_count: int) -> None:
    """Everyone this search finds, on every page, numbers masked (the full roster, with full
    numbers, is the administrators' 导入导出): one row per person, then one per honour."""
    from dataclasses import replace

    from plugins.registry.spreadsheet import ROSTER_MASKED, masked_rows, roster_sheets

    searched = replace(ROSTER_MASKED, title="劳模工匠名册（搜索结果，号码已隐藏）",
                       export_rows=lambda session, counties: masked_rows(session, counties, search=flt),
                       export_sheets=lambda session, counties: roster_sheets(
                           session, counties, search=flt, masked=True))
    export_button(searched, f"导出这 {total} 人（{honour_count} 项荣誉）到 Excel（号码已隐藏）",
                  key=f"export-roster-search-{abs(hash(flt))}")


def _person_detail(user, person: Person, honours, history, names: dict[str, str]) -> None:
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
        st.markdown("**变动记录**")
        if history:
            st.dataframe([{"编号": r.id, "类型": r.kind, "状态": r.state,
                           "提交人": names.get(r.submitted_by, r.submitted_by),
                           "提交时间": format_time(r.submitted_at),
                           "审核人": names.get(r.decided_by, r.decided_by) if r.decided_by else "",
                           "审核时间": format_time(r.decided_at), "意见": r.decision_reason or ""}
                          for r in history], hide_index=True, width="stretch")
        else:
            st.caption("暂无变动记录")


def io_page() -> None:
    user = require("registry.import")
    st.title("名册导入导出")
    st.caption("管理员直接导入各区县的名册表格（首次迁移用）。每一行都检查通过才会写入，否则一行也不写。")
    import_panel("roster")
    st.caption("导出文件有两张工作表：“人员名单”每人一行，荣誉合并在一格；“荣誉明细”每项荣誉一行，"
               "格式与导入相同（导入读取“荣誉明细”）。")
    scope = user.visible_counties()
    with read_session() as session:
        people, honours = count_exported_people(session, scope), count_honours(session, scope)
    export_button("roster", f"导出名册（{people} 人，{honours} 项荣誉）")
