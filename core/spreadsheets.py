"""Spreadsheet tables a plugin offers for template, import and export.

This is the registration contract; the reading and writing layer builds on it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One column: ``key`` in code, ``header`` in Chinese, ``aliases`` also accepted on import."""

    key: str
    header: str
    kind: str = "text"  # text, integer, decimal, date, choice, id_number, phone
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpreadsheetTable:
    """A table that can be exported and imported: ``name`` is unique across plugins."""

    name: str
    title: str
    columns: tuple[Column, ...]
    natural_key: tuple[str, ...] = ()
    permission: str | None = None
