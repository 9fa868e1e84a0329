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
        from sqlalchemy import true

        return true() if self.counties is None else column.in_(self.counties)


@dataclass
class MetricResult:
    """A tile: a headline ``value``, optionally a ``chart`` (Altair) and ``rows`` behind it.

    ``rows`` (a list of dicts with Chinese keys) become the tile's sheet in the Excel download.
    """

    value: int | float | str
    help: str | None = None
    chart: Any = None
    rows: list[dict[str, Any]] = field(default_factory=list)


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
