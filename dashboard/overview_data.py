"""Metric values for the overview, cached until a table they read is written."""

from __future__ import annotations

import datetime as dt

import streamlit as st
from sqlalchemy import select

from core.access.auth import CurrentUser
from core.data.audit import record
from core.data.db import read_session, session_scope
from core.data.models import DataVersion
from core.host.metrics import Metric, MetricContext, MetricResult
from core.settings import clock
from core.spreadsheet import workbook_bytes
from core.ui import host


def _versions() -> dict[str, int]:
    with read_session() as session:
        return dict(session.execute(select(DataVersion.table_name, DataVersion.version)).all())


@st.cache_data(show_spinner=False, max_entries=1000, ttl=24 * 3600)
def _compute(key: str, counties: tuple[str, ...] | None, year: int | None,
             version: int, today: dt.date) -> MetricResult:
    # ``version`` and ``today`` are only part of the cache key: a write to a table the metric
    # reads changes the one, a new local day (a new "this year") the other.
    metric = host().metrics[key]
    with read_session() as session:
        return metric.compute(MetricContext(session=session, counties=counties, year=year))


def compute_tiles(metrics: list[Metric], counties, year) -> list[tuple[Metric, MetricResult | None]]:
    """Each metric's result, or None where its computation failed (reported on 插件 page;
    in strict mode the error is raised after the report)."""
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


def overview_workbook(results: list[tuple[Metric, MetricResult | None]]) -> tuple[int, bytes]:
    """The overview as one .xlsx: a sheet per tile (its rows, or its headline figure)."""
    sheets = {metric.title: result.rows or [{"指标": metric.title, "数值": result.value}]
              for metric, result in results if result is not None}
    return len(sheets), workbook_bytes(sheets)


def log_download(user: CurrentUser, sheets: int) -> None:
    with session_scope(user.actor) as session:
        record(session, "export", summary=f"下载总览 Excel（{sheets} 个工作表）")
