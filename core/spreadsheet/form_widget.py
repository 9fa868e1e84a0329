"""A one-row form drawn from a spreadsheet table's columns, for plugin pages (imports Streamlit).

    from core.spreadsheet import table_form
    table_form(ACTIVITIES, user, key="add_activity")                   # a new row
    table_form(ACTIVITIES, user, key=f"edit_{row_id}", values=stored)   # change one stored row

Each column gets its widget (``column_input``): a choice a select, a county a select of the
counties (locked to their own for a user of one county), every other kind a text box that takes
what a spreadsheet cell takes (dates as 2026-05-01, 2026年5月1日 or, for a ``month_ok`` column,
2026-05; numbers with full-width digits; ID numbers and phones as typed). On submit the row is
checked and written by ``core.spreadsheet.forms.write_one_row``, with the import's own checks
and words; each problem shows under its field. After a successful submit the form starts empty
again (its widgets' keys carry a counter that is bumped) and the confirmation, naming the row,
shows after the rerun: a second click has nothing to send twice.

Not ``core.ui.dates.date_field`` for dates: it reports its own errors in its own words and takes
no month precision; here a date is read by the import's parser, so a ``month_ok`` column takes
1968-05 as its import does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import streamlit as st

from core.access.permissions import PermissionDenied
from core.settings.counties import county_name, load_counties
from core.spreadsheet.cells import YearMonth
from core.spreadsheet.forms import FormResult, write_one_row
from core.spreadsheet.table import Column, SpreadsheetTable
from core.ui import current_user, host
from core.ui.dates import PLACEHOLDER as DATE_PLACEHOLDER
from core.ui.text import literal

NOT_GIVEN = "（不填）"
PLACEHOLDERS = {
    "id_number": "18 位，末位可为 X",
    "phone": "手机号或座机号，如 0571-64712345",
    "integer": "整数",
    "decimal": "数字，如 2.5",
    "date": DATE_PLACEHOLDER,
}
MONTH_PLACEHOLDER = "如 2024-05-01，或只写到月份：2024-05"
# the longest a value of these kinds is typed, with room for spaces and full-width characters
MAX_CHARS = {"id_number": 30, "integer": 40, "decimal": 40, "date": 20}


def shown_value(value: Any) -> str:
    """A stored value as its text box shows it: 2026-05-01, 1968-05, 3.5."""
    if value is None:
        return ""
    if isinstance(value, YearMonth):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _county_options(column: Column, user) -> tuple[list[str], bool]:
    """The county codes offered, and whether the choice is locked (a user of one county)."""
    own = getattr(user, "county_code", None)
    if own:
        return [own], True
    codes = [c.code for c in load_counties()]
    return (codes if column.required else ["", *codes]), False


def column_input(column: Column, user=None, *, key: str, value: Any = None, label: str | None = None,
                 placeholder: str | None = None, container=st) -> Any:
    """Draw ``column``'s widget and return what was typed or chosen, unchecked: give it to
    ``core.spreadsheet.forms`` (or ``checking.check_one``), which read it as the import reads a
    cell. ``value`` fills it in (a stored value); ``label`` replaces the column's header.

    A required choice or (city user's) county starts unchosen (“请选择”), an optional one at
    “（不填）”; a county is locked to their own for a user of one county (``user.county_code``)."""
    label = literal(label or column.header)  # headers are the plugin's, but never Markdown
    help_text = literal(column.help) if column.help else None
    if column.kind in ("choice", "county"):
        if column.kind == "choice":
            options, locked = (list(column.choices) if column.required else ["", *column.choices]), False
        else:
            options, locked = _county_options(column, user)
        index = options.index(value) if value in options else 0 if (locked or "" in options) else None
        name = county_name if column.kind == "county" else str
        return container.selectbox(label, options, index=index, key=key, disabled=locked, help=help_text,
                                   placeholder="请选择", format_func=lambda v: name(v) if v else NOT_GIVEN)
    if placeholder is None:
        placeholder = MONTH_PLACEHOLDER if column.kind == "date" and column.month_ok else \
            PLACEHOLDERS.get(column.kind, "")
    return container.text_input(label, value=shown_value(value), key=key, help=help_text,
                                placeholder=placeholder or None,
                                max_chars=MAX_CHARS.get(column.kind, column.length))


def show_problems(result: FormResult, slots: dict[str | None, Any], labels: dict[str, str]) -> None:
    """Each problem under its field, in the import's words (``slots``: a placeholder per column
    key drawn). The row's own problems, and those of columns not drawn (named: “header：reason”,
    as the import's error list pairs them), go to the placeholder under None."""
    by_slot: dict[str | None, list[str]] = {}
    for key, reason in result.problems:
        if key in slots:
            by_slot.setdefault(key, []).append(literal(reason))
        else:
            by_slot.setdefault(None, []).append(
                f"{literal(labels[key])}：{literal(reason)}" if key in labels else literal(reason))
    for slot, texts in by_slot.items():
        with slots[slot].container():
            for text in texts:
                st.error(text)


def _round_key(key: str) -> str:
    return f"jx_form_round-{key}"


def _flash_key(key: str) -> str:
    return f"jx_form_flash-{key}"


def table_form(table: SpreadsheetTable | str, user=None, *, key: str, values: dict[str, Any] | None = None,
               columns: Sequence[str] | None = None, labels: dict[str, str] | None = None,
               submit_label: str | None = None, done_message: str | None = None,
               fixed: dict[str, Any] | None = None) -> None:
    """A form for one row of ``table`` (a table, or a registered table's name), written as
    ``user`` (default: the signed-in user) when submitted.

    - ``key``: the form's key (ASCII), unique on the page: its submit button is
      ``FormSubmitter:{key}-{submit_label}``.
    - ``values``: the stored row to edit (by column key): the form is filled in with it and
      written through the table's ``update_row``; without it the form adds a row through
      ``write_rows``.
    - ``columns``: the column keys to draw, in order (default: all). A column not drawn is
      blank in a new row and keeps its stored value in an edit.
    - ``labels``: another label for some columns (default: their headers).
    - ``submit_label``: default 提交 (保存修改 for an edit).
    - ``done_message``: the confirmation, formatted with ``name`` (what the table calls the row,
      ``SpreadsheetTable.row_name``): default “已添加“{name}”。” (“已修改“{name}”。”).
    - ``fixed``: values of columns not drawn that every row this form writes has (a studio's
      page fixes the studio, its county and the year, and only the figures are typed); they
      are checked and written like typed values, so the county scope and audit see them.

    A user without the table's ``permission`` sees “无权访问”."""
    if isinstance(table, str):
        found = host().spreadsheet_tables.get(table)
        if found is None:
            st.error(f"未找到表格 {literal(table)}")
            return
        table = found
    user = user or current_user()
    if not host().allowed(user, table.permission):
        st.error("无权访问")
        return
    editing = values is not None
    if (table.update_row if editing else table.write_rows) is None:
        st.error(f"{literal(table.title)}不能在这里{'修改' if editing else '添加'}")
        return
    slot = st.empty()  # drawn on every run: a message shown once must not move what follows
    message = st.session_state.pop(_flash_key(key), None)
    if message:
        slot.success(message)
    drawn = [table.column(k) for k in columns] if columns else list(table.columns)
    labels = {**{c.key: c.header for c in table.columns}, **(labels or {})}
    n = st.session_state.setdefault(_round_key(key), 0)
    submit_label = submit_label or ("保存修改" if editing else "提交")
    with st.form(key):
        typed: dict[str, Any] = {}
        slots: dict[str | None, Any] = {}
        for column in drawn:
            typed[column.key] = column_input(column, user, key=f"{key}-{column.key}-{n}",
                                             value=(values or {}).get(column.key), label=labels[column.key])
            slots[column.key] = st.empty()  # its problems, under it
        slots[None] = st.empty()
        if not st.form_submit_button(submit_label):
            return
        try:
            result = write_one_row(table, {**(values or {}), **(fixed or {}), **typed}, user, current=values)
        except PermissionDenied as exc:
            slots[None].error(literal(exc))
            return
        if not result.ok:
            show_problems(result, slots, labels)
            return
    # cleared: the next run draws the form with new keys, and says what was written
    done = done_message or ("已修改“{name}”。" if editing else "已添加“{name}”。")
    st.session_state[_flash_key(key)] = done.format(name=literal(result.name))
    st.session_state[_round_key(key)] = n + 1
    st.rerun()
