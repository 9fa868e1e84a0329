"""导入导出: studios and their yearly output through core's spreadsheet widgets (template,
checked all-or-nothing import, county-scoped export)."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import func, select

from core.access.permissions import in_counties
from core.data.db import read_session
from core.spreadsheet.widgets import export_button, import_panel
from core.ui import require
from plugins.workshops.models import Output, Studio


def _counts(counties) -> tuple[int, int]:
    with read_session() as session:
        studios = session.scalar(select(func.count()).select_from(Studio)
                                 .where(in_counties(Studio.county_code, counties)))
        outputs = session.scalar(select(func.count()).select_from(Output)
                                 .where(in_counties(Output.county_code, counties)))
    return int(studios or 0), int(outputs or 0)


def io_page() -> None:
    user = require("workshops.import")
    st.title("工作室导入导出")
    st.caption("每一行都检查通过才会写入，否则一行也不写；已登记的行跳过，不会重复写入。")
    studios, outputs = _counts(user.visible_counties())
    studio_tab, output_tab = st.tabs(["工作室", "年度成果"])
    with studio_tab:
        st.caption("按“所属区县＋工作室名称”识别工作室。“领办人”一栏只登记姓名，不关联名册人员："
                   "导入后请在工作室页面从名册中选择领办人。")
        import_panel("workshops_studios")
        export_button("workshops_studios", f"导出工作室（{studios} 个）")
    with output_tab:
        st.caption("每个工作室每年一行。工作室须已登记在所填区县；已填报的年度跳过，"
                   "需要修改时请到该工作室页面的“填报年度成果”中修改。")
        import_panel("workshops_output")
        export_button("workshops_output", f"导出年度成果（{outputs} 行）")
