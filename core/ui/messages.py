"""A page's message after a save, and forms that start empty again once it succeeded.

    MESSAGES = PageMessages("ws")             # one per page (its own session-state keys)
    MESSAGES.show()                           # near the top: the last save's message, once
    with st.form(f"new_{MESSAGES.round()}"):  # the round in a form's key: a new form after a save
        ...
        if st.form_submit_button("登记"):
            create(...)
            MESSAGES.done("已登记。")          # message kept, forms renewed, page rerun

``show`` draws its slot on every run, message or not: a message that came and went shifted the
page's elements, and an expander opened next (添加成员) closed at its first rerun.
"""

from __future__ import annotations

from typing import NoReturn

import streamlit as st


class PageMessages:
    """The message of a page's last save (kept across one rerun) and its forms' round."""

    def __init__(self, key: str):
        self.flash_key = f"{key}_flash"
        self.round_key = f"{key}_round"

    def round(self) -> int:
        """A number bumped by every ``done``: put it in the keys of a form's widgets."""
        return st.session_state.setdefault(self.round_key, 0)

    def done(self, message: str) -> NoReturn:
        """Keep ``message`` for the next run, start every form afresh and rerun the page."""
        st.session_state[self.flash_key] = message
        st.session_state[self.round_key] = self.round() + 1
        st.rerun()

    def take(self) -> str | None:
        """The message kept by ``done``, once (for a page that draws it itself)."""
        return st.session_state.pop(self.flash_key, None)

    def show(self) -> None:
        """The message kept by ``done``, once, in a slot drawn on every run."""
        slot = st.empty()
        message = self.take()
        if message:
            slot.success(message)
