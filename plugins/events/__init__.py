"""Events and training (活动培训): the craftsman academy's sessions, the 926工匠日 series and the
other events of the year; invitations from the roster, attendance, and the yearly plan.

Built on core's public API only. People come from whichever plugin answers for them (the
roster, when enabled) through core.host.people; the roster's approvals reach ``roster.py``
through ``jiangxin_notification``.
"""

from __future__ import annotations

from pathlib import Path

from core.access.permissions import Permission
from core.host.hookspecs import hookimpl
from core.host.pages import Page, lazy_page

SECTION = "活动培训"


@hookimpl
def jiangxin_permissions():
    return [
        Permission("events.view", "查看活动培训", {"admin", "reviewer", "staff", "manager"}),
        Permission("events.edit", "登记、修改活动培训，邀请人员，签到，上传照片", {"admin", "staff"}),
        Permission("events.plan", "修改年度计划和活动类型（管理员改全市，区县改本区县）",
                   {"admin", "staff"}),
        Permission("events.import", "导入、导出活动和签到表", {"admin", "staff"}),
    ]


@hookimpl
def jiangxin_pages():
    def page(url, title, module, name, icon, permission, order):
        return Page(url_path=f"events-{url}", title=title,
                    target=lazy_page(f"plugins.events.{module}", name),
                    section=SECTION, icon=icon, permission=permission, order=order)

    return [
        page("calendar", "日程", "pages_calendar", "calendar_page", "📅", "events.view", 30),
        page("event", "活动详情", "pages_event", "event_page", "🎫", "events.view", 31),
        page("attendance", "签到", "pages_attendance", "attendance_page", "✅", "events.edit", 32),
        page("plan", "年度计划", "pages_plan", "plan_page", "🎯", "events.view", 33),
        page("participation", "参与统计", "pages_participation", "participation_page", "👥",
             "events.view", 34),
        page("io", "导入导出", "pages_io", "io_page", "📥", "events.import", 35),
    ]


@hookimpl
def jiangxin_models():
    from plugins.events.models import MODELS

    return list(MODELS)


@hookimpl
def jiangxin_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def jiangxin_metrics():
    from plugins.events.metrics import METRICS

    return METRICS


@hookimpl
def jiangxin_spreadsheet_tables():
    from plugins.events.spreadsheet import TABLES

    return list(TABLES)


@hookimpl(trylast=True)  # after the roster's demo (plugins load by name): it invites its people
def jiangxin_demo_data(session, faker, seed):
    from plugins.events.demo import load

    load(session, faker, seed)


@hookimpl
def jiangxin_notification(event, payload, session):
    """The roster approved a change: a death drops the person from future invitations (and
    marks past lists), a transfer moves their future invitations to the new county."""
    if event == "registry.change_approved" and payload.get("person_id"):
        from plugins.events.roster import roster_changed

        roster_changed(session, payload["person_id"], payload.get("kind", ""))


@hookimpl
def jiangxin_todos(session, user):
    from plugins.events.todos import todos

    return todos(session, user)


@hookimpl
def jiangxin_report_sections(session, year, counties):
    from plugins.events.report import sections

    return sections(session, year, counties)
