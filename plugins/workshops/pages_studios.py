"""工作室一览: the studios with filters taken from and written to the URL, 50 a page, each row
opening its studio's own page (``?studio=<id>``), and the 新建工作室 form; a studio's page:
its record, status history, leader (with the 需更换领办人 warning), members, funding, output
over the years, reviews, and what an editor may change.

Forms clear once submitted: their widgets' keys carry a counter bumped on success, and the
confirmation is kept in ``session_state`` and shown after the rerun.
"""

from __future__ import annotations

from types import SimpleNamespace

import streamlit as st

from core.access.auth import display_names as user_names
from core.access.permissions import PermissionDenied
from core.data.db import read_session, session_scope
from core.host.people import display_names
from core.settings import clock
from core.settings.counties import county_name, load_counties
from core.ui import NAV_KEY, can, format_time, keep_list_filters, page_link, require
from core.ui.dates import date_field
from core.ui.messages import PageMessages
from core.ui.people import people_picker, person_picker
from core.ui.text import literal
from plugins.workshops import studios as svc
from plugins.workshops.queries import NOT_FOUND, StudioError
from plugins.workshops.vocab import (
    ACTIVE,
    KINDS,
    LEADER,
    LEVELS,
    NEEDS_NEW_LEADER,
    OUTPUT_LABELS,
    REMOVED,
    STATUSES,
)

ALL = ""
PARAMS = ("county", "kind", "level", "status", "grade", "year", "flag", "q")
KEYS = {p: f"ws_{p}" for p in PARAMS}
FLAG_KEYS = {svc.FLAG_LEADER: "ws_flag_leader", svc.FLAG_REMOVAL: "ws_flag_removal"}
APPLIED = "ws_query"  # the query parameters last put into the filters
MESSAGES = PageMessages("ws")  # the last change's confirmation; every form starts empty after it
PAGE = "ws_page"
ROSTER_PAGE = "registry-people"  # a member's record, when the roster is on and the reader may see it
ROW_HEIGHT = 35
CHART_MEASURES = (("专利", ("patents_invention", "patents_utility", "patents_design")),
                  ("技术革新", ("innovations",)), ("合理化建议", ("proposals_adopted",)),
                  ("带徒", ("apprentices",)), ("获奖", ("awards",)))


def _years() -> list[int]:
    return list(range(clock.this_year(), svc.FIRST_YEAR - 1, -1))


def studios_page() -> None:
    user = require("workshops.view")
    keep_list_filters((*KEYS.values(), *FLAG_KEYS.values(), PAGE), "studio" in st.query_params,
                      "workshops_studios")
    if "studio" in st.query_params:  # a studio's own link, or a row just clicked
        _studio_page(user, st.query_params["studio"])
        return
    st.title("工作室一览")
    MESSAGES.show()
    if can("workshops.edit"):
        _new_studio_form(user)
    flt = _filters(user)
    _studio_list(user, flt)


# --- the list ---------------------------------------------------------------------------------

def _asked() -> tuple[str, ...]:
    return tuple(str(st.query_params.get(p) or "") for p in PARAMS)


def _apply_query(user) -> None:
    """Put the link's query parameters into the filters, once per link (the user may change
    them afterwards); a value that is no choice is ignored."""
    asked = _asked()
    if st.session_state.get(APPLIED) == asked and KEYS["kind"] in st.session_state:
        return
    st.session_state[APPLIED] = asked
    flt = svc.filter_from_params(st.query_params, user)
    single = flt.counties[0] if flt.counties and len(flt.counties) == 1 else ALL
    st.session_state.update({
        KEYS["county"]: single if user.county_code is None else user.county_code,
        KEYS["kind"]: flt.kind or ALL, KEYS["level"]: flt.level or ALL, KEYS["status"]: flt.status or ALL,
        KEYS["grade"]: flt.grade or ALL, KEYS["year"]: flt.review_year, KEYS["q"]: flt.text,
        FLAG_KEYS[svc.FLAG_LEADER]: flt.flag == svc.FLAG_LEADER,
        FLAG_KEYS[svc.FLAG_REMOVAL]: flt.flag == svc.FLAG_REMOVAL})
    st.session_state.pop(PAGE, None)  # a new search starts on its first page


def _only(flag: str) -> None:
    """The two flags are one choice: checking one unchecks the other."""
    if st.session_state.get(FLAG_KEYS[flag]):
        for other, key in FLAG_KEYS.items():
            if other != flag:
                st.session_state[key] = False


def _filters(user) -> svc.StudioFilter:
    """The filters, drawn from the URL's query parameters and written back to them, so the
    page's link carries what it shows."""
    _apply_query(user)
    text = st.text_input("搜索", placeholder="工作室名称、依托单位或领办人姓名", max_chars=50, key=KEYS["q"])
    c1, c2, c3 = st.columns(3)
    if user.county_code is None:
        county = c1.selectbox("区县", [ALL] + [c.code for c in load_counties()],
                              format_func=lambda c: county_name(c) if c else "全市", key=KEYS["county"])
    else:
        county = c1.selectbox("区县", [user.county_code], format_func=county_name, disabled=True,
                              key=KEYS["county"])
    kind = c2.selectbox("类型", [ALL, *KINDS], format_func=lambda v: v or "全部类型", key=KEYS["kind"])
    level = c3.selectbox("级别", [ALL, *LEVELS], format_func=lambda v: v or "全部级别", key=KEYS["level"])
    c4, c5, c6 = st.columns(3)
    status = c4.selectbox("状态", [ALL, *svc.STATUS_CHOICES], format_func=lambda v: v or "在册（不含摘牌）",
                          key=KEYS["status"])
    year = c5.selectbox("评审年度", _years(), format_func=lambda y: f"{y} 年", key=KEYS["year"])
    grade = c6.selectbox("评审等次", [ALL, *svc.GRADE_CHOICES], format_func=lambda v: v or "全部等次",
                         key=KEYS["grade"])
    c7, c8 = st.columns(2)
    leader = c7.checkbox(svc.FLAGS[svc.FLAG_LEADER], key=FLAG_KEYS[svc.FLAG_LEADER],
                         on_change=_only, args=(svc.FLAG_LEADER,))
    removal = c8.checkbox(svc.FLAGS[svc.FLAG_REMOVAL], key=FLAG_KEYS[svc.FLAG_REMOVAL],
                          on_change=_only, args=(svc.FLAG_REMOVAL,))
    flag = svc.FLAG_LEADER if leader else svc.FLAG_REMOVAL if removal else None
    wanted = {"county": county if user.county_code is None else "", "kind": kind, "level": level,
              "status": status, "grade": grade, "year": "" if year == clock.this_year() else str(year),
              "flag": flag or "", "q": " ".join(text.split())}
    for param in PARAMS:  # the URL says what the page shows
        if wanted[param]:
            if st.query_params.get(param) != wanted[param]:
                st.query_params[param] = wanted[param]
        elif param in st.query_params:
            del st.query_params[param]
    if st.session_state.get(APPLIED) != _asked():
        st.session_state[APPLIED] = _asked()
        st.session_state.pop(PAGE, None)
    return svc.filter_from_params(wanted, user)


def _studio_list(user, flt: svc.StudioFilter) -> None:
    page = st.session_state.get(PAGE) or 1
    with read_session() as session:
        rows, total = svc.list_studios(session, user, flt, (page - 1) * svc.PAGE_SIZE, svc.PAGE_SIZE)
        pages = max(1, -(-total // svc.PAGE_SIZE))
        if page > pages:  # the list shrank under the page number: its first page
            st.session_state.pop(PAGE, None)
            rows, total = svc.list_studios(session, user, flt, 0, svc.PAGE_SIZE)
        st.markdown(f"**共 {total} 家**")
        if pages > 1:
            st.number_input(f"页码（共 {pages} 页）", 1, pages, 1, key=PAGE)
        leaders = display_names(session, user, [(r["leader_id"], r["leader_name"] or "") for r in rows])
    if not rows:
        st.info("没有找到符合条件的工作室。")
        return
    grade_title = f"{flt.review_year}年等次"
    table = [{"工作室名称": r["name"], "类型": r["kind"], "级别": r["level"],
              "所属区县": county_name(r["county_code"]), "依托单位": r["host_employer"],
              "领办人": leader or "", "成员数": r["members"], "状态": r["status"],
              grade_title: r["grade"] or "未评审",
              "提示": NEEDS_NEW_LEADER if r["needs_new_leader"] else ""}
             for r, leader in zip(rows, leaders, strict=True)]
    st.caption("点击一行查看该工作室的详细信息")
    event = st.dataframe(table, hide_index=True, width="stretch", row_height=ROW_HEIGHT,
                         height=(len(table) + 1) * ROW_HEIGHT + 3, key="ws_table", on_select="rerun",
                         selection_mode=["single-row", "single-cell"])
    chosen = [*event.selection.rows, *(cell[0] for cell in event.selection.cells)]
    if chosen and 0 <= chosen[0] < len(rows):
        st.query_params["studio"] = str(rows[chosen[0]]["id"])
        st.rerun()


def _studio_fields(user, key: str, values: dict | None = None) -> dict:
    """The fields of a studio's record (inside a form), filled with ``values``."""
    v = values or {}
    name = st.text_input("工作室名称", value=v.get("name", ""), max_chars=svc.MAX_NAME, key=f"{key}_name")
    c1, c2 = st.columns(2)
    # a new studio's kind and level start unchosen: a default left unnoticed made studios 国家级
    kind = c1.selectbox("类型", KINDS, index=KINDS.index(v["kind"]) if v.get("kind") in KINDS else None,
                        placeholder="请选择", key=f"{key}_kind")
    level = c2.selectbox("级别", LEVELS, index=LEVELS.index(v["level"]) if v.get("level") in LEVELS else None,
                         placeholder="请选择", key=f"{key}_level")
    employer = st.text_input("依托单位", value=v.get("host_employer", ""), max_chars=100, key=f"{key}_employer")
    codes = [c.code for c in load_counties()] if user.county_code is None else [user.county_code]
    current = v.get("county_code") or codes[0]
    c3, c4, c5 = st.columns(3)
    county = c3.selectbox("所属区县", codes, format_func=county_name,
                          index=codes.index(current) if current in codes else 0,
                          disabled=user.county_code is not None, key=f"{key}_county")
    years = _years()
    named = c4.selectbox("命名年份", years, index=years.index(v["named_year"]) if v.get("named_year") in years else 0,
                         format_func=lambda y: f"{y} 年", key=f"{key}_year")
    doc = c5.text_input("命名文号", value=v.get("named_doc") or "", max_chars=svc.MAX_DOC, key=f"{key}_doc")
    return {"name": name, "kind": kind, "level": level, "host_employer": employer, "county_code": county,
            "named_year": named, "named_doc": doc}


def _new_studio_form(user) -> None:
    n = MESSAGES.round()
    with st.expander("新建工作室"), st.form(f"ws_new_{n}"):
        values = _studio_fields(user, f"ws_new_{n}")
        if st.form_submit_button("创建"):
            try:
                with session_scope(user.actor) as session:
                    studio = svc.create_studio(session, user, values)
                    name = studio.name
            except (StudioError, PermissionDenied) as exc:
                st.error(literal(exc))
                return
            MESSAGES.done(f"已创建工作室“{literal(name)}”（{county_name(values['county_code'])}）。")


# --- one studio -----------------------------------------------------------------------------

def _close_studio() -> None:
    st.query_params.pop("studio", None)


def _studio_page(user, wanted: str) -> None:
    """One studio at ``?studio=<id>``: within the viewer's counties, else a refusal that names
    nothing."""
    st.button("← 返回工作室一览", on_click=_close_studio, key="ws_back")
    try:
        studio_id = int(str(wanted).strip())
        with read_session() as session:
            record = svc.studio_record(session, user, studio_id)
            people = [(m["person_id"], m["name"]) for m in record.members]
            s = record.studio
            names = display_names(session, user, [(s["leader_id"], s["leader_name"] or ""), *people])
            # reviewers and the status changes' handlers by their names, not their usernames
            reviewers = user_names(session, {r["reviewer"] for r in record.reviews} | {c["by"] for c in record.statuses})
    except (StudioError, PermissionDenied, ValueError, OverflowError):
        st.title("工作室一览")
        st.error(NOT_FOUND)
        return
    st.title("工作室详情")
    MESSAGES.show()
    _record(record, names[0])
    _members(record, names[1:])
    _funding(record)
    _output(record)
    _reviews(record, reviewers)
    # to 年度评审 only while this year's review is still to do there (running, not yet reviewed)
    if record.studio["status"] == ACTIVE and can("workshops.review") \
            and all(r["year"] != clock.this_year() for r in record.reviews):
        page_link("workshops-review", "前往年度评审，为该工作室评分", {"studio": str(studio_id)}, icon="📝")
    _status_history(record, reviewers)
    if can("workshops.edit"):
        _actions(user, record)


def _line(pairs: list[tuple[str, object]]) -> str:
    return "　".join(f"**{label}**：{literal(value if value not in (None, '') else '—')}" for label, value in pairs)


def _record(record: svc.StudioRecord, leader: str) -> None:
    s = record.studio
    with st.container(border=True):
        st.subheader(literal(s["name"]))
        st.markdown(_line([("类型", s["kind"]), ("级别", s["level"]), ("所属区县", county_name(s["county_code"]))]))
        st.markdown(_line([("依托单位", s["host_employer"]), ("命名年份", f"{s['named_year']} 年"),
                           ("命名文号", s["named_doc"])]))
        status = s["status"] + (f"（{s['status_since'].isoformat()} 起）" if s["status_since"] else "")
        st.markdown(_line([("状态", status), ("变更原因", s["status_reason"])])
                    if s["status_reason"] else _line([("状态", status)]))
        st.markdown(_line([("领办人", leader or "未设置")]))
        if s["needs_new_leader"]:
            st.warning(f"{NEEDS_NEW_LEADER}：{literal(s['leader_issue'] or '领办人已变动')}")


def _members(record: svc.StudioRecord, names: list[str]) -> None:
    """Members with their live names; a person on the roster links to their record there when
    the reader may open 人员名册 (relative to this page: ``registry-people?person=<id>``)."""
    st.markdown("**成员**")
    if not record.members:
        st.caption("暂无成员")
        return
    roster = ROSTER_PAGE in st.session_state.get(NAV_KEY, {})
    rows = [{"姓名": name, "角色": m["role"], "最高荣誉": m["honour"] or "", "荣誉级别": m["honour_level"] or "",
             "加入年份": m["joined_year"] or "", "状态": "已故" if m["deceased"] else ""}
            for m, name in zip(record.members, names, strict=True)]
    config = {}
    if roster:
        for row, m in zip(rows, record.members, strict=True):
            row["名册"] = f"{ROSTER_PAGE}?person={m['person_id']}" if m["person_id"] is not None else None
        config["名册"] = st.column_config.LinkColumn("名册", display_text="查看名册")
    st.dataframe(rows, hide_index=True, width="stretch", column_config=config, row_height=ROW_HEIGHT,
                 height=(len(rows) + 1) * ROW_HEIGHT + 3)  # every member, no scroll box inside the page


def _funding(record: svc.StudioRecord) -> None:
    st.markdown("**补助资金**")
    if not record.funding:
        st.caption("暂无补助资金记录")
        return
    total = sum(f["amount"] for f in record.funding)
    st.dataframe([{"年度": f["year"], "金额（万元）": f["amount"], "说明": f["note"] or ""} for f in record.funding],
                 hide_index=True, width="stretch")
    st.caption(f"合计 {total:,.2f} 万元")


def output_chart(outputs: list[dict]):
    """The studio's output by year: patents, innovations, proposals, apprentices and awards."""
    import altair as alt
    import pandas as pd

    rows = [{"年度": str(o["year"]), "成果": label, "数量": sum(int(o[k] or 0) for k in keys)}
            for o in outputs for label, keys in CHART_MEASURES]
    order = [label for label, _ in CHART_MEASURES]
    return (alt.Chart(pd.DataFrame(rows), title=alt.Title("历年成果数量（专利、技术革新、合理化建议、带徒、获奖）",
                                                          anchor="start", fontSize=13))
            .mark_bar()
            .encode(x=alt.X("年度:N", axis=alt.Axis(title="年度", labelAngle=0)),
                    xOffset=alt.XOffset("成果:N", sort=order),
                    y=alt.Y("数量:Q", axis=alt.Axis(title="数量（件、项、条、人）", format="d", tickMinStep=1)),
                    color=alt.Color("成果:N", sort=order, legend=alt.Legend(title=None, orient="top")),
                    tooltip=[alt.Tooltip("年度:N", title="年度"), alt.Tooltip("成果:N", title="成果"),
                             alt.Tooltip("数量:Q", title="数量")])
            .properties(height=240, autosize=alt.AutoSizeParams(type="fit-x", contains="padding")))


def _output(record: svc.StudioRecord) -> None:
    st.markdown("**年度成果**")
    if not record.outputs:
        st.caption("暂无年度成果")
        return
    st.altair_chart(output_chart(record.outputs), width="stretch")
    st.dataframe([{"年度": o["year"], **{label: o[key] for key, label in OUTPUT_LABELS.items()}}
                  for o in record.outputs], hide_index=True, width="stretch")


def _reviews(record: svc.StudioRecord, reviewers: dict[str, str]) -> None:
    st.markdown("**评审记录**")
    if not record.reviews:
        st.caption("暂无评审记录")
        return
    # the grade and total first: what a phone shows without scrolling sideways
    st.dataframe([{"年度": r["year"], "等次": r["grade"], "总分": f"{r['total']:g} / {r['full_marks']:g}",
                   "评审标准": r["standard_title"], "评审人": reviewers.get(r["reviewer"], r["reviewer"]),
                   "评审意见": r["note"] or "", "评审时间": format_time(r["reviewed_at"])}
                  for r in record.reviews], hide_index=True, width="stretch")


def _status_history(record: svc.StudioRecord, names: dict[str, str]) -> None:
    st.markdown("**状态变更记录**")
    if not record.statuses:
        st.caption("暂无状态变更记录")
        return
    st.dataframe([{"日期": c["on"].isoformat(), "状态": c["status"], "原因": c["reason"],
                   "办理人": names.get(c["by"], c["by"])}
                  for c in record.statuses], hide_index=True, width="stretch")


# --- what an editor may change ------------------------------------------------------------------

def _write(user, action, done: str) -> None:
    """Run ``action(session)`` as ``user``; confirm ``done`` after a rerun, or show the refusal."""
    try:
        with session_scope(user.actor) as session:
            action(session)
    except (StudioError, PermissionDenied) as exc:
        st.error(literal(exc))
        return
    MESSAGES.done(done)


def _actions(user, record: svc.StudioRecord) -> None:
    s, n = record.studio, MESSAGES.round()
    sid, name = s["id"], literal(s["name"])
    st.markdown("**维护**")
    with st.expander("修改工作室信息"), st.form(f"ws_edit_{sid}_{n}"):
        values = _studio_fields(user, f"ws_edit_{sid}_{n}", s)
        if st.form_submit_button("保存修改"):
            _write(user, lambda session: svc.update_studio(session, user, sid, values), f"已保存工作室“{name}”。")
    with st.expander("更换领办人" if s["leader_name"] else "设置领办人"):
        ref = person_picker("领办人", key=f"ws_leader_{sid}_{n}", user=user)
        if st.button("设为领办人", key=f"ws_set_leader_{sid}_{n}", disabled=ref is None):
            _write(user, lambda session: svc.set_leader(session, user, sid, ref),
                   f"已将{literal(ref.name)}设为“{name}”的领办人。")
    with st.expander("添加成员"):
        refs = people_picker("成员", key=f"ws_members_{sid}_{n}", user=user)
        if st.button("添加", key=f"ws_add_members_{sid}_{n}", disabled=not refs):
            _write(user, lambda session: svc.add_members(session, user, sid, refs),
                   f"已为“{name}”添加成员：{literal('、'.join(r.name for r in refs))}。")
    others = [m for m in record.members if m["role"] != LEADER]
    if others:
        with st.expander("移除成员"):
            by_id = {m["id"]: m for m in others}
            chosen = st.selectbox("成员", list(by_id), index=None, placeholder="请选择要移除的成员",
                                  format_func=lambda i: by_id[i]["name"], key=f"ws_remove_pick_{sid}_{n}")
            if st.button("移除", key=f"ws_remove_{sid}_{n}", disabled=chosen is None):
                _write(user, lambda session: svc.remove_member(session, user, sid, chosen),
                       f"已从“{name}”移除成员{literal(by_id[chosen]['name'])}。")
    with st.expander("补助资金"), st.form(f"ws_funding_{sid}_{n}"):
        c1, c2 = st.columns(2)
        year = c1.selectbox("年度", _years(), format_func=lambda y: f"{y} 年", key=f"ws_funding_year_{sid}_{n}")
        amount = c2.number_input("金额（万元）", min_value=0.0, max_value=svc.MAX_FUNDING, value=0.0, step=1.0,
                                 format="%.2f", key=f"ws_funding_amount_{sid}_{n}")
        note = st.text_input("说明", max_chars=svc.MAX_NOTE, key=f"ws_funding_note_{sid}_{n}")
        st.caption("同一年度再次保存即修改该年度的金额。")
        if st.form_submit_button("保存补助资金"):
            _write(user, lambda session: svc.set_funding(session, user, sid, year, amount, note),
                   f"已保存“{name}”{year} 年补助资金 {amount:,.2f} 万元。")
    _status_form(user, s, n)
    with st.expander("填报年度成果"):
        from plugins.workshops.output_form import output_form

        year = st.selectbox("成果年度", _years(), format_func=lambda y: f"{y} 年", key=f"ws_output_year_{sid}")
        output_form(user, SimpleNamespace(id=sid, name=s["name"], county_code=s["county_code"]), year)


def _status_form(user, s: dict, n: int) -> None:
    sid = s["id"]
    admin = can("workshops.remove")
    if s["status"] == REMOVED and not admin:
        st.caption("该工作室已摘牌，只有管理员可以恢复。")
        return
    choices = [x for x in STATUSES if x != s["status"] and (admin or x != REMOVED)]
    with st.expander("变更状态"):
        status = st.radio("新状态", choices, horizontal=True, key=f"ws_status_{sid}_{n}")
        on = date_field("变更日期", max_value=clock.today(), key=f"ws_status_on_{sid}_{n}")
        reason = st.text_area("变更原因", max_chars=svc.MAX_REASON, key=f"ws_status_reason_{sid}_{n}")
        if st.button("确认变更", key=f"ws_status_go_{sid}_{n}"):
            _write(user, lambda session: svc.set_status(session, user, sid, status, on, reason),
                   f"“{literal(s['name'])}”已变更为{status}。")

