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

    The start page (served at ``/``): for a user whose role is in some page's ``default_for``
    (roles), the first such page in navigation order that the user may open; for everyone else
    the ``default`` page (core's 总览). Only core's pages set either.
    """

    url_path: str
    title: str
    target: Callable[[], None] | str | Path
    section: str = "其他"
    icon: str | None = None
    permission: str | None = None
    order: int = 100
    default: bool = False
    default_for: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # any collection of role names is stored as a frozenset (a plain string is left as it
        # is, for the host's check to report rather than split into letters)
        if isinstance(self.default_for, set | list | tuple):
            object.__setattr__(self, "default_for", frozenset(self.default_for))


def lazy_page(module: str, name: str) -> Callable[[], None]:
    """A page ``target`` that imports ``module`` (and so Streamlit and the page's own imports)
    only when the page is drawn, then calls its function ``name``: the command line and the
    other plugins never pay for a plugin's pages.

        Page(url_path="volunteer-list", title="志愿服务", target=lazy_page("plugins.volunteer.pages", "list_page"))
    """

    def page() -> None:
        import importlib

        getattr(importlib.import_module(module), name)()

    page.__name__ = name  # Streamlit names a page without a url_path after its function
    return page
