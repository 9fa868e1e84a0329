"""The yearly report as a Word document (.docx, python-docx).

Title, date, then each section: a numbered heading (一、名册), its paragraphs, its tables (a
bold header row repeated on every page, the table's title above it) and its charts (PNG
pictures drawn by core.report.charts, the title below as the caption, as Chinese reports
place them). Word picks the font of Chinese text from ``w:eastAsia``, which python-docx never
sets: without it Word falls back to its theme's East-Asian font, which an English template
leaves unset, so the styles name 宋体 (body) and 黑体 (headings) explicitly.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

from core.report.collect import Report

BODY_FONT = "宋体"  # SimSun: every Chinese Windows and WPS has it
HEADING_FONT = "黑体"  # SimHei
PICTURE_CM = 15.0
NUMERALS = "零一二三四五六七八九十"
NO_SECTIONS = "本年度暂无可报告的内容。"
NO_ROWS = "（无数据）"


def paragraphs(text: str) -> list[str]:
    """A section's text as its paragraphs: split on blank lines, each stripped."""
    return [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]


def chinese_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 23 -> 二十三 (section numbers, up to 99)."""
    tens, ones = divmod(n, 10)
    if n <= 10:
        return NUMERALS[n]
    return (NUMERALS[tens] if tens > 1 else "") + "十" + (NUMERALS[ones] if ones else "")


def cell_text(value: Any) -> str:
    """A table value as the document prints it: None as —, 2.50 as 2.5, dates as 2026-11-29."""
    if value is None or value != value:  # None, or NaN (a pandas gap)
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _fonts(document) -> None:
    """Name the East-Asian fonts: in the defaults and Normal (body), and the title and headings
    (which the template sets to a theme font that would win over an explicit one)."""
    from docx.oxml.ns import qn

    def east_asian(rpr, font: str) -> None:
        fonts = rpr.get_or_add_rFonts()
        fonts.attrib.pop(qn("w:eastAsiaTheme"), None)  # a theme font wins over w:eastAsia
        fonts.set(qn("w:eastAsia"), font)

    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            east_asian(rpr, BODY_FONT)
            lang = rpr.find(qn("w:lang"))
            if lang is not None:
                lang.set(qn("w:eastAsia"), "zh-CN")  # line breaking and spacing as for Chinese
    east_asian(document.styles["Normal"].element.get_or_add_rPr(), BODY_FONT)
    for name in ("Title", "Heading 1", "Heading 2", "Caption"):
        east_asian(document.styles[name].element.get_or_add_rPr(),
                   BODY_FONT if name == "Caption" else HEADING_FONT)


def _table(document, rows: list[dict[str, Any]]) -> None:
    from docx.oxml import OxmlElement

    headers = list(dict.fromkeys(k for row in rows for k in row))  # every key, first seen first
    table = document.add_table(rows=1, cols=len(headers))
    table.style = document.styles["Table Grid"]
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(str(header)).bold = True
    # the header row repeats at the top of every page the table runs onto
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for row in rows:
        for cell, header in zip(table.add_row().cells, headers, strict=True):
            cell.text = cell_text(row.get(header))
    document.add_paragraph()


def report_docx(report: Report) -> bytes:
    """The report as the bytes of a .docx file."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    from core.report.charts import chart_png, chart_title

    document = Document()
    _fonts(document)
    title = document.add_heading(report.title, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    made = document.add_paragraph(f"生成日期：{report.generated.year} 年 {report.generated.month} 月 "
                                  f"{report.generated.day} 日")
    made.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if not report.sections:
        document.add_paragraph(NO_SECTIONS)
    tables = figures = 0  # numbered through the whole document: 表 1, 表 2, 图 1 …
    for number, section in enumerate(report.sections, start=1):
        document.add_heading(f"{chinese_number(number)}、{section.title}", level=1)
        for text in paragraphs(section.text):
            paragraph = document.add_paragraph(text)
            paragraph.paragraph_format.first_line_indent = Cm(0.74)  # two characters, as printed
        for table in section.tables:
            tables += 1
            document.add_paragraph(f"表 {tables}  {table.title}", style="Caption")
            if table.rows:
                _table(document, table.rows)
            else:
                document.add_paragraph(NO_ROWS)
        for chart in section.charts:
            figures += 1
            document.add_picture(io.BytesIO(chart_png(chart)), width=Cm(PICTURE_CM))
            document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            caption = document.add_paragraph(f"图 {figures}  {chart_title(chart)}".rstrip(),
                                             style="Caption")
            caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
