"""Spreadsheet tables: a plugin describes a table's columns once and gets a template, a
validating import and a streaming export from core (``core.spreadsheet``, ``core.spreadsheet``).

    PEOPLE = SpreadsheetTable(
        name="roster", title="劳模名册",
        columns=(Column("name", "姓名", required=True),
                 Column("id_number", "公民身份号码", kind="id_number", required=True,
                        aliases=("身份证号", "身份证号码")),
                 Column("county_code", "所属区县", kind="county", required=True)),
        natural_key=("id_number",), county_column="county_code",
        existing_keys=..., write_rows=..., export_rows=...)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

KINDS = ("text", "integer", "decimal", "date", "choice", "id_number", "phone", "county")
DEFAULT_TEXT_LENGTH = 200  # a text column's bound when the table gives none
KIND_LABELS = {"text": "文本", "integer": "整数", "decimal": "数字", "date": "日期",
               "choice": "选项", "id_number": "身份证号码", "phone": "电话", "county": "区县"}


@dataclass(frozen=True)
class Column:
    """One column.

    ``key`` names it in code; ``header`` is its Chinese heading, ``aliases`` other headings
    accepted on import. ``kind`` is one of KINDS; ``choices`` lists the allowed values of a
    choice column; ``month_ok`` lets a date column keep month precision (1968.05);
    ``help`` is shown on the template's explanation sheet. ``max_length`` bounds a text
    column (characters; default DEFAULT_TEXT_LENGTH): give the length of the database column
    the value goes to, so an import refuses what the database could not store.
    """

    key: str
    header: str
    kind: str = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    month_ok: bool = False
    help: str = ""
    max_length: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.key}: unknown kind {self.kind!r} (one of {KINDS})")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"column {self.key}: a choice column needs choices")
        if self.max_length is not None and self.max_length < 1:
            raise ValueError(f"column {self.key}: max_length must be positive")

    @property
    def length(self) -> int:
        """The most characters a text value of this column may have."""
        return self.max_length or DEFAULT_TEXT_LENGTH


# (column key or None for the whole row, reason in Chinese)
RowProblem = tuple[str | None, str]


class RowsRefused(Exception):
    """Raised by a table's ``write_rows`` to refuse the rows it was given: the message (Chinese,
    shown as is) becomes a problem of the import and nothing of it is written. Any other
    exception from ``write_rows`` is a bug: it is logged and propagates, and nothing is written
    either."""


@dataclass(frozen=True)
class SpreadsheetTable:
    """A table offered for template, import and export; ``name`` is unique across plugins.

    - ``natural_key``: the column keys that identify a row (e.g. the ID number); a row whose key
      is already in the file or in the database is reported, never written twice.
    - ``county_column``: the column holding the county code, for the user's county scope.
    - ``validate_row(row) -> list[RowProblem]``: checks across columns (e.g. gender against
      the ID number), after each cell was parsed.
    - ``existing_keys(session, keys) -> set``: which of these natural-key tuples exist.
    - ``write_rows(session, rows, actor) -> None``: write valid rows (called in batches, all in
      one transaction; use SQLAlchemy Core and ``core.data.audit.bump_versions`` for speed).
    - ``export_rows(session, counties) -> iterable of dicts``: rows keyed by column key,
      restricted to ``counties`` (None: the whole city), streamed.
    - ``export_sheets(session, counties) -> iterable of core.spreadsheet.Sheet``: the export as
      several sheets (the roster: one row per person, then one per honour); when given, the
      export writes these instead of ``export_rows``' one sheet, and reports the first sheet's
      row count (the audit entry names every sheet's).
    - ``permission``: needed to import or export (None: any signed-in user).
    - ``identity``: the column keys that name one real thing, such as a person's ID number,
      when a row's natural key is more than that (a person with two honours is two rows).
      Rows sharing an identity must agree on ``identity_fields`` (name, birth date, county)
      wherever both give a value: within the file, and with what ``existing_identities``
      finds in the database. A row that disagrees is refused, never merged into another
      person.
    - ``existing_identities(session, keys) -> {key: {field: value}}``: for each identity
      tuple already on file, its stored ``identity_fields`` (the county column among them,
      so an identity outside the user's counties is reported without naming anyone).
    - ``done_message``: what the import panel says once the rows are in, formatted with ``n``
      (the rows written) and ``skipped`` (“，跳过已存在的 2 行” or nothing): say what happened to
      them, e.g. “已提交 {n} 件新增申请，等待审核{skipped}。” when rows become requests.
    - ``update_row(session, key, row, actor) -> None``: change the one row whose natural key is
      ``key`` (the key as it was) to ``row`` (every column, checked as ``write_rows``' rows are);
      only a one-row form's edit variant calls it (``core.spreadsheet.form_widget.table_form``
      with ``values``). May raise RowsRefused. Without it a table's rows cannot be edited there.
    - ``check_references(session, rows, counties) -> list[(index, column key or None, reason)]``:
      checks that need the database, row by row, such as a studio or a person the row names
      that must exist within ``counties`` (None: the whole city). ``index`` is the row's place
      in ``rows``; each problem is reported at its row and column (Chinese reason), and an
      import with any of them writes nothing. It also runs on the rows that read well of a
      file with other problems, so one report names them all. Called with batches of at most 1,000 rows
      (dicts keyed by column key), before ``existing_keys``; a one-row form calls it too.
    - ``row_name(row) -> str``: what a form's confirmation and audit entry call a row (a
      person's name, an activity's title); by default its first required text column.
    """

    name: str
    title: str
    columns: tuple[Column, ...]
    natural_key: tuple[str, ...] = ()
    county_column: str | None = None
    permission: str | None = None
    validate_row: Callable[[dict[str, Any]], list[RowProblem]] | None = None
    existing_keys: Callable[[Any, list[tuple]], set[tuple]] | None = None
    write_rows: Callable[[Any, list[dict[str, Any]], Any], None] | None = None
    export_rows: Callable[[Any, tuple[str, ...] | None], Iterable[dict[str, Any]]] | None = None
    identity: tuple[str, ...] = ()
    identity_fields: tuple[str, ...] = ()
    existing_identities: Callable[[Any, list[tuple]], dict[tuple, dict[str, Any]]] | None = None
    done_message: str = "已导入 {n} 行{skipped}。"
    export_sheets: Callable[[Any, tuple[str, ...] | None], Iterable[Any]] | None = None
    update_row: Callable[[Any, tuple, dict[str, Any], Any], None] | None = None
    row_name: Callable[[dict[str, Any]], str] | None = None
    check_references: Callable[[Any, list[dict[str, Any]], tuple[str, ...] | None],
                               list[tuple[int, str | None, str]]] | None = None

    @property
    def exportable(self) -> bool:
        return self.export_rows is not None or self.export_sheets is not None

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)
