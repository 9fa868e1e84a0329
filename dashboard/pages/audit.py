"""审计日志: every write, filtered by user, county, table and date; 50 a page; Excel export."""

import datetime as dt

import streamlit as st
from sqlalchemy import select

from core.data.audit import (
    ACTION_LABELS,
    AuditFilter,
    changes_text,
    count_entries,
    describe,
    find_entries,
    record,
)
from core.data.db import read_session, session_scope
from core.data.labels import table_label
from core.data.models import AuditEntry
from core.settings import clock
from core.settings.counties import county_name, load_counties
from core.spreadsheet import workbook_bytes
from core.ui import format_time, require
from core.ui.dates import date_field
from core.ui.downloads import private_file

PAGE_SIZE = 50
user = require("core.audit")
st.title("审计日志")


@st.cache_data(ttl=60, show_spinner=False)
def choices() -> tuple[list[str], list[str]]:
    with read_session() as session:
        actors = session.scalars(select(AuditEntry.actor).distinct().order_by(AuditEntry.actor)).all()
        tables = session.scalars(select(AuditEntry.table_name).distinct()
                                 .where(AuditEntry.table_name.is_not(None))
                                 .order_by(AuditEntry.table_name)).all()
    return list(actors), list(tables)


actors, tables = choices()
c1, c2, c3, c4, c5 = st.columns(5)
actor = c1.selectbox("用户", ["", *actors], format_func=lambda a: a or "全部用户")
county = c2.selectbox("区县", [""] + [c.code for c in load_counties()],
                      format_func=lambda c: county_name(c) if c else "全部区县")
# tables by the Chinese names their models declare (core.data.labels)
table = c3.selectbox("数据表", ["", *tables], format_func=lambda t: table_label(t) if t else "全部数据表")
today = clock.today()  # local days, as the times below are shown (core.settings.clock)
# typed dates, not the date picker: its field and calendar speak English (core.ui.dates)
since = date_field("起始日期", value=today - dt.timedelta(days=30), max_value=today, key="audit_since",
                   container=c4)
until = date_field("截止日期", value=today, max_value=today, key="audit_until", container=c5)
flt = AuditFilter(actor=actor, county=county, table=table, since=since, until=until)


def row(e: AuditEntry) -> dict:
    return {"时间": format_time(e.at), "用户": e.actor, "用户区县": county_name(e.actor_county),
            "操作": ACTION_LABELS.get(e.action, e.action), "数据表": table_label(e.table_name),
            "记录": e.row_id or "", "区县": county_name(e.county_code) if e.county_code else "",
            "修改前": changes_text(e.table_name, e.before), "修改后": changes_text(e.table_name, e.after),
            "说明": describe(e)}


with read_session() as session:
    total = count_entries(session, flt)
    pages = max(1, -(-total // PAGE_SIZE))
    page = st.number_input(f"页码（共 {pages} 页，{total} 条）", 1, pages, 1) if pages > 1 else 1
    entries = find_entries(session, flt, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    st.dataframe([row(e) for e in entries], hide_index=True, width="stretch")

if st.button("导出 Excel", disabled=total == 0):
    with read_session() as session:
        data = workbook_bytes({"审计日志": (row(e) for e in find_entries(session, flt, limit=None))})
    with session_scope(user.actor) as session:
        record(session, "export", table="core_audit_log", summary=f"导出审计日志 {total} 条")
    st.download_button("下载审计日志.xlsx", data=private_file(lambda: data), file_name=f"审计日志-{today:%Y%m%d}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
