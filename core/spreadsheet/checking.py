"""Checking every row of a sheet: each cell parsed by its column's kind, then each row across its
columns (county scope, the table's validate_row, one person per identity, duplicates in the
file). Every problem is kept with its row and column, so the user sees them all at once.

    result, valid, numbers, keys = check_rows(table, "建德名册.xlsx", counties=("330182",))
    for p in result.problems: print(p.row, p.header, p.reason)

A one-row form (``core.spreadsheet.forms``) checks its row with the same pieces: ``check_one``
parses each value with the column's ``ColumnCheck`` and applies ``RowRules``, as an import does
to each row of a file, so a form and an import refuse the same values with the same words.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from core.settings import clock
from core.settings.counties import county_finder, county_lookup, county_name
from core.spreadsheet import cells
from core.spreadsheet.reading import find_table, is_blank_row, is_note_row, missing_columns
from core.spreadsheet.table import Column, RowProblem, SpreadsheetTable

CHUNK = 5000  # rows checked together, column by column
CACHE_CELLS = 20_000  # parsed values remembered per column
KEEP_BAD_ROWS = 5000  # raw rows kept for the error report
PREVIEW_ROWS = 20
SHOWN_IGNORED = 20  # ignored columns named in a message
SHOWN_HEADER = 30   # characters of each


@dataclass(frozen=True)
class Problem:
    """One refused cell or row: Excel row number (0: the file), column header, reason."""

    row: int
    header: str
    reason: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行" if self.row else "文件"
        return f"{where}，{self.header}：{self.reason}" if self.header else f"{where}：{self.reason}"


@dataclass
class ImportResult:
    table: str
    dry_run: bool
    rows: int = 0                      # data rows read (blank and notes rows not counted)
    problems: list[Problem] = field(default_factory=list)
    already_present: list[int] = field(default_factory=list)  # row numbers skipped
    ignored_columns: list[str] = field(default_factory=list)
    written: int = 0
    preview: list[dict[str, Any]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)        # the file's header row, as read
    sheet: str = ""                                          # the worksheet read
    sheet_position: int = 0                                  # among the visible ones, from 0
    bad_rows: dict[int, list[Any]] = field(default_factory=dict)
    # per column of the file, the table's key it was read as (None: ignored), and each key's
    # header as the file writes it: problems found after reading name columns the file's way
    file_keys: list[str | None] = field(default_factory=list)
    shown: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def to_write(self) -> int:
        return self.rows - len(self.already_present)

    def ignored_text(self, sep: str = "、") -> str:
        """The ignored columns for a message: the first SHOWN_IGNORED, each cut to SHOWN_HEADER
        characters, then how many there are (a sheet may have 200 columns, a header 30,000
        characters)."""
        names = [h if len(h) <= SHOWN_HEADER else h[:SHOWN_HEADER] + "…"
                 for h in self.ignored_columns[:SHOWN_IGNORED]]
        more = len(self.ignored_columns) > SHOWN_IGNORED
        return sep.join(names) + (f" 等 {len(self.ignored_columns)} 列" if more else "")


def _parser(column: Column) -> Callable[[Any], Any]:
    """The function reading one value of ``column`` (``core.spreadsheet.cells``), raising
    CellError with the reason."""
    kind = column.kind
    if kind == "text":
        return functools.partial(cells.parse_text, max_length=column.length)
    if kind == "integer":
        return cells.parse_integer
    if kind == "decimal":
        return cells.parse_decimal
    if kind == "date":
        return lambda v: cells.parse_date(v, month_ok=column.month_ok)
    if kind == "choice":
        # the choice's own string object, so 100,000 rows share a handful of strings
        choices = {c: c for c in column.choices}
        return lambda v: cells.parse_choice(v, choices)
    if kind == "county":
        # once per import: the county list is configuration
        lookup, find = county_lookup(), county_finder()
        return lambda v: cells.parse_county(v, lookup, find)
    if kind == "phone":
        return cells.parse_phone
    today = clock.today()  # the users' date (core.settings.clock)
    return lambda v: cells.parse_id_number(v, today)


REQUIRED = cells.CellError("必填，不能为空")


class ColumnCheck:
    """Checks one column's cells: each becomes its parsed value, None when blank, or the
    CellError refusing it.

    Parsing is a pure function of the cell and most columns repeat their values (dates, months,
    choices, counties), so results are remembered, up to CACHE_CELLS per column. Text cells are
    looked up in one C-level ``map`` over the column; only the others are parsed one by one."""

    def __init__(self, parse: Callable[[Any], Any], required: bool) -> None:
        self.parse = parse
        self.required = required
        self.text_seen: dict[str, Any] = {}   # only text keys: 1, 1.0 and True never meet them
        self.other_seen: dict[tuple, Any] = {}  # (type, value), for the same reason

    def column(self, values: Sequence[Any]) -> tuple[list[Any], list[int]]:
        """The checked values, and the positions of the refused ones."""
        out = list(map(self.text_seen.get, values, itertools.repeat(_UNSEEN, len(values))))
        refused = []
        for i in [i for i, v in enumerate(out) if v is _UNSEEN]:
            out[i] = checked = self.cell(values[i])
            if checked.__class__ is cells.CellError:
                refused.append(i)
        return out, refused

    def cell(self, value: Any) -> Any:
        if value.__class__ is str:  # already looked up, in column()
            seen, key = self.text_seen, value
        else:
            seen, key = self.other_seen, (value.__class__, value)
            found = seen.get(key, _UNSEEN)
            if found is not _UNSEEN:
                return found
        if value is None or value == "" or (value.__class__ is str and value.isspace()):
            return REQUIRED if self.required else None
        try:
            found = self.parse(value)
        except cells.CellError as exc:
            return exc  # not remembered: a refused cell is looked at once more, nothing else
        if len(seen) < CACHE_CELLS:
            seen[key] = found
        return found


_UNSEEN = object()


def required_here(table: SpreadsheetTable, column: Column, only_county: str | None) -> bool:
    """Whether a blank ``column`` is refused: a county column left blank by a user of one
    county is that county."""
    return column.required and not (column.key == table.county_column and only_county)


def out_of_scope(county: str) -> str:
    """Why a row of a county outside the user's scope is refused."""
    return f"{county_name(county)} 不在您可导入的区县范围内"


class RowRules:
    """The checks across the columns of one row whose every cell was read, shared by the import
    (each row of a file) and a one-row form: the county within the user's ``counties``, then the
    table's ``validate_row``. ``problems`` takes the row as a tuple in ``keys`` order and returns
    (column key or None, reason) pairs."""

    def __init__(self, table: SpreadsheetTable, keys: tuple[str, ...],
                 counties: tuple[str, ...] | None) -> None:
        self.keys, self.counties, self.validate = keys, counties, table.validate_row
        self.county_key = table.county_column
        self.county_at = keys.index(self.county_key) if self.county_key else None

    def problems(self, row: tuple) -> list[RowProblem]:
        county_at, counties = self.county_at, self.counties
        if county_at is not None and counties is not None and row[county_at] not in counties:
            return [(self.county_key, out_of_scope(row[county_at]))]
        if self.validate:
            found = self.validate(dict(zip(self.keys, row, strict=True)))
            if found:
                return list(found)
        return []


def check_one(table: SpreadsheetTable, values: dict[str, Any],
              counties: tuple[str, ...] | None) -> tuple[dict[str, Any], list[RowProblem]]:
    """One row given as ``{column key: value as typed}`` (a missing key is a blank cell), checked
    as the import checks a row of a file: each value parsed by its column (a blank required one
    refused; a blank county of a user of one county is that county), then, if every value was
    read, ``RowRules``. Returns the row by column key (None where refused) and its problems as
    (column key or None, reason) pairs. What needs the database or other rows (duplicates, the
    identity checks) is ``core.spreadsheet.forms``'."""
    only_county = counties[0] if counties and len(counties) == 1 else None
    row: dict[str, Any] = {}
    problems: list[RowProblem] = []
    for column in table.columns:
        value = ColumnCheck(_parser(column), required_here(table, column, only_county)).cell(values.get(column.key))
        if value.__class__ is cells.CellError:
            problems.append((column.key, str(value)))
            value = None
        elif value is None and column.key == table.county_column and only_county:
            value = only_county
        row[column.key] = value
    if problems:
        return row, problems
    return row, RowRules(table, tuple(row), counties).problems(tuple(row.values()))


def check_rows(table: SpreadsheetTable, path: str | Path, *, counties: tuple[str, ...] | None,
               progress: Callable[[int], None] | None = None):
    """Read and validate every row. Returns (result, valid rows as tuples of values in
    ``keys`` order, their row numbers, ``keys``); tuples take a third of a dict's memory."""
    result = ImportResult(table=table.name, dry_run=True)
    only_county = counties[0] if counties and len(counties) == 1 else None
    result.sheet, result.sheet_position, rows, head, located = find_table(table, path, only_county)
    if located is None:
        reason = "工作表是空的" if not any(not is_blank_row(v) for _, v in head) else \
            "找不到表头：请确认表格中有“" + "”“".join(c.header for c in table.columns if c.required) + "”等列"
        result.problems.append(Problem(0, "", reason))
        return result, [], [], ()
    index, mapping, unknown = located
    header_row, header_values = head[index]
    result.headers = [cells.clean_text(v) for v in header_values]
    result.ignored_columns = unknown
    for column in missing_columns(table, mapping, only_county):
        result.problems.append(Problem(header_row, column.header, "缺少这一列"))
    if result.problems:
        return result, [], [], ()

    checker = RowChecker(table, mapping, header_values, counties, only_county, result)
    result.file_keys = [mapping[j].key if j in mapping else None for j in range(len(header_values))]
    result.shown = checker.shown

    def data_rows():
        yield from head[index + 1:]
        yield from rows

    chunk: list[tuple[int, list[Any]]] = []
    for row_no, values in data_rows():
        # a data row has more than three cells filled (cheap to count; calamine gives "" for
        # an empty cell), a notes row at most three
        if is_blank_row(values) or (len(values) - values.count("") <= 3 and is_note_row(values)):
            continue
        result.rows += 1
        chunk.append((row_no, values))
        if len(chunk) == CHUNK:
            checker.check(chunk)
            chunk = []
            if progress:
                progress(result.rows)
    if chunk:
        checker.check(chunk)
    if result.rows == 0 and not result.problems:
        result.problems.append(Problem(0, "", "表头下面没有数据行"))
    return result, checker.valid, checker.numbers, checker.keys


class RowChecker:
    """Checks rows a chunk at a time: every cell column by column (far cheaper than a Python
    loop per cell), then each row across its columns (county scope, the table's validate_row,
    duplicates inside the file). Problems go to ``result``; valid rows are kept as tuples in
    ``keys`` order, with their row numbers, until the first problem (all of them for a table
    with ``check_references``, whose database checks then run on them too)."""

    def __init__(self, table: SpreadsheetTable, mapping: dict[int, Column], header_values: list[Any],
                 counties: tuple[str, ...] | None, only_county: str | None,
                 result: ImportResult) -> None:
        self.table, self.counties, self.only_county, self.result = table, counties, only_county, result
        self.county_key = table.county_column
        # problems name a column as the file does (身份证号), not as the table calls it
        self.shown = {c.key: cells.clean_text(header_values[j]) for j, c in mapping.items()}
        self.checks = [
            (j, c.key, self.shown[c.key], ColumnCheck(_parser(c), required_here(table, c, only_county)))
            for j, c in mapping.items()]
        # every column of the table, also those the file lacks: validate_row and write_rows see
        # the same keys, and a county filled in from the user's scope is kept
        self.keys = tuple(c.key for c in table.columns)
        self.rules = RowRules(table, self.keys, counties)  # as a one-row form checks its row
        # the natural key of a row tuple (a single value for a one-column key)
        self.key_of = itemgetter(*(self.keys.index(k) for k in table.natural_key)) \
            if table.natural_key else None
        self.key_header = "、".join(self.shown.get(k, k) for k in table.natural_key)
        self.seen: dict[Any, int] = {}
        # one real person per ID number: the first row of each identity, and what it said
        self.identity_of = values_getter(self.keys, table.identity)
        self.fields_of = values_getter(self.keys, table.identity_fields) if table.identity_fields else None
        self.identities: dict[Any, tuple[int, tuple]] = {}
        self.valid: list[tuple] = []
        self.numbers: list[int] = []
        self.keep_all = table.check_references is not None

    def check(self, chunk: list[tuple[int, list[Any]]]) -> None:
        result, keys = self.result, self.keys
        row_numbers = [row_no for row_no, _ in chunk]
        refused: dict[int, list[Problem]] = {}
        blanks = [None] * len(chunk)
        by_key = self._columns(chunk, row_numbers, refused)
        for i, row in enumerate(zip(*(by_key.get(k, blanks) for k in keys), strict=True)):
            row_no = row_numbers[i]
            problems = refused.get(i) or self._row_problems(row_no, row)
            if problems:
                result.problems.extend(problems)
                if len(result.bad_rows) < KEEP_BAD_ROWS:
                    result.bad_rows[row_no] = list(chunk[i][1])
            elif not result.problems or self.keep_all:
                # once anything is refused, valid rows are not kept, unless the table checks
                # them against the database too (so one report says everything wrong)
                self.valid.append(row)
                self.numbers.append(row_no)
                if len(result.preview) < PREVIEW_ROWS:
                    result.preview.append(dict(zip(keys, row, strict=True)))

    def _columns(self, chunk, row_numbers, refused) -> dict[str, list[Any]]:
        """Each checked column's values by key; refused cells noted by position in the chunk."""
        n = len(chunk)
        columns = list(itertools.zip_longest(*(values for _, values in chunk)))
        by_key: dict[str, list[Any]] = {}
        for j, key, header, check in self.checks:
            out, bad = check.column(columns[j] if j < len(columns) else (None,) * n)
            for i in bad:
                refused.setdefault(i, []).append(Problem(row_numbers[i], header, str(out[i])))
            by_key[key] = out
        if self.county_key and self.only_county:  # a county left blank is the user's own
            given = by_key.get(self.county_key)
            by_key[self.county_key] = [self.only_county] * n if given is None else \
                [self.only_county if v is None else v for v in given]
        return by_key

    def _row_problems(self, row_no: int, row: tuple) -> list[Problem]:
        """Checks across the columns of a row whose every cell was read."""
        found = self.rules.problems(row)
        if found:
            return [Problem(row_no, self.shown.get(k, k) if k else "", reason) for k, reason in found]
        if self.fields_of:
            given = self.fields_of(row)
            first_no, first = self.identities.setdefault(self.identity_of(row), (row_no, given))
            if first_no != row_no and (clash := disagreement(self.table, first, given)):
                key, theirs = clash
                return [Problem(row_no, self.shown.get(key, key),
                                f"与第 {first_no} 行的{joined_headers(self.table.identity, self.shown)}相同，"
                                f"但{self.shown.get(key, key)}不同（第 {first_no} 行为“{value_text(self.table, key, theirs)}”）")]
        if self.key_of:
            first = self.seen.setdefault(self.key_of(row), row_no)
            if first != row_no:
                return [Problem(row_no, self.key_header, f"与第 {first} 行重复")]
        return []


def values_getter(keys: tuple[str, ...], wanted: tuple[str, ...]) -> Callable[[tuple], tuple]:
    """A function giving the ``wanted`` values of a row tuple in ``keys`` order, as a tuple."""
    if not wanted:
        return lambda row: ()
    positions = [keys.index(k) for k in wanted]
    if len(positions) == 1:
        position = positions[0]
        return lambda row: (row[position],)
    return itemgetter(*positions)


def disagreement(table: SpreadsheetTable, stored: tuple | dict, given: tuple) -> tuple[str, Any] | None:
    """The first identity field on which two accounts of one identity differ (where both give a
    value), and the value the first one gave; None when they agree."""
    if isinstance(stored, dict):
        stored = tuple(stored.get(k) for k in table.identity_fields)
    for key, theirs, ours in zip(table.identity_fields, stored, given, strict=True):
        if theirs is not None and ours is not None and theirs != ours:
            return key, theirs
    return None


def joined_headers(keys: tuple[str, ...], shown: dict[str, str]) -> str:
    return "、".join(shown.get(k, k) for k in keys)


def already_present(table: SpreadsheetTable, shown: dict[str, str]) -> str:
    """Why a one-row form refuses a row whose natural key is on file (an import skips such a
    row as 已存在)."""
    return f"已存在（{joined_headers(table.natural_key, shown)}都与已有的一行相同）"


def value_text(table: SpreadsheetTable, key: str, value: Any) -> str:
    """A value as a problem may show it: a county by its name."""
    if value is not None and table.column(key).kind == "county":
        return county_name(value)
    return str(value)
