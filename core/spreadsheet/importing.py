"""Importing an .xlsx: check the whole file (``checking``), then, unless anything was refused or
it is a dry run, write every new row in one transaction (``writing``). All rows or none.

    result = import_file(table, "建德名册.xlsx", actor, counties=("330182",), dry_run=True)
    for p in result.problems: print(p.row, p.header, p.reason)
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from pathlib import Path

from core.access.permissions import require, scoped_counties
from core.data.audit import Actor
from core.data.db import read_session
from core.spreadsheet.checking import ImportResult, Problem, check_rows
from core.spreadsheet.table import SpreadsheetTable
from core.spreadsheet.writing import WriteRefused, reference_problems, write_valid_rows


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
            if table.check_references and valid:  # the rows read well: their references, in the same report
                with read_session() as session:
                    reference_problems(table, session, valid, numbers, keys, result, counties)
                result.problems.sort(key=lambda p: p.row)
            return result
        try:
            write_valid_rows(table, actor, dry_run, progress, valid, numbers, keys, result, counties)
        except WriteRefused as exc:  # the plugin refused a row while writing: nothing stays written
            result.problems.append(Problem(0, "", str(exc)))
            result.written = 0
        return result

