"""The 工作台's to-dos, cached until anything is written (as the overview's tiles are).

The key is who asks (username, role, county: what the plugins' counts and the permission checks
depend on), the sum of every table's data version, and today's date. A write in any process
bumps a data version in the database, so every server on it recounts at its next rerun.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from core.access.auth import CurrentUser
from core.data.audit import data_version
from core.data.db import read_session
from core.host.todos import Todo, collect_todos
from core.settings import clock

# A task also turns overdue with time alone (7 days after it was filed), with no write to
# notice it by: an entry is recounted after this long at the latest.
MAX_AGE_SECONDS = 15 * 60


@st.cache_data(show_spinner=False, max_entries=1000, ttl=MAX_AGE_SECONDS)
def _todos(username: str, role: str, county: str | None, version: int, today: dt.date,
           _user: CurrentUser) -> list[Todo]:
    # ``version`` and ``today`` are only part of the key; ``_user`` (not hashed) is the user
    # the first three name.
    with read_session() as session:
        return collect_todos(session, _user)


def user_todos(user: CurrentUser) -> list[Todo]:
    """``user``'s to-dos, most urgent and oldest first (see core.host.todos.collect_todos)."""
    with read_session() as session:
        version = data_version(session)
    return _todos(user.username, user.role, user.county_code, version, clock.today(), user)
