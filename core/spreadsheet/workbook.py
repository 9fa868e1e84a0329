"""Writing .xlsx files.

Streamed exports (any size, constant memory) go through rustpy-xlsxwriter, a Rust writer about
ten times faster than openpyxl's write-only mode; styled small files (the template, the error
report) are built with openpyxl.

    data = workbook_bytes({"审计日志": rows})   # rows: iterable of dicts, header = first row's keys

Text is always written as text: a cell beginning with ``=``, ``+``, ``-`` or ``@`` never becomes
a formula when the file is opened.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@")
HEADER_COLOUR = "F5F1EB"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
EXCEL_CELL_CHARS = 32_767  # the most characters an Excel cell holds
INVALID_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


def safe_sheet_title(title: str, taken: set[str]) -> str:
    """An Excel sheet name: at most 31 characters, no []:*?/\\, unique in the workbook."""
    base = (title.translate(INVALID_SHEET_CHARS) or "Sheet")[:31]
    name, n = base, 2
    while name in taken:
        suffix = f"({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def _width(value: Any) -> int:
    text = str(value) if value is not None else ""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)  # CJK characters are double width


@dataclass
class Sheet:
    """One sheet to stream: ``rows`` are dicts keyed by ``keys`` (default: the headers), and the
    headers default to the first row's keys."""

    title: str
    rows: Iterable[Mapping[str, Any]]
    headers: list[str] | None = None
    keys: list[str] | None = None
    date_keys: frozenset[str] = frozenset()  # shown as dates (also: where the first row has one)
    count: int = 0  # data rows written, set by write_workbook


def write_workbook(target, sheets: Iterable[Sheet]) -> None:
    """Stream ``sheets`` into an .xlsx at ``target`` (a path or a binary file object), each with
    a bold, frozen, filtered header row; each sheet's ``count`` is set as its rows are written."""
    from rustpy_xlsxwriter import FastExcel, Format

    header_format = Format().set_bold().set_background_color(f"#{HEADER_COLOUR}")
    date_format = Format().set_num_format(DATE_FORMAT)
    book = FastExcel(target).format(datetime_format=DATETIME_FORMAT)
    taken: set[str] = set()
    for sheet in sheets:
        title = safe_sheet_title(sheet.title, taken)
        iterator = iter(sheet.rows)
        first = next(iterator, None)
        headers = sheet.headers or (list(first.keys()) if first else ["（无数据）"])
        keys = sheet.keys or headers
        # Widths and date formats are fixed before the first row is streamed, so they come from
        # the header and the first row.
        widths = [_width(h) + 2 for h in headers]
        dates = {}
        if first is not None:
            widths = [max(w, min(_width(first.get(k)) + 2, 60)) for w, k in zip(widths, keys, strict=True)]
            dates = {h: date_format for h, k in zip(headers, keys, strict=True)
                     if k in sheet.date_keys or type(first.get(k)) is dt.date}
        rows = itertools.chain([first], iterator) if first is not None else iter(())
        book.freeze(row=1, col=0).sheet(
            title, _aligned(rows, headers, keys, sheet), header_format=header_format,
            column_widths=[max(8, w) for w in widths], column_formats=dates, autofilter=True)
    book.save()


def _aligned(rows: Iterator[Mapping[str, Any]], headers: list[str], keys: list[str],
             sheet: Sheet) -> Iterator[dict[str, Any]]:
    """Rows as dicts with every header in order: the writer places values by position, and it
    takes its header from the first row's keys (so an empty sheet gets one blank row)."""
    pairs = list(zip(headers, keys, strict=True))
    for row in rows:
        sheet.count += 1
        # YearMonth (a tuple) is written as 1968-05; everything else as its own type.
        yield {h: str(v) if isinstance(v := row.get(k), tuple)
               else _fitted(v) if v.__class__ is str and len(v) > EXCEL_CELL_CHARS else v
               for h, k in pairs}
    if sheet.count == 0:
        yield dict.fromkeys(headers)


def _fitted(text: str) -> str:
    """A text longer than an Excel cell holds, cut so the cell says so: entry refuses such text
    today, but a value stored before that (an old audit entry) must not stop an export."""
    note = f"……〔全文 {len(text)} 字，超出 Excel 单元格上限，已截断〕"
    return text[:EXCEL_CELL_CHARS - len(note)] + note


def workbook_bytes(sheets: Mapping[str, Iterable[Mapping[str, Any]]]) -> bytes:
    """An .xlsx with one sheet per entry of ``sheets`` (title → rows)."""
    buffer = io.BytesIO()
    write_workbook(buffer, [Sheet(title, rows) for title, rows in sheets.items()] or [Sheet("Sheet", [])])
    return buffer.getvalue()


def columns_sheet(title: str, columns, rows: Iterable[Mapping[str, Any]]) -> Sheet:
    """A sheet of ``rows`` (dicts keyed by column key) under these ``Column`` objects' Chinese
    headers, county codes written as names: how a table's export (or one of its
    ``export_sheets``) looks."""
    from core.settings.counties import county_names

    counties = [c.key for c in columns if c.kind == "county"]
    if counties:  # people read 建德市, not 330182; the import takes either
        names = county_names()
        rows = ({**row, **{k: names.get(row.get(k), row.get(k)) for k in counties}} for row in rows)
    return Sheet(title, rows, headers=[c.header for c in columns], keys=[c.key for c in columns],
                 date_keys=frozenset(c.key for c in columns if c.kind == "date"))


def export_table(table, rows: Iterable[Mapping[str, Any]], target) -> int:
    """Stream ``rows`` (dicts keyed by column key) into an .xlsx at ``target`` (a path or a
    binary file object) with the table's Chinese headers; return the number of rows."""
    sheet = columns_sheet(table.title, table.columns, rows)
    write_workbook(target, [sheet])
    return sheet.count


def export_file(table, target, actor, counties: tuple[str, ...] | None) -> int:
    """Export ``table`` within ``counties`` (None: the whole city) to ``target``; audited with
    the row count. Returns the number of rows written: of the first sheet when the table gives
    ``export_sheets`` (the audit entry adds the others' counts).

    ``actor`` (an Actor or a CurrentUser; the command line's is an administrator) must hold the
    table's ``permission``, and ``counties`` must lie within the actor's county (PermissionDenied
    otherwise); an actor with a county and ``counties`` None exports that county only."""
    from core.access.permissions import require, scoped_counties
    from core.data.audit import record
    from core.data.db import read_session, session_scope
    from core.settings.counties import county_name

    require(actor, table.permission)
    counties = scoped_counties(actor, counties)

    others = ""
    with read_session() as session:
        if table.export_sheets is not None:
            sheets = list(table.export_sheets(session, counties)) or [Sheet(table.title, [])]
            write_workbook(target, sheets)  # each sheet's query runs when the writer reaches it
            count = sheets[0].count
            others = "".join(f"；工作表“{s.title}” {s.count} 行" for s in sheets[1:])
        else:
            count = export_table(table, table.export_rows(session, counties), target)
    scope = "全市" if counties is None else "、".join(county_name(c) for c in counties)
    with session_scope(actor) as session:
        record(session, "export", table=table.name,
               summary=f"导出 {table.title} {count} 行（{scope}）{others}")
    return count
