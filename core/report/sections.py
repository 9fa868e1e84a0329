"""What a plugin hands core for the yearly report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ReportTable:
    """A table of the report: ``rows`` are dicts with Chinese keys (the column headings), in
    order; it becomes a table in the document and a sheet named ``title`` in the workbook."""

    title: str
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class ReportSection:
    """One plugin's part of the yearly report.

    ``key`` is namespaced (``registry-roster``); ``text`` is a paragraph (or several, split by
    blank lines) written from the figures, shown as plain text, never Markdown; ``tables`` and
    ``charts`` (Altair charts, each with a title saying what it counts) follow it in order.
    Sections are sorted by ``order`` then title.
    """

    key: str
    title: str
    text: str = ""
    tables: list[ReportTable] = field(default_factory=list)
    charts: list[Any] = field(default_factory=list)
    order: int = 100
