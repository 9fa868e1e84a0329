"""工作台: what the signed-in user has to do, from every plugin, most urgent and oldest first.

Each to-do is a card: its urgency, a link to the page that handles it (with the query parameters
that make that page list exactly those tasks), how many, and since when. The start page of staff
and reviewers. Recounted after any write (dashboard.workbench_data), and every 60 seconds.
"""

import streamlit as st

from core.host.todos import OVERDUE, SOON, URGENCY_LABELS, days_waiting, oldest_day
from core.settings import clock
from core.ui import page_link, require
from core.ui.text import literal
from dashboard.workbench_data import user_todos

EMPTY = "暂无待办事项"
BADGE_COLOURS = {OVERDUE: "red", SOON: "orange"}  # the rest: blue

user = require("core.workbench")
st.title("工作台")


def since(todo) -> str:
    """最早 2026-11-02，已等 27 天 (不足 1 天): how long the oldest task has waited."""
    day = oldest_day(todo)
    if day is None:
        return ""
    days = days_waiting(todo)
    return f"最早 {day:%Y-%m-%d}，" + (f"已等 {days} 天" if days else "不足 1 天")


def summary(found) -> str:
    """共 21 件待办，其中 11 件已逾期 (in to-dos when their units differ)."""
    late = [todo for todo in found if todo.urgency == OVERDUE]
    units = {todo.unit for todo in found}
    if len(units) == 1:  # one measure: the tasks themselves
        unit, total, overdue = units.pop(), sum(t.count for t in found), sum(t.count for t in late)
    else:  # 3 件 and 2 场 do not add up: the to-dos
        unit, total, overdue = "项", len(found), len(late)
    return f"共 {total} {literal(unit)}待办" + (f"，其中 {overdue} {literal(unit)}已逾期" if overdue else "")


def card(todo) -> None:
    with st.container(border=True):
        colour = BADGE_COLOURS.get(todo.urgency, "blue")
        label = URGENCY_LABELS.get(todo.urgency, URGENCY_LABELS[0])
        st.badge(label, color=colour)
        page_link(todo.link, label=f"**{literal(todo.title)}** · {todo.count} {literal(todo.unit)}",
                  query_params=todo.link_params, icon="➡️")
        line = "；".join(part for part in (since(todo), literal(todo.help or "")) if part)
        if line:
            st.caption(line)


@st.fragment(run_every=60)
def todos() -> None:
    found = user_todos(user)
    if not found:
        st.success(EMPTY)
    else:
        st.caption(summary(found) + "；点击条目前往处理")
        for todo in found:
            card(todo)
    st.caption(f"上次刷新：{clock.now_local():%H:%M:%S}（每 60 秒自动刷新）")


todos()
