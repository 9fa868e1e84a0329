"""A date typed as the spreadsheets write it, instead of Streamlit's date picker.

``st.date_input`` in Streamlit 1.67 draws its field in American segments (``yyyy / mm / dd`` when
empty), names its parts and its calendar button in English, and draws the calendar in the
browser's language ("November", "S M T W T F S" on an English system); none of it can be set.
A text field that takes the dates the roster's spreadsheets take (1968-05-03, 1968.5.3,
1968年5月3日, 19680503; :func:`core.spreadsheet.cells.parse_date`) is all Chinese, and works the
same way on a phone::

    from core.ui.dates import date_field
    day = date_field("去世日期", max_value=clock.today(), key="death_date")
    if day is None: ...   # empty, or not a date (the field already says why, in Chinese)
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from core.spreadsheet.cells import CellError, parse_date

PLACEHOLDER = "如 2024-05-01 或 2024年5月1日"


def parse_day(text: str, *, min_value: dt.date | None = None,
              max_value: dt.date | None = None) -> dt.date | None:
    """The date ``text`` names (None when empty), or :class:`CellError` saying in Chinese why not."""
    text = (text or "").strip()
    if not text:
        return None
    day = parse_date(text)
    if min_value is not None and day < min_value:
        raise CellError(f"日期不能早于 {min_value.isoformat()}")
    if max_value is not None and day > max_value:
        raise CellError(f"日期不能晚于 {max_value.isoformat()}")
    return day


def date_field(label: str, *, value: dt.date | None = None, min_value: dt.date | None = None,
               max_value: dt.date | None = None, key: str | None = None,
               help: str | None = None, container=st) -> dt.date | None:
    """A text field for one date: the date typed, or None when it is empty or no date (then the
    field's error says why, in Chinese, under it)."""
    text = container.text_input(label, value=value.isoformat() if value else "", key=key,
                                placeholder=PLACEHOLDER, help=help, max_chars=20)
    try:
        return parse_day(text, min_value=min_value, max_value=max_value)
    except CellError as exc:
        container.error(f"{label}：{exc}")
        return None
