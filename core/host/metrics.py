"""Metrics for the overview page (see ``jiangxin_metrics`` in core.host.hookspecs)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class MetricContext:
    """What a metric is computed for.

    ``counties`` is the county filter already narrowed to the user's scope: None means the whole
    city; ``year`` None means all years. Use :meth:`county_filter` on a county column. A metric
    that counts "this year" takes it from :func:`core.settings.clock.this_year` (Beijing time) and compares
    timestamps with :func:`core.settings.clock.local_year_bounds`, never the server's clock or UTC.
    """

    session: Session
    counties: tuple[str, ...] | None
    year: int | None

    def county_filter(self, column: ColumnElement) -> ColumnElement[bool]:
        """A WHERE clause keeping rows of the selected counties (true for the whole city)."""
        from core.access.permissions import in_counties

        return in_counties(column, self.counties)


@dataclass
class MetricResult:
    """A tile: a headline ``value``, optionally a ``chart`` (Altair) and ``rows`` behind it.

    ``help`` is the tooltip; ``caption`` a short line shown under the number without hovering
    (what a reader must not miss, e.g. 其中 3 件超过 7 天). The ``chart`` draws what ``value``
    counts (or its title says what it draws instead); a tile at 0, or whose chart has nothing to
    draw, shows 暂无数据 in its place. ``rows`` (a list of dicts with Chinese keys) become the
    tile's sheet in the Excel download.

    ``link_params`` are the query parameters of the tile's 查看明细 link, so that the linked
    page lists exactly what ``value`` counts (e.g. ``{"level": "全国"}``); the overview adds
    ``county`` (a county code) and ``year`` (e.g. ``"2023"``) when those filters are chosen, unless
    ``link_params`` sets them itself (to ``""`` to leave one out: a figure the year does not
    narrow).
    """

    value: int | float | str
    help: str | None = None
    chart: Any = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    link_params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Metric:
    """One overview tile.

    ``key`` is namespaced (``registry-by-level``); ``compute(ctx)`` returns a MetricResult;
    ``tables`` are the tables it reads (its cached value is dropped when one of them changes;
    None: when anything is written);
    ``link`` is the url_path of the page listing what the figure counts.
    """

    key: str
    title: str
    compute: Callable[[MetricContext], MetricResult]
    tables: frozenset[str] | None
    permission: str | None = None
    link: str | None = None
    order: int = 100
