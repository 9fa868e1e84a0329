"""What a plugin hands the host to add a page (see ``jiangxin_pages`` in core.host.hookspecs)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

URL_PATH_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)+$")


@dataclass(frozen=True)
class Page:
    """A page of the dashboard.

    ``url_path`` must start with the plugin's name and a dash (``registry-people``): it is the
    page's address and its identity, so two plugins can never collide by accident.
    ``target`` is a function that draws the page, or the path of a script file.
    ``permission`` is the permission a user needs to see the page (None: any signed-in user).
    Pages are shown grouped by ``section``, sorted by ``order`` then title.
    """

    url_path: str
    title: str
    target: Callable[[], None] | str | Path
    section: str = "其他"
    icon: str | None = None
    permission: str | None = None
    order: int = 100
    default: bool = False
