"""A drop-in whose hooks return the wrong types: a permission given as a string, a page that is
not a Page, a verdict that is not a bool. Each is reported against it; nothing else breaks."""

from core.access.permissions import Permission
from core.host.hookspecs import hookimpl
from core.host.pages import Page


def board() -> None:
    import streamlit as st

    st.title("类型错误插件")


@hookimpl
def jiangxin_permissions():
    return ["wrong_types.view", Permission("wrong_types.ok", "可用", {"admin", "manager"})]


@hookimpl
def jiangxin_pages():
    return [
        {"url_path": "wrong-types-dict", "title": "字典页面", "target": board},
        Page(url_path="wrong-types-board", title="类型错误插件", target=board,
             permission="wrong_types.ok"),
    ]


@hookimpl
def jiangxin_metrics():
    return "wrong-types-count"


@hookimpl
def jiangxin_check_permission(user, permission):
    return "yes" if permission == "wrong_types.ok" else None
