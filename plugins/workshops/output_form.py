"""The one-row form of a studio's yearly output (填报年度成果), drawn from the ``OUTPUT``
spreadsheet table: the studio, its county and the year are fixed; the numbers are typed and
checked as an import checks them. When the year is already on file the form edits it."""

from __future__ import annotations

from typing import Any

import streamlit as st
from sqlalchemy import select

from core.data.db import read_session
from core.spreadsheet import table_form
from plugins.workshops.models import Output
from plugins.workshops.spreadsheet import FIELD_KEYS, studio_output_edit_table


def stored_output(studio_id: int, year: int) -> dict[str, Any] | None:
    """The studio's output of ``year`` as the form shows it (by column key), or None."""
    with read_session() as session:
        found = session.execute(select(*(getattr(Output, k) for k in FIELD_KEYS))
                                .where(Output.studio_id == studio_id, Output.year == year)).mappings().first()
    return dict(found) if found is not None else None


def output_form(user, studio, year: int) -> None:
    """Draw the form of ``studio``'s output in ``year`` (``studio``: anything with ``id``,
    ``name`` and ``county_code``): adds the year, or edits it when it is on file. Permission
    (workshops.edit) and county scope are checked by core's form and the table's callbacks."""
    key = f"ws_output_{studio.id}_{year}"
    fixed = {"studio_name": studio.name, "county_code": studio.county_code, "year": year}
    stored = stored_output(studio.id, year)
    if stored is not None:
        st.caption(f"{year} 年的成果已填报，修改后点“保存修改”。")
    # only the figures are drawn; the studio, its county and the year are fixed, and checked
    # and written (and audited with the county) as an import's row would be
    table_form(studio_output_edit_table(), user, key=key, columns=FIELD_KEYS, fixed=fixed,
               values={**fixed, **stored} if stored is not None else None,
               done_message="已保存“{name}”。")
