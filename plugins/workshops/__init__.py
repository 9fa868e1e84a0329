"""Studios (工作室): innovation and skill-master studios, their yearly construction standard,
reviews and output.

Built on core's public API only. People come from whichever plugin answers for them (the
roster, when enabled) through core.host.people; the roster's approvals reach ``leaders.py``
through ``jiangxin_notification``.
"""

from __future__ import annotations

from pathlib import Path

from core.access.permissions import Permission
from core.host.hookspecs import hookimpl
from core.host.pages import Page, lazy_page

SECTION = "工作室"


@hookimpl
def jiangxin_permissions():
    return [
        Permission("workshops.view", "查看工作室", {"admin", "reviewer", "staff", "manager"}),
        Permission("workshops.edit", "登记、修改工作室及其成员、补助资金和年度成果",
                   {"admin", "staff"}),
        Permission("workshops.review", "评审工作室（年度评审）", {"admin", "staff", "reviewer"}),
        Permission("workshops.standard", "修改建设标准（管理员改全市标准，区县改本区县标准）",
                   {"admin", "staff"}),
        Permission("workshops.remove", "确认工作室摘牌", {"admin"}),
        Permission("workshops.import", "导入、导出工作室和年度成果", {"admin", "staff"}),
    ]


@hookimpl
def jiangxin_pages():
    def page(url, title, module, name, icon, permission, order):
        return Page(url_path=f"workshops-{url}", title=title, target=lazy_page(f"plugins.workshops.{module}", name),
                    section=SECTION, icon=icon, permission=permission, order=order)

    return [
        page("list", "工作室一览", "pages_studios", "studios_page", "🏭", "workshops.view", 20),
        page("review", "年度评审", "pages_review", "review_page", "📝", "workshops.review", 21),
        page("standard", "建设标准", "pages_standard", "standard_page", "📐", "workshops.view", 22),
        page("output", "成果统计", "pages_output", "output_page", "📈", "workshops.view", 23),
        page("io", "导入导出", "pages_io", "io_page", "📥", "workshops.import", 24),
    ]


@hookimpl
def jiangxin_models():
    from plugins.workshops.models import MODELS

    return list(MODELS)


@hookimpl
def jiangxin_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def jiangxin_metrics():
    from plugins.workshops.metrics import METRICS

    return METRICS


@hookimpl
def jiangxin_spreadsheet_tables():
    from plugins.workshops.spreadsheet import OUTPUT, STUDIOS

    return [STUDIOS, OUTPUT]


@hookimpl
def jiangxin_demo_data(session, faker, seed):
    from plugins.workshops.demo import load

    load(session, faker, seed)


@hookimpl
def jiangxin_notification(event, payload, session):
    """The roster approved a change: flag studios whose leader died or moved, and refresh the
    snapshots of the person's name and honour in every studio they belong to."""
    if event == "registry.change_approved" and payload.get("person_id"):
        from plugins.workshops.leaders import roster_changed

        roster_changed(session, payload["person_id"], payload.get("kind", ""))


@hookimpl
def jiangxin_todos(session, user):
    from plugins.workshops.todos import todos

    return todos(session, user)


@hookimpl
def jiangxin_report_sections(session, year, counties):
    from plugins.workshops.report import sections

    return sections(session, year, counties)
