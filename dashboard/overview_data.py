"""Metric values for the overview, cached until a table they read is written."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

import pandas as pd
import streamlit as st
from sqlalchemy import select

from core.access.auth import CurrentUser
from core.access.permissions import scoped_counties
from core.data.audit import record
from core.data.db import read_session, session_scope
from core.data.models import DataVersion
from core.host.metrics import Metric, MetricContext, MetricResult
from core.settings import clock
from core.settings.counties import load_counties
from core.spreadsheet import workbook_bytes
from core.ui import host


def _versions() -> dict[str, int]:
    with read_session() as session:
        return dict(session.execute(select(DataVersion.table_name, DataVersion.version)).all())


@dataclass
class DrawnResult(MetricResult):
    """A metric's result as the overview keeps it: with its chart already turned into what
    Streamlit draws (``spec``: the Vega-Lite spec, its data as Arrow; None when there is
    nothing to draw, see :func:`has_data`). Converting an Altair chart costs a few
    milliseconds a tile on every run; kept with the result, a warm overview skips it."""

    spec: dict | None = None

    @classmethod
    def of(cls, result: MetricResult) -> DrawnResult:
        drawn = cls(**{f.name: getattr(result, f.name) for f in fields(MetricResult)})
        drawn.spec = vega_lite_spec(result.chart) if has_data(result) else None
        return drawn


def vega_lite_spec(chart) -> dict | None:
    """``chart`` (Altair) as ``st.altair_chart`` would send it; None for another kind of chart,
    or a Streamlit without that converter (the page then draws the chart itself)."""
    import altair as alt

    if not isinstance(chart, alt.TopLevelMixin):
        return None
    try:  # Streamlit's own converter, private: any change to it costs only the saving
        from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

        return _convert_altair_to_vega_lite_spec(chart)
    except Exception:  # noqa: BLE001
        return None


@st.cache_data(show_spinner=False, max_entries=1000, ttl=24 * 3600)
def _compute(key: str, counties: tuple[str, ...] | None, year: int | None,
             version: int, today: dt.date) -> DrawnResult:
    # ``version`` and ``today`` are only part of the cache key: a write to a table the metric
    # reads changes the one, a new local day (a new "this year") the other.
    metric = host().metrics[key]
    with read_session() as session:
        result = metric.compute(MetricContext(session=session, counties=counties, year=year))
    return DrawnResult.of(result)


def compute_tiles(metrics: list[Metric], counties, year,
                  user: CurrentUser | None = None) -> list[tuple[Metric, MetricResult | None]]:
    """Each metric's result, or None where its computation failed (reported on 插件 page;
    in strict mode the error is raised after the report).

    With ``user``, ``counties`` is narrowed to their scope first (None: all they may see); a
    county outside it raises PermissionDenied, whatever page asked."""
    if user is not None:
        counties = scoped_counties(user, counties)
    versions = _versions()
    today = clock.today()
    results = []
    for metric in metrics:
        tables = metric.tables if metric.tables is not None else versions.keys()
        version = sum(versions.get(t, 0) for t in tables)
        try:
            results.append((metric, _compute(metric.key, counties, year, version, today)))
        except Exception as exc:
            plugin = host().plugin_of(metric.compute.__module__) or metric.key.split("-")[0]
            host().report(plugin, f"指标 {metric.key} 计算失败: {type(exc).__name__}: {exc}", exc)
            if host().settings.strict_plugins:
                raise  # strict mode (CI): the error itself, visible to AppTest
            results.append((metric, None))
    return results


def pinned_counties(user: CurrentUser, code: str | None) -> tuple[str, ...] | None:
    """The counties the wall screen shows: the user's own scope, or the one county ``code``
    (``?county=``) pins. A county outside the user's scope raises PermissionDenied (a county
    user never pins another county); an unknown code raises LookupError."""
    if not code:
        return user.visible_counties()
    if code not in {c.code for c in load_counties()}:
        raise LookupError(code)
    return scoped_counties(user, (code,))


def link_params(result: MetricResult, counties: tuple[str, ...] | None, year: int | None) -> dict[str, str]:
    """The query parameters of a tile's 查看明细 link: the county and year filters the tile was
    computed with, then the tile's own (``result.link_params``; ``""`` drops one)."""
    params = {}
    if counties is not None and len(counties) == 1:
        params["county"] = counties[0]
    if year:
        params["year"] = str(year)
    params.update(result.link_params)
    return {key: str(value) for key, value in params.items() if value != ""}


def has_data(result: MetricResult) -> bool:
    """Whether a tile has something to draw: not at 0, and its chart's data not all zeros (an
    empty chart draws a bare axis, 0.000000)."""
    if result.chart is None or result.value in (0, "0", ""):
        return False
    data = getattr(result.chart, "data", None)
    if isinstance(data, pd.DataFrame):
        numbers = data.select_dtypes("number")
        return not data.empty and (numbers.empty or bool(numbers.abs().to_numpy().sum()))
    return True


def overview_workbook(results: list[tuple[Metric, MetricResult | None]]) -> tuple[int, bytes]:
    """The overview as one .xlsx: a sheet per tile (its rows, or its headline figure)."""
    sheets = {metric.title: result.rows or [{"指标": metric.title, "数值": result.value}]
              for metric, result in results if result is not None}
    return len(sheets), workbook_bytes(sheets)


def log_download(user: CurrentUser, sheets: int) -> None:
    with session_scope(user.actor) as session:
        record(session, "export", summary=f"下载总览 Excel（{sheets} 个工作表）")
