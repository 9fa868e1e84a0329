"""The yearly report as an Excel workbook: a first sheet 说明 with the report's title, each
section's text and which sheet holds each of its tables, then one sheet per table
(core.spreadsheet's writer: bold frozen headers, text never a formula)."""

from __future__ import annotations

import io
import re

from core.report.collect import Report

README = "说明"
SHEET_CHARS = 31  # Excel's longest sheet name
NOTE = re.compile(r"（[^（）]*）$")  # a title's closing note in brackets, dropped when too long


def sheet_names(report: Report) -> list[list[str]]:
    """Each section's tables' sheet names, in order: the table's title (without its closing
    （…） note when too long) made a valid sheet name: at most 31 characters, none of
    []:*?/\\, unique in the workbook (a repeat gets (2))."""
    from core.spreadsheet.workbook import safe_sheet_title

    taken = {README}
    return [[safe_sheet_title(NOTE.sub("", t.title) if len(t.title) > SHEET_CHARS else t.title, taken)
             for t in section.tables] for section in report.sections]


def readme_rows(report: Report, names: list[list[str]]) -> list[dict[str, str]]:
    """The 说明 sheet: the title and date, then each section's text and a row per table (its
    full title, numbered as in the document, and its sheet)."""
    from core.report.word import paragraphs

    rows = [{"章节": "报告", "说明": report.title, "工作表": ""},
            {"章节": "生成日期", "说明": report.generated.isoformat(), "工作表": ""}]
    number = 0
    for section, sheets in zip(report.sections, names, strict=True):
        rows.append({"章节": section.title, "说明": "\n".join(paragraphs(section.text)), "工作表": ""})
        for table, sheet in zip(section.tables, sheets, strict=True):
            number += 1
            rows.append({"章节": section.title, "说明": f"表 {number}  {table.title}", "工作表": sheet})
    return rows


def report_xlsx(report: Report) -> bytes:
    """The report as the bytes of an .xlsx file."""
    from core.spreadsheet.workbook import Sheet, write_workbook

    names = sheet_names(report)
    sheets = [Sheet(README, readme_rows(report, names))]
    for section, section_names in zip(report.sections, names, strict=True):
        for table, name in zip(section.tables, section_names, strict=True):
            headers = list(dict.fromkeys(k for row in table.rows for k in row)) or None
            sheets.append(Sheet(name, table.rows, headers=headers))
    buffer = io.BytesIO()
    write_workbook(buffer, sheets)
    return buffer.getvalue()
