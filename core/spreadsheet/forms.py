"""One row from a form, checked exactly as an import checks a row of a file and written through
the table's own callbacks: ``write_rows`` for a new row, ``update_row`` for an edit.

The checks are the import's own code (``checking.check_one``: the cells' parsers, the county
scope and ``validate_row``; ``writing``'s identity and existing-key checks), so a form and an
import refuse the same values with the same words. The one difference: a row whose natural key
is already on file is refused (an import skips it as 已存在), since a form writes nothing else.

    result = write_one_row(ACTIVITIES, {"title": "义务维修", "held_on": "2026-05-01",
                                        "hours": "3"}, user)
    if not result.ok:
        for key, reason in result.problems: ...   # key: the column, None for the whole row

The user's permission (the table's ``permission``) and county scope are checked here, whoever
calls: a county user's row must lie in that county (a blank county is that county), and so must
the row an edit changes. The program's page only decides what is drawn.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from core.access.permissions import FORBIDDEN_ACTION, PermissionDenied, require, scoped_counties
from core.data.audit import record
from core.data.db import read_session, session_scope
from core.spreadsheet.cells import YearMonth
from core.spreadsheet.checking import ImportResult, already_present, check_one
from core.spreadsheet.table import RowProblem, RowsRefused, SpreadsheetTable

# the import's own checks against the database, called with a file of one row
from core.spreadsheet.writing import drop_existing, identity_clashes

log = logging.getLogger(__name__)


@dataclass
class FormResult:
    """What became of one row: the row as read (by column key; None where refused), its problems
    as (column key or None, reason) pairs, whether it was written, and what it is called."""

    row: dict[str, Any]
    problems: list[RowProblem] = field(default_factory=list)
    written: bool = False
    name: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def reasons(self, key: str | None) -> list[str]:
        """The reasons given for column ``key`` (None: for the whole row)."""
        return [reason for k, reason in self.problems if k == key]


def row_name(table: SpreadsheetTable, row: dict[str, Any]) -> str:
    """What a confirmation calls ``row``: the table's ``row_name``, else its first required text
    column's value, else its first text value."""
    if table.row_name is not None:
        return str(table.row_name(row))
    texts = [c for c in table.columns if c.kind == "text" and row.get(c.key)]
    chosen = next((c for c in texts if c.required), texts[0] if texts else None)
    return str(row[chosen.key]) if chosen else table.title


def _shown(table: SpreadsheetTable) -> dict[str, str]:
    return {c.key: c.header for c in table.columns}


def _key_of_header(table: SpreadsheetTable, header: str) -> str | None:
    """The column a problem of the import names by its header (several joined by 、: the first)."""
    by_header = {c.header: c.key for c in table.columns}
    return by_header.get(header) or by_header.get(header.split("、")[0])


def _stored(table: SpreadsheetTable, current: dict[str, Any], keys: tuple[str, ...]) -> tuple:
    return tuple(current.get(k) for k in keys)


def _database_problems(table: SpreadsheetTable, session, row: dict[str, Any],
                       counties: tuple[str, ...] | None, current: dict[str, Any] | None) -> list[RowProblem]:
    """The import's checks against the database, for a file of this one row: its identity on
    file as someone else (or in another county), then its natural key already present. An edit
    that keeps its identity or its key is not compared with itself."""
    keys, values = tuple(row), tuple(row.values())
    result = ImportResult(table=table.name, dry_run=True, shown=_shown(table))
    same_identity = current is not None and _stored(table, current, table.identity) == \
        tuple(row[k] for k in table.identity)
    if table.existing_identities and table.identity_fields and not same_identity:
        identity_clashes(table, session, [values], [0], keys, result, counties)
        if result.problems:
            return [(_key_of_header(table, p.header), p.reason) for p in result.problems]
    if table.check_references:
        found = table.check_references(session, [row], counties)
        if found:
            return [(key, reason) for _, key, reason in found]
    same_key = current is not None and _stored(table, current, table.natural_key) == \
        tuple(row[k] for k in table.natural_key)
    if table.existing_keys and table.natural_key and not same_key:
        drop_existing(table, session, [values], [0], keys, result)
        if result.already_present:
            return [(table.natural_key[0], already_present(table, _shown(table)))]
    return []


def _scope(user, table: SpreadsheetTable, current: dict[str, Any] | None) -> tuple[str, ...] | None:
    """The user's counties, after checking the permission and that the row an edit changes is
    within them (PermissionDenied otherwise)."""
    require(user, table.permission)
    counties = scoped_counties(user, None)
    if current is not None and counties is not None and table.county_column \
            and current.get(table.county_column) not in counties:
        raise PermissionDenied(FORBIDDEN_ACTION)
    return counties


def check_one_row(table: SpreadsheetTable, values: dict[str, Any], user, *,
                  current: dict[str, Any] | None = None) -> FormResult:
    """Check one row as the import checks a row of a file, writing nothing.

    ``values``: ``{column key: value as typed}`` (a missing key is a blank cell). ``user``: a
    CurrentUser or an Actor, who must hold the table's ``permission``; a user of one county
    may give only that county. ``current``: for an edit, the row as stored (its natural key and
    identity are then not duplicates of themselves). Raises PermissionDenied."""
    counties = _scope(user, table, current)
    row, problems = check_one(table, values, counties)
    result = FormResult(row, problems)
    if result.ok and (table.existing_keys or table.existing_identities or table.check_references):
        with read_session() as session:
            result.problems = _database_problems(table, session, row, counties, current)
    result.name = row_name(table, row) if result.ok else ""
    return result


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, YearMonth) else v for k, v in row.items()}


def write_one_row(table: SpreadsheetTable, values: dict[str, Any], user, *,
                  current: dict[str, Any] | None = None) -> FormResult:
    """Check one row as :func:`check_one_row` does and, if nothing is refused, write it in one
    audited transaction as ``user``: through ``write_rows`` (a list of this one row), or for an
    edit (``current``: the row as stored) through ``update_row`` with the stored natural key.
    A RowsRefused from the table becomes a problem of the whole row and nothing is written.
    The audit log gets a ``create`` (or ``update``) entry naming the table and the row.

    Raises PermissionDenied, and ValueError for a table that cannot take the write (no
    ``write_rows``, or no ``update_row`` for an edit)."""
    writer = table.write_rows if current is None else table.update_row
    if writer is None:
        raise ValueError(f"table {table.name}: no {'write_rows' if current is None else 'update_row'}")
    counties = _scope(user, table, current)
    row, problems = check_one(table, values, counties)
    result = FormResult(row, problems)
    if not result.ok:
        return result
    actor = getattr(user, "actor", user)  # a CurrentUser, or an Actor already
    result.name = row_name(table, row)
    try:
        with session_scope(actor) as session:
            result.problems = _database_problems(table, session, row, counties, current)
            if result.problems:
                return result
            if current is None:
                table.write_rows(session, [row], actor)
            else:
                table.update_row(session, _stored(table, current, table.natural_key), row, actor)
            record(session, "create" if current is None else "update", table=table.name,
                   county=row.get(table.county_column) if table.county_column else None,
                   before=_plain(current) if current is not None else None, after=_plain(row),
                   summary=f"{'修改' if current is not None else '新增'}{table.title}：{result.name}")
    except RowsRefused as exc:  # the table's own refusal: a problem for the user, nothing written
        result.problems.append((None, str(exc)))
        return result
    result.written = True
    return result
