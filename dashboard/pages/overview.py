"""总览: the metrics plugins contribute, within the user's county scope, refreshed every 60 s.

``?wall=1`` is the wall-screen mode for the office display: no filters, no sidebar.
"""

import streamlit as st

from core.settings import clock
from core.settings.counties import county_name, load_counties
from core.ui import host, page_link, require
from core.ui.downloads import private_file
from dashboard.overview_data import compute_tiles, log_download, overview_workbook

user = require("core.overview")
wall = st.query_params.get("wall") == "1"
metrics = [m for m in host().metrics.values() if host().allowed(user, m.permission)]
this_year = clock.this_year()

if wall:
    st.markdown("## 匠心 · 劳模工匠协会 总览")
    counties, year = user.visible_counties(), None
else:
    st.title("总览")
    left, right, _ = st.columns([2, 1, 3])
    if user.county_code is None:
        options = [""] + [c.code for c in load_counties()]  # "": the whole city
        chosen = left.selectbox("区县", options, format_func=county_name, key="overview_county")
    else:
        chosen = left.selectbox("区县", [user.county_code], format_func=county_name, disabled=True)
    counties = (chosen,) if chosen else None
    year = right.selectbox("年度", [0, *range(this_year, this_year - 10, -1)],
                           format_func=lambda y: f"{y} 年" if y else "全部年度",
                           key="overview_year") or None

if not metrics:
    st.info("暂无可显示的指标。启用名册等插件后，这里会显示各项统计。")


@st.fragment(run_every=60)
def tiles() -> None:
    results = compute_tiles(metrics, counties, year)
    columns = st.columns(3 if wall else 2)
    for i, (metric, result) in enumerate(results):
        with columns[i % len(columns)].container(border=True):
            if result is None:
                st.metric(metric.title, "—")
                st.warning("该指标暂时无法计算，已记录。")
                continue
            st.metric(metric.title, result.value, help=result.help)
            if result.chart is not None:
                st.altair_chart(result.chart, width="stretch")
            if metric.link and not wall:
                page_link(metric.link, label="查看明细 →")
    now = clock.now_local().strftime("%H:%M:%S")
    st.caption(f"上次刷新：{now}（每 60 秒自动刷新）")
    if not wall and results:
        sheets = sum(result is not None for _, result in results)
        st.download_button("下载总览 Excel", data=private_file(lambda: overview_workbook(results)[1]),
                           file_name=f"总览-{clock.today():%Y%m%d}.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           on_click=log_download, args=(user, sheets))


tiles()
