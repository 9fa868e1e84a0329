"""年度报告: the yearly report (年度工作报告) of a year and a scope, previewed section by section
and downloaded as a Word document and an Excel workbook.

The year offered first is last year from January to March, when the report on the year just
ended is written and sent upward; from April on it is this year (figures so far, which the text
says: 截至 11 月 30 日). Whole-city users choose 全市 or one county; county users get their own
county, and the report is scoped again where it is built (core.report.build), not only here.
Each file is made when its button is clicked and audited then as an export (core.report.files).
"""

import streamlit as st

from core.data.audit import data_version
from core.data.db import read_session
from core.report.build import PERMISSION, build_report
from core.report.files import DOCX, MIME, XLSX, file_name, report_file
from core.report.word import NO_SECTIONS, cell_text, paragraphs
from core.settings import clock
from core.settings.counties import county_name, load_counties
from core.ui import require
from core.ui.downloads import private_file
from core.ui.text import literal

YEARS_SHOWN = 10
BUILT = "report_built"  # session state: (what it was built for, the Report)

user = require(PERMISSION)
st.title("年度报告")
this_year = clock.this_year()
years = list(range(this_year, this_year - YEARS_SHOWN, -1))
left, right = st.columns(2)
year = left.selectbox("年度", years, index=1 if clock.today().month <= 3 else 0,
                      format_func=lambda y: f"{y} 年", key="report_year")
if user.county_code is None:
    chosen = right.selectbox("范围", ["", *(c.code for c in load_counties())], format_func=county_name,
                             key="report_county")  # "": the whole city (county_name says 全市)
else:
    chosen = right.selectbox("范围", [user.county_code], format_func=county_name, disabled=True)
counties = (chosen,) if chosen else None


def grid(rows: list[dict]) -> None:
    """A table as the document prints it. A column of numbers with a gap is shown as text
    (right-aligned, the gap as —): the grid would write None in it, in English."""
    headers = list(dict.fromkeys(k for row in rows for k in row))
    gaps = {h for h in headers if any(row.get(h) is None for row in rows)}
    shown = [{h: cell_text(row.get(h)) if h in gaps else row.get(h) for h in headers} for row in rows]
    numbers = {h for h in gaps if all(row.get(h) is None or isinstance(row.get(h), int | float)
                                      for row in rows)}
    st.dataframe(shown, hide_index=True, width="stretch",
                 column_config={h: st.column_config.TextColumn(h, alignment="right") for h in numbers})


def built(year: int, counties: tuple[str, ...] | None):
    """The report, made again only when something was written since (any table's data version)
    or the day changed: a rerun of the page (a click elsewhere) does not query it all again."""
    with read_session() as session:
        version = data_version(session)
    key = (user.username, year, counties, version, clock.today())
    kept = st.session_state.get(BUILT)
    if kept is None or kept[0] != key:
        with st.spinner("正在生成报告……"):
            kept = (key, build_report(user, year, counties))
        st.session_state[BUILT] = kept
    return kept[1]


report = built(year, counties)
st.caption(f"{literal(report.title)} · 生成日期 {report.generated:%Y-%m-%d}")
word, excel = st.columns(2)
# made on click, served once (private_file); report_file audits each as an export. "ignore":
# a click needs no rerun of the page
word.download_button("下载 Word 文档", data=private_file(lambda: report_file(user, report, DOCX)),
                      file_name=file_name(report, DOCX), mime=MIME[DOCX], on_click="ignore",
                      key="report_docx", width="stretch")
excel.download_button("下载 Excel 表格", data=private_file(lambda: report_file(user, report, XLSX)),
                      file_name=file_name(report, XLSX), mime=MIME[XLSX], on_click="ignore",
                      key="report_xlsx", width="stretch")
st.caption("Word 文档含文字、表格和图表；Excel 表格每张表一个工作表，首个工作表“说明”列出各章节的文字。")
if report.missing:
    st.warning(f"以下插件的章节未能生成，已记录：{literal('、'.join(report.missing))}")
if not report.sections:
    st.info(NO_SECTIONS)

tables = figures = 0  # numbered as in the document
for section in report.sections:
    st.divider()
    st.subheader(literal(section.title))
    for text in paragraphs(section.text):
        st.markdown(literal(text))
    for table in section.tables:
        tables += 1
        st.markdown(f"**表 {tables}　{literal(table.title)}**")
        if table.rows:
            grid(table.rows)
        else:
            st.caption("（无数据）")
    for chart in section.charts:
        figures += 1
        st.altair_chart(chart, width="stretch")
