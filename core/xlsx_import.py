"""Importing an .xlsx the way counties fill them: find the header, read every row, report every
problem at once, and write all rows or none.

    result = import_file(table, "建德名册.xlsx", actor, counties=("330182",), dry_run=True)
    for p in result.problems: print(p.row, p.header, p.reason)

Reading uses python-calamine (about ten times faster than openpyxl, see docs/performance.md).
"""

from __future__ import annotations

import functools
import gc
import itertools
import logging
import threading
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

import python_calamine

from core import cells, clock
from core.audit import Actor, record
from core.counties import county_lookup, county_name
from core.db import session_scope
from core.permissions import require, scoped_counties
from core.spreadsheets import Column, RowsRefused, SpreadsheetTable

log = logging.getLogger(__name__)

HEADER_SCAN_ROWS = 30
NOTE_PREFIXES = ("填表人", "填报人", "制表人", "制表", "审核人", "负责人", "联系人", "联系电话",
                 "备注", "说明", "注")
NOTE_SEPARATORS = ("：", ":", " ", "　")
BATCH = 2000
CHUNK = 5000  # rows checked together, column by column
CACHE_CELLS = 20_000  # parsed values remembered per column
KEEP_BAD_ROWS = 5000  # raw rows kept for the error report
PREVIEW_ROWS = 20
SHOWN_IGNORED = 20  # ignored columns named in a message
SHOWN_HEADER = 30   # characters of each
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")


class UnreadableFile(Exception):
    """The file cannot be read as .xlsx; the message (Chinese) says why."""


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
    from core.xlsx_limits import check_limits  # here: its TooLarge subclasses UnreadableFile

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


def _is_blank_row(values: list[Any]) -> bool:
    return all(v == "" or v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _is_note_row(values: list[Any]) -> bool:
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


def _parser(column: Column) -> Callable[[Any], Any]:
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
        lookup = county_lookup()  # once per import: the county list is configuration
        return lambda v: cells.parse_county(v, lookup)
    if kind == "phone":
        return cells.parse_phone
    today = clock.today()  # the users' date (core.clock)
    return lambda v: cells.parse_id_number(v, today)


def _missing_columns(table: SpreadsheetTable, mapping: dict[int, Column],
                     only_county: str | None) -> list[Column]:
    found = {c.key for c in mapping.values()}
    # staff of one county may leave the county out: it is theirs
    return [c for c in table.columns if c.required and c.key not in found
            and not (c.key == table.county_column and only_county)]


def _find_table(table: SpreadsheetTable, path: str | Path, only_county: str | None):
    """The first visible sheet whose header has every required column (a 填表说明 sheet may
    come first), else the first sheet: (its name and position, its rows, its first rows, the
    header found)."""
    first = None
    for position, (name, rows) in enumerate(read_sheets(path)):
        head = list(itertools.islice(rows, HEADER_SCAN_ROWS))
        located = locate_header(table, head)
        if located is not None and not _missing_columns(table, located[1], only_county):
            return name, position, rows, head, located
        first = first or (name, position, rows, head, located)
    return first or ("", 0, iter(()), [], None)


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


def check_rows(table: SpreadsheetTable, path: str | Path, *, counties: tuple[str, ...] | None,
               progress: Callable[[int], None] | None = None):
    """Read and validate every row. Returns (result, valid rows as tuples of values in
    ``keys`` order, their row numbers, ``keys``); tuples take a third of a dict's memory."""
    result = ImportResult(table=table.name, dry_run=True)
    only_county = counties[0] if counties and len(counties) == 1 else None
    result.sheet, result.sheet_position, rows, head, located = _find_table(table, path, only_county)
    if located is None:
        reason = "工作表是空的" if not any(not _is_blank_row(v) for _, v in head) else \
            "找不到表头：请确认表格中有“" + "”“".join(c.header for c in table.columns if c.required) + "”等列"
        result.problems.append(Problem(0, "", reason))
        return result, [], [], ()
    index, mapping, unknown = located
    header_row, header_values = head[index]
    result.headers = [cells.clean_text(v) for v in header_values]
    result.ignored_columns = unknown
    for column in _missing_columns(table, mapping, only_county):
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
        if _is_blank_row(values) or (len(values) - values.count("") <= 3 and _is_note_row(values)):
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
    ``keys`` order, with their row numbers, until the first problem."""

    def __init__(self, table: SpreadsheetTable, mapping: dict[int, Column], header_values: list[Any],
                 counties: tuple[str, ...] | None, only_county: str | None,
                 result: ImportResult) -> None:
        self.table, self.counties, self.only_county, self.result = table, counties, only_county, result
        self.county_key = table.county_column
        # problems name a column as the file does (身份证号), not as the table calls it
        self.shown = {c.key: cells.clean_text(header_values[j]) for j, c in mapping.items()}
        self.checks = [
            (j, c.key, self.shown[c.key],
             ColumnCheck(_parser(c), c.required and not (c.key == self.county_key and self.only_county)))
            for j, c in mapping.items()]
        # every column of the table, also those the file lacks: validate_row and write_rows see
        # the same keys, and a county filled in from the user's scope is kept
        self.keys = tuple(c.key for c in table.columns)
        self.county_at = self.keys.index(self.county_key) if self.county_key else None
        # the natural key of a row tuple (a single value for a one-column key)
        self.key_of = itemgetter(*(self.keys.index(k) for k in table.natural_key)) \
            if table.natural_key else None
        self.key_header = "、".join(self.shown.get(k, k) for k in table.natural_key)
        self.seen: dict[Any, int] = {}
        # one real person per ID number: the first row of each identity, and what it said
        self.identity_of = _getter(self.keys, table.identity)
        self.fields_of = _getter(self.keys, table.identity_fields) if table.identity_fields else None
        self.identities: dict[Any, tuple[int, tuple]] = {}
        self.valid: list[tuple] = []
        self.numbers: list[int] = []

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
            elif not result.problems:  # once anything is refused, valid rows are not kept
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
        county_at, counties = self.county_at, self.counties
        if county_at is not None and counties is not None and row[county_at] not in counties:
            return [Problem(row_no, self.shown.get(self.county_key, self.county_key),
                            f"{county_name(row[county_at])} 不在您可导入的区县范围内")]
        if self.table.validate_row:
            found = self.table.validate_row(dict(zip(self.keys, row, strict=True)))
            if found:
                return [Problem(row_no, self.shown.get(k, k) if k else "", reason) for k, reason in found]
        if self.fields_of:
            given = self.fields_of(row)
            first_no, first = self.identities.setdefault(self.identity_of(row), (row_no, given))
            if first_no != row_no and (clash := _disagreement(self.table, first, given)):
                key, theirs = clash
                return [Problem(row_no, self.shown.get(key, key),
                                f"与第 {first_no} 行的{_joined(self.table.identity, self.shown)}相同，"
                                f"但{self.shown.get(key, key)}不同（第 {first_no} 行为“{_text(self.table, key, theirs)}”）")]
        if self.key_of:
            first = self.seen.setdefault(self.key_of(row), row_no)
            if first != row_no:
                return [Problem(row_no, self.key_header, f"与第 {first} 行重复")]
        return []


def _getter(keys: tuple[str, ...], wanted: tuple[str, ...]) -> Callable[[tuple], tuple]:
    """A function giving the ``wanted`` values of a row tuple in ``keys`` order, as a tuple."""
    if not wanted:
        return lambda row: ()
    positions = [keys.index(k) for k in wanted]
    if len(positions) == 1:
        position = positions[0]
        return lambda row: (row[position],)
    return itemgetter(*positions)


def _disagreement(table: SpreadsheetTable, stored: tuple | dict, given: tuple) -> tuple[str, Any] | None:
    """The first identity field on which two accounts of one identity differ (where both give a
    value), and the value the first one gave; None when they agree."""
    if isinstance(stored, dict):
        stored = tuple(stored.get(k) for k in table.identity_fields)
    for key, theirs, ours in zip(table.identity_fields, stored, given, strict=True):
        if theirs is not None and ours is not None and theirs != ours:
            return key, theirs
    return None


def _joined(keys: tuple[str, ...], shown: dict[str, str]) -> str:
    return "、".join(shown.get(k, k) for k in keys)


def _text(table: SpreadsheetTable, key: str, value: Any) -> str:
    """A value as a problem may show it: a county by its name."""
    if value is not None and table.column(key).kind == "county":
        return county_name(value)
    return str(value)


class _CollectorPause:
    """Pauses Python's cycle collector while imports run: an import allocates millions of
    objects and frees none of them in cycles, and rescanning its growing list of rows cost
    about a sixth of the import's time. Concurrent imports share one pause."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._was_enabled = True

    def __enter__(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._depth += 1

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0 and self._was_enabled:
                gc.enable()


collector_paused = _CollectorPause()


def import_file(table: SpreadsheetTable, path: str | Path, actor: Actor, *,
                counties: tuple[str, ...] | None = None, dry_run: bool = False,
                progress: Callable[[int], None] | None = None) -> ImportResult:
    """Validate the whole file; unless ``dry_run`` or anything was refused, write every new row
    in one transaction (rows whose natural key already exists are skipped and listed).

    ``actor`` (an Actor or a CurrentUser; the command line's is an administrator) must hold the
    table's ``permission``, and ``counties`` must lie within the actor's county (PermissionDenied
    otherwise); an actor with a county and ``counties`` None imports into that county only."""
    require(actor, table.permission)
    counties = scoped_counties(actor, counties)
    with collector_paused:
        result, valid, numbers, keys = check_rows(table, path, counties=counties, progress=progress)
        result.dry_run = dry_run
        if not result.ok:
            return result
        try:
            _write(table, actor, dry_run, progress, valid, numbers, keys, result, counties)
        except WriteRefused as exc:  # the plugin refused a row while writing: nothing stays written
            result.problems.append(Problem(0, "", str(exc)))
            result.written = 0
        return result


class WriteRefused(Exception):
    """A table's write_rows refused the batch (it raised RowsRefused); the transaction is undone."""


def _write(table, actor, dry_run, progress, valid, numbers, keys, result, counties) -> None:
    with session_scope(actor, write=not dry_run) as session:
        if table.existing_identities and table.identity_fields:
            _identity_clashes(table, session, valid, numbers, keys, result, counties)
            if result.problems:
                return
        if table.existing_keys and table.natural_key:
            valid = _drop_existing(table, session, valid, numbers, keys, result)
        if dry_run or not valid:
            if not dry_run:
                record(session, "import", table=table.name, summary=_summary(result))
            return
        for start in range(0, len(valid), BATCH):
            batch = [dict(zip(keys, values, strict=True)) for values in valid[start:start + BATCH]]
            try:
                table.write_rows(session, batch, actor)
            except RowsRefused as exc:  # the plugin's own refusal: a problem for the user
                raise WriteRefused(str(exc)) from exc
            except Exception:  # a bug in the plugin: logged, raised, and the transaction undone
                log.exception("import into %s: write_rows failed", table.name)
                raise
            result.written += len(batch)
            if progress:
                progress(result.rows + start)
        record(session, "import", table=table.name, summary=_summary(result))


def _identity_clashes(table, session, valid, numbers, keys, result, counties) -> None:
    """Refuse rows whose identity (ID number) is on file as someone else: another name or birth
    date, or another county. Outside the user's counties nothing about the person is said."""
    identity_of = _getter(keys, table.identity)
    fields_of = _getter(keys, table.identity_fields)
    wanted = list(dict.fromkeys(map(identity_of, valid)))
    stored: dict[tuple, dict[str, Any]] = {}
    for start in range(0, len(wanted), 1000):
        stored.update(table.existing_identities(session, wanted[start:start + 1000]))
    if not stored:
        return
    shown = result.shown
    id_header = _joined(table.identity, shown)
    county_key = table.county_column
    for row, row_no in zip(valid, numbers, strict=True):
        known = stored.get(identity_of(row))
        if known is None:
            continue
        if counties is not None and county_key in known and known[county_key] not in counties:
            problem = Problem(row_no, id_header, f"该{id_header}无法在本区县登记，请联系市协会")
        elif clash := _disagreement(table, known, fields_of(row)):
            key, theirs = clash
            header = shown.get(key, key)
            kept = "" if table.column(key).kind == "date" else f"为“{_text(table, key, theirs)}”"
            problem = Problem(row_no, header, f"名册中该{id_header}登记的{header}{kept}，与本行不符："
                                              "请核对号码；同一人请与名册保持一致")
        else:
            continue
        result.problems.append(problem)
        if len(result.bad_rows) < KEEP_BAD_ROWS:
            values = dict(zip(keys, row, strict=True))
            result.bad_rows[row_no] = [str(v) if isinstance(v, tuple) else v
                                       for v in (values.get(k) if k else None for k in result.file_keys)]


def _drop_existing(table, session, valid, numbers, columns, result) -> list[tuple]:
    positions = [columns.index(k) for k in table.natural_key]
    if len(positions) == 1:
        keys = [(r[positions[0]],) for r in valid]
    else:
        keys = list(map(itemgetter(*positions), valid))
    present: set[tuple] = set()
    for start in range(0, len(keys), 1000):
        present |= table.existing_keys(session, keys[start:start + 1000])
    if not present:
        return valid
    kept = []
    for row, key, row_no in zip(valid, keys, numbers, strict=True):
        if key in present:
            result.already_present.append(row_no)
        else:
            kept.append(row)
    return kept


def _summary(result: ImportResult) -> str:
    skipped = f"，跳过已存在 {len(result.already_present)} 行" if result.already_present else ""
    return f"导入 {result.table}：读取 {result.rows} 行，写入 {result.written} 行{skipped}"
