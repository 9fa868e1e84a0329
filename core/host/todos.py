"""To-dos for the 工作台 page (see ``jiangxin_todos`` in core.host.hookspecs)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

NORMAL, SOON, OVERDUE = 0, 1, 2
URGENCY_LABELS = {NORMAL: "待办", SOON: "尽快处理", OVERDUE: "已逾期"}


@dataclass(frozen=True)
class Todo:
    """One kind of task a user has to do.

    ``key`` is namespaced (``registry-to-decide``); ``title`` says what is waiting (待审核的名册
    变动); ``count`` how many; ``oldest`` the date (or naive UTC timestamp) of the oldest one;
    ``link`` the url_path of the page that handles them, opened with ``link_params``;
    ``urgency`` one of NORMAL, SOON, OVERDUE (shown first).
    """

    key: str
    title: str
    count: int
    link: str
    oldest: dt.date | dt.datetime | None = None
    urgency: int = NORMAL
    link_params: dict[str, str] = field(default_factory=dict)
    help: str | None = None
