"""插件: every plugin, loaded or failed, with its version, origin, hooks and problems."""

import streamlit as st

from core.data.db import get_engine
from core.data.migrate import pending
from core.host.loader import SOURCE_LABELS
from core.ui import host, require
from core.ui.text import literal

require("core.plugins")
st.title("插件")
STATUS = {"loaded": "✅ 已加载", "failed": "❌ 加载失败", "disabled": "⏸ 已停用"}

records = list(host().records.values())
st.dataframe(
    [{"插件": r.name, "状态": STATUS[r.status] if not r.problems else "⚠️ 部分失败",
      "版本": r.version or "", "来源": SOURCE_LABELS.get(r.source, r.source),
      "位置": r.location, "钩子": "、".join(h.removeprefix("jiangxin_") for h in r.hooks)}
     for r in records],
    hide_index=True, width="stretch")

for r in host().failed():
    with st.container(border=True):
        st.markdown(f"**{literal(r.name)}**")
        if r.error:
            st.error(literal(r.error))
        for problem in r.problems:
            st.warning(literal(problem))

missing = pending(get_engine(), host())
if missing:
    st.warning(f"有未执行的数据库迁移：{', '.join(missing)}。请运行 `jiangxin init-db`。")
else:
    st.caption("数据库结构已是最新。")
