"""The roster (名册) of model workers and craftsmen: people, honours, search and metrics.

Built on core's public API only: hooks, database, audit, spreadsheets and permissions.
"""

from __future__ import annotations

from pathlib import Path

from core.access.permissions import Permission
from core.host.hookspecs import hookimpl
from core.host.pages import Page, lazy_page

SECTION = "名册"


@hookimpl
def jiangxin_permissions():
    return [
        Permission("registry.view", "查看名册", {"admin", "reviewer", "staff", "manager"}),
        Permission("registry.view_sensitive", "查看完整身份证号码和电话", {"admin", "reviewer"}),
        Permission("registry.import", "直接导入、导出名册", {"admin"}),
        Permission("registry.submit", "提交名册变动", {"admin", "staff"}),
        Permission("registry.review", "审核名册变动", {"admin", "reviewer"}),
    ]


@hookimpl
def jiangxin_pages():
    return [
        Page(url_path="registry-people", title="人员名册", target=lazy_page("plugins.registry.pages", "people_page"), section=SECTION,
             icon="📇", permission="registry.view", order=10),
        Page(url_path="registry-submit", title="提交变动", target=lazy_page("plugins.registry.pages_changes", "submit_page"), section=SECTION,
             icon="📝", permission="registry.submit", order=11),
        Page(url_path="registry-review", title="审核队列", target=lazy_page("plugins.registry.pages_review", "review_page"), section=SECTION,
             icon="✅", permission="registry.review", order=12),
        Page(url_path="registry-mine", title="我的申请", target=lazy_page("plugins.registry.pages_mine", "my_requests_page"), section=SECTION,
             icon="📋", permission="registry.submit", order=13),
        Page(url_path="registry-io", title="导入导出", target=lazy_page("plugins.registry.pages", "io_page"), section=SECTION,
             icon="📥", permission="registry.import", order=14),
    ]


@hookimpl
def jiangxin_models():
    from plugins.registry.models import ChangeEvent, ChangeRequest, Honour, Person

    return [Person, Honour, ChangeRequest, ChangeEvent]


@hookimpl
def jiangxin_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def jiangxin_metrics():
    from plugins.registry.metrics import METRICS

    return METRICS


@hookimpl
def jiangxin_spreadsheet_tables():
    from plugins.registry.spreadsheet import ADDITIONS, ROSTER, ROSTER_MASKED, ROSTER_WITH_DECEASED

    return [ROSTER, ROSTER_WITH_DECEASED, ROSTER_MASKED, ADDITIONS]


@hookimpl
def jiangxin_demo_data(session, faker, seed):
    from plugins.registry.demo import load

    load(session, faker, seed)


@hookimpl
def jiangxin_people_search(session, user, text, limit):
    from plugins.registry.people import search

    return search(session, user, text, limit)


@hookimpl
def jiangxin_people_get(session, user, ids):
    from plugins.registry.people import get

    return get(session, user, ids)


@hookimpl
def jiangxin_people_list(session, user, query, offset, limit):
    """Roster people matching ``query`` (county, honour level, living), within ``user``'s
    counties, a page at a time, for inviting a group or finding who was never asked."""
    from plugins.registry.people import list_page

    return list_page(session, user, query, offset, limit)


@hookimpl
def jiangxin_todos(session, user):
    from plugins.registry.todos import todos

    return todos(session, user)


@hookimpl
def jiangxin_report_sections(session, year, counties):
    from plugins.registry.report import sections

    return sections(session, year, counties)
