"""The events' spreadsheet tables (stub: filled in by #14's work in progress)."""

TABLES: list = []
