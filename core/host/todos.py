"""To-dos for the 工作台 page (see ``jiangxin_todos`` in core.host.hookspecs).

Each plugin counts its own tasks in SQL and hands back ``Todo`` values; :func:`collect_todos`
asks every plugin, keeps what the user can act on and sorts it, most urgent and oldest first.
No Streamlit here: the page's cache is ``dashboard.workbench_data``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.settings import clock

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.access.auth import CurrentUser

NORMAL, SOON, OVERDUE = 0, 1, 2
URGENCY_LABELS = {NORMAL: "待办", SOON: "尽快处理", OVERDUE: "已逾期"}


@dataclass(frozen=True)
class Todo:
    """One kind of task a user has to do.

    ``key`` is namespaced (``registry-to-decide``); ``title`` says what is waiting (待审核的名册
    变动); ``count`` how many; ``oldest`` the date (or naive UTC timestamp) of the oldest one;
    ``link`` the url_path of the page that handles them, opened with ``link_params``;
    ``urgency`` one of NORMAL, SOON, OVERDUE (shown first); ``help`` a line saying what to do;
    ``unit`` the measure word after the count (3 件, 2 场).
    """

    key: str
    title: str
    count: int
    link: str
    oldest: dt.date | dt.datetime | None = None
    urgency: int = NORMAL
    link_params: dict[str, str] = field(default_factory=dict)
    help: str | None = None
    unit: str = "件"


def oldest_day(todo: Todo) -> dt.date | None:
    """The local date of ``todo.oldest`` (a stored timestamp is naive UTC)."""
    if isinstance(todo.oldest, dt.datetime):
        return clock.to_local(todo.oldest).date()
    return todo.oldest


def days_waiting(todo: Todo) -> int | None:
    """Whole days the oldest task has waited (None without a date): for a timestamp, full 24
    hours since it, as "older than 7 days" counts them; for a date, local days since it."""
    if isinstance(todo.oldest, dt.datetime):
        return max((clock.utcnow() - _oldest_utc(todo)).days, 0)
    if isinstance(todo.oldest, dt.date):
        return max((clock.today() - todo.oldest).days, 0)
    return None


_NEVER = dt.datetime.max


def _oldest_utc(todo: Todo) -> dt.datetime:
    """``todo.oldest`` as a naive UTC timestamp to compare (a date: the start of that local day;
    none: after every other)."""
    if isinstance(todo.oldest, dt.datetime):
        return todo.oldest if todo.oldest.tzinfo is None else clock.to_utc(todo.oldest)
    if isinstance(todo.oldest, dt.date):
        return clock.local_day_bounds(todo.oldest)[0]
    return _NEVER


def sort_key(todo: Todo) -> tuple:
    """Most urgent first, then the longest waiting, then by title."""
    return (-todo.urgency, _oldest_utc(todo), todo.title, todo.key)


def collect_todos(session: Session, user: CurrentUser) -> list[Todo]:
    """Every plugin's to-dos for ``user`` (``jiangxin_todos``), most urgent and oldest first.

    Left out: counts of 0 (or less), and to-dos whose ``link`` is no page the user may open
    (they could not act on them there). A plugin whose hook raises or returns something else
    than ``Todo`` values is reported on the 插件 page and the others' to-dos still show.
    """
    from core.host.loader import get_host

    host = get_host()
    permissions = {page.url_path: page.permission for _, page in host.pages}
    found = []
    for _plugin, todos in host.call_each("jiangxin_todos", session=session, user=user):
        for todo in todos or ():
            if todo.count <= 0 or todo.link not in permissions:
                continue
            if host.allowed(user, permissions[todo.link]):
                found.append(todo)
    return sorted(found, key=sort_key)
