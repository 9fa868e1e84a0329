"""Reading an .xlsx the way counties fill them: refuse what is not a readable workbook, stream
each visible sheet's rows, skip blank and notes rows, and find the header row.

    for name, rows in read_sheets("建德名册.xlsx"):
        for row_number, values in rows: ...

Reading uses python-calamine (about ten times faster than openpyxl, see docs/performance.md).
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import python_calamine

from core.spreadsheet import cells
from core.spreadsheet.table import Column, SpreadsheetTable

HEADER_SCAN_ROWS = 30
NOTE_PREFIXES = ("填表人", "填报人", "制表人", "制表", "审核人", "负责人", "联系人", "联系电话",
                 "备注", "说明", "注")
NOTE_SEPARATORS = ("：", ":", " ", "　")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")


class UnreadableFile(Exception):
    """The file cannot be read as .xlsx; the message (Chinese) says why."""



def normalise_header(text: Any) -> str:
    text = unicodedata.normalize("NFKC", str(text or ""))
    return "".join(ch for ch in text if not ch.isspace()).strip("*＊:：")


def _check_file(path: Path) -> None:
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
            if head == OLE_MAGIC:
                if ENCRYPTED_MARK in fh.read(1 << 20):
                    raise UnreadableFile("文件设置了打开密码，请在 Excel 中取消密码后再导入")
                raise UnreadableFile("这是旧版 .xls 文件，请在 Excel 中“另存为”.xlsx 后再导入")
    except OSError as exc:
        raise UnreadableFile(f"无法打开文件：{exc.strerror or exc}") from exc
    if not head.startswith(b"PK"):
        raise UnreadableFile("不是 Excel .xlsx 文件")
    from core.spreadsheet.limits import check_limits  # here: its TooLarge subclasses UnreadableFile

    try:  # before calamine allocates anything: a sheet's range can ask for 512 GiB (issue #8)
        check_limits(path)
    except OSError as exc:
        raise UnreadableFile(f"无法打开文件：{exc.strerror or exc}") from exc


def read_sheets(path: str | Path) -> Iterator[tuple[str, Iterator[tuple[int, list[Any]]]]]:
    """(name, rows) of each visible worksheet in order; rows are (Excel row number, cell values),
    streamed row by row. A sheet is parsed only when the caller gets to it."""
    path = Path(path)
    _check_file(path)
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        sheets = [(i, m.name) for i, m in enumerate(book.sheets_metadata)
                  if m.visible == python_calamine.SheetVisibleEnum.Visible
                  and m.typ == python_calamine.SheetTypeEnum.WorkSheet]
    except python_calamine.CalamineError as exc:
        raise UnreadableFile(f"文件已损坏或不是 .xlsx：{exc}") from exc
    for index, name in sheets:
        try:
            sheet = book.get_sheet_by_index(index)
        except python_calamine.CalamineError as exc:
            raise UnreadableFile(f"文件已损坏或不是 .xlsx：{exc}") from exc
        yield name, _rows(sheet)


def _rows(sheet) -> Iterator[tuple[int, list[Any]]]:
    start_row, start_col = sheet.start or (0, 0)
    pad = [""] * start_col  # a sheet whose data begins in column C still has columns A and B
    for offset, values in enumerate(sheet.iter_rows()):
        yield start_row + offset + 1, pad + values if pad else values


def is_blank_row(values: list[Any]) -> bool:
    return all(v == "" or v is None or (isinstance(v, str) and not v.strip()) for v in values)


def is_note_row(values: list[Any]) -> bool:
    """填表人：王丽  联系电话：… under a table: a known label and a colon, in a short row."""
    filled = [v for v in values if not cells.is_blank(v)]
    if not filled or len(filled) > 3 or not isinstance(filled[0], str):
        return False
    text = cells.clean_text(filled[0])
    return any(text.startswith(p) and text[len(p):len(p) + 1] in NOTE_SEPARATORS
               for p in NOTE_PREFIXES)


def _labels(table: SpreadsheetTable) -> dict[str, Column]:
    labels = {}
    for column in table.columns:
        for label in (column.header, *column.aliases):
            labels[normalise_header(label)] = column
    return labels


def locate_header(table: SpreadsheetTable, head: list[tuple[int, list[Any]]]):
    """The header row among the first rows: (its index in ``head``, column index -> Column,
    unknown headers), or raise UnreadableFile-like ValueError when no row looks like one."""
    labels = _labels(table)
    required = {c.key for c in table.columns if c.required}
    best = None
    for i, (_, values) in enumerate(head):
        mapping, unknown = {}, []
        for j, value in enumerate(values):
            label = normalise_header(value)
            if not label:
                continue
            column = labels.get(label)
            if column is not None and column.key not in {c.key for c in mapping.values()}:
                mapping[j] = column
            else:
                unknown.append(cells.clean_text(value))
        found = {c.key for c in mapping.values()}
        if required <= found and found:
            return i, mapping, unknown
        if best is None or len(found) > len(best[1]):
            best = (i, mapping, unknown)
    return best if best and best[1] else None


def missing_columns(table: SpreadsheetTable, mapping: dict[int, Column],
                     only_county: str | None) -> list[Column]:
    found = {c.key for c in mapping.values()}
    # staff of one county may leave the county out: it is theirs
    return [c for c in table.columns if c.required and c.key not in found
            and not (c.key == table.county_column and only_county)]


def find_table(table: SpreadsheetTable, path: str | Path, only_county: str | None):
    """The first visible sheet whose header has every required column (a 填表说明 sheet may
    come first), else the first sheet: (its name and position, its rows, its first rows, the
    header found)."""
    first = None
    for position, (name, rows) in enumerate(read_sheets(path)):
        head = list(itertools.islice(rows, HEADER_SCAN_ROWS))
        located = locate_header(table, head)
        if located is not None and not missing_columns(table, located[1], only_county):
            return name, position, rows, head, located
        first = first or (name, position, rows, head, located)
    return first or ("", 0, iter(()), [], None)

