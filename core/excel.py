"""Writing .xlsx files: streamed (openpyxl write-only), Chinese headers, safe cells.

    data = workbook_bytes({"审计日志": rows})   # rows: iterable of dicts, header = first row's keys

Any text beginning with ``=``, ``+``, ``-`` or ``@`` is written as text, so no formula runs when
the file is opened.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable, Mapping
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

FORMULA_PREFIXES = ("=", "+", "-", "@")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="F5F1EB")
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


def _cell(ws, value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # a string cell, never parsed as a formula
        return cell
    if isinstance(value, dict | list):
        return str(value)
    return value


def _width(value: Any) -> int:
    text = str(value) if value is not None else ""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)  # CJK characters are double width


def write_sheet(wb: Workbook, title: str, rows: Iterable[Mapping[str, Any]], taken: set[str],
                headers: list[str] | None = None) -> int:
    """Append a sheet with a frozen, filtered header row; return the number of data rows."""
    ws = wb.create_sheet(safe_sheet_title(title, taken))
    iterator = iter(rows)
    first = next(iterator, None)
    headers = headers or (list(first.keys()) if first else ["（无数据）"])
    widths = [_width(h) + 2 for h in headers]
    # Column widths and panes must be set before the first row in write-only mode, so widths
    # come from the header and the first row only.
    if first:
        widths = [max(w, min(_width(first.get(h)) + 2, 60)) for w, h in zip(widths, headers, strict=True)]
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(8, w)
    ws.freeze_panes = "A2"
    header_cells = []
    for h in headers:
        c = WriteOnlyCell(ws, value=h)
        c.font, c.fill = HEADER_FONT, HEADER_FILL
        header_cells.append(c)
    ws.append(header_cells)
    count = 0
    for row in itertools.chain([first], iterator) if first is not None else ():
        ws.append([_cell(ws, row.get(h)) for h in headers])
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    return count


def workbook_bytes(sheets: Mapping[str, Iterable[Mapping[str, Any]]]) -> bytes:
    """An .xlsx with one sheet per entry of ``sheets`` (title → rows)."""
    wb = Workbook(write_only=True)
    taken: set[str] = set()
    for title, rows in sheets.items():
        write_sheet(wb, title, rows, taken)
    if not sheets:
        write_sheet(wb, "Sheet", [], taken)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
