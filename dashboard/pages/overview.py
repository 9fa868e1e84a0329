"""总览: the metrics plugins contribute, within the user's county scope, refreshed every 60 s.

Each tile shows its number, what a reader must not miss (its caption), a chart of what it
counts (暂无数据 at 0), and 查看明细 → with the tile's filters in the link's query parameters.

``?wall=1`` is the wall-screen mode for the office display: no filters, no sidebar, the tiles
in rows across the whole width; ``&county=<code>`` pins it to one county of the user's scope.
"""

import streamlit as st

from core.access.permissions import PermissionDenied
from core.settings import clock
from core.settings.counties import county_name, load_counties
from core.ui import host, page_link, require
from core.ui.downloads import private_file
from core.ui.text import literal
from dashboard.overview_data import (
    compute_tiles,
    has_data,
    link_params,
    log_download,
    overview_workbook,
    pinned_counties,
)

NO_DATA = "暂无数据"

user = require("core.overview")
wall = st.query_params.get("wall") == "1"
metrics = [m for m in host().metrics.values() if host().allowed(user, m.permission)]
this_year = clock.this_year()

if wall:
    try:
        counties, year = pinned_counties(user, st.query_params.get("county")), None
    except PermissionDenied:
        st.error("无权查看该区县的数据")
        st.stop()
    except LookupError:
        st.error("没有这个区县，请检查网址中的 county")
        st.stop()
    place = f" · {literal(county_name(counties[0]))}" if counties and len(counties) == 1 else ""
    st.markdown(f"## 匠心 · 劳模工匠协会 总览{place}")
else:
    st.title("总览")
    left, right, _ = st.columns([2, 1, 3])
    if user.county_code is None:
        options = [""] + [c.code for c in load_counties()]  # "": the whole city
        chosen = left.selectbox("区县", options, format_func=county_name, key="overview_county")
    else:
        chosen = left.selectbox("区县", [user.county_code], format_func=county_name, disabled=True)
    counties = (chosen,) if chosen else user.visible_counties()
    year = right.selectbox("年度", [0, *range(this_year, this_year - 10, -1)],
                           format_func=lambda y: f"{y} 年" if y else "全部年度",
                           key="overview_year") or None

if not metrics:
    st.info("暂无可显示的指标。启用名册等插件后，这里会显示各项统计。")


def tile(metric, result) -> None:
    """One tile: the number, its caption, its chart (or 暂无数据), its 查看明细 link."""
    if result is None:
        st.metric(metric.title, "—")
        st.warning("该指标暂时无法计算，已记录。")
        return
    st.metric(metric.title, result.value, help=result.help)
    if result.caption:
        st.caption(literal(result.caption))
    if getattr(result, "spec", None) is not None:  # drawn once, kept with the result
        st.vega_lite_chart(result.spec, width="stretch")
    elif has_data(result):
        st.altair_chart(result.chart, width="stretch")
    elif result.chart is not None or result.value in (0, "0"):
        st.caption(NO_DATA)
    if metric.link and not wall:
        page_link(metric.link, label="查看明细 →", query_params=link_params(result, counties, year))


@st.fragment(run_every=60)
def tiles() -> None:
    results = compute_tiles(metrics, counties, year, user)
    # rows of tiles side by side, so a row's tiles line up; the wall uses the whole width
    per_row = (4 if len(results) > 6 else 3) if wall else 2
    for start in range(0, len(results), per_row):
        row = results[start:start + per_row]
        for column, (metric, result) in zip(st.columns(per_row), row, strict=False):
            with column.container(border=True, height="stretch"):
                tile(metric, result)
    now = clock.now_local().strftime("%H:%M:%S")
    st.caption(f"上次刷新：{now}（每 60 秒自动刷新）")
    if not wall and results:
        sheets = sum(result is not None for _, result in results)
        st.download_button("下载总览 Excel", data=private_file(lambda: overview_workbook(results)[1]),
                           file_name=f"总览-{clock.today():%Y%m%d}.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           on_click=log_download, args=(user, sheets))


tiles()
