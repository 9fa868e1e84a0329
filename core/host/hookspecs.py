"""Every hook a Jiangxin plugin can implement: the whole extension surface, in one file.

A plugin is a module (or package) with functions named after these hooks and decorated with
``core.host.hookspecs.hookimpl``. An implementation may accept any subset of the arguments. The host
calls each plugin's implementation on its own and keeps going when one raises or returns
something of the wrong type: the failure is shown on the 插件 page and by ``jiangxin plugins``.
Core is called first, then ``@hookimpl(tryfirst=True)``, plain and ``@hookimpl(trylast=True)``
implementations, each group in load order; hook wrappers (``wrapper=True``, ``hookwrapper=True``)
are refused when the plugin is loaded.

Hooks are grouped by phase: what a plugin *declares* (pages, models, migrations, permissions,
metrics, spreadsheet tables), then what it *does* (demo data, permission checks, notifications),
then what it *answers* for the rest of the dashboard (people, to-dos, the yearly report).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from faker import Faker
    from sqlalchemy.orm import Session

    from core.access.auth import CurrentUser
    from core.access.permissions import Permission
    from core.data.db import Base
    from core.host.metrics import Metric
    from core.host.pages import Page
    from core.host.people import PeoplePage, PeopleQuery, PersonRef
    from core.host.todos import Todo
    from core.report.sections import ReportSection
    from core.spreadsheet.table import SpreadsheetTable

PROJECT = "jiangxin"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- declarations -----------------------------------------------------------------------


@hookspec
def jiangxin_pages() -> list[Page]:
    """Return the pages this plugin adds to the navigation.

    Each ``url_path`` must start with the plugin's name and a dash; a path already taken by
    another plugin is refused and reported. Pages are grouped by ``section`` and shown only to
    users holding ``permission``.

    Example::

        @hookimpl
        def jiangxin_pages():
            return [Page(url_path="hello-board", title="问候", section="示例",
                         target=board, permission="hello.view")]
    """


@hookspec
def jiangxin_models() -> list[type[Base]]:
    """Return the SQLAlchemy model classes (subclasses of ``core.data.db.Base``) this plugin owns.

    The host checks that no two plugins own the same table and that names start with the
    plugin's name and an underscore; Alembic never proposes dropping a table that no loaded
    plugin declares.

    Example::

        @hookimpl
        def jiangxin_models():
            return [Greeting]
    """


@hookspec
def jiangxin_migrations() -> str | Path | None:
    """Return the folder of this plugin's Alembic revisions, or None when it has no tables.

    The folder is an Alembic ``versions`` directory whose first revision has
    ``branch_labels = ("<plugin name>",)`` and ``down_revision = None``, plus
    ``depends_on = "core_0001"`` if it references core tables. ``jiangxin init-db``
    upgrades every loaded branch to its head; a disabled plugin's revisions are left as they are.

    Example::

        @hookimpl
        def jiangxin_migrations():
            return Path(__file__).parent / "migrations"
    """


@hookspec
def jiangxin_permissions() -> list[Permission]:
    """Return the permissions this plugin declares, with the roles that hold them by default.

    Roles are ``admin``, ``reviewer``, ``staff`` and ``manager``. Name permissions
    ``<plugin>.<action>``.

    Example::

        @hookimpl
        def jiangxin_permissions():
            return [Permission("hello.view", "查看问候", {"admin", "staff", "manager"})]
    """


@hookspec
def jiangxin_metrics() -> list[Metric]:
    """Return the tiles this plugin adds to the 总览 (overview) page.

    ``compute(ctx)`` runs in SQL against ``ctx.session``, restricted to ``ctx.counties`` and
    ``ctx.year``; results are cached until one of the metric's ``tables`` is written.

    Example::

        @hookimpl
        def jiangxin_metrics():
            def count(ctx):
                n = ctx.session.scalar(select(func.count()).select_from(Greeting)
                                       .where(ctx.county_filter(Greeting.county_code)))
                return MetricResult(value=n)
            return [Metric(key="hello-count", title="问候数", compute=count,
                           tables=frozenset({"hello_greeting"}), link="hello-board")]
    """


@hookspec
def jiangxin_spreadsheet_tables() -> list[SpreadsheetTable]:
    """Return the tables this plugin offers for Excel templates, import and export.

    Table names are unique across plugins; a duplicate is refused and reported.

    Example::

        @hookimpl
        def jiangxin_spreadsheet_tables():
            return [SpreadsheetTable(name="hello", title="问候",
                                     columns=(Column("text", "内容", required=True),))]
    """


# --- actions ---------------------------------------------------------------------------


@hookspec
def jiangxin_demo_data(session: Session, faker: Faker, seed: int) -> None:
    """Add this plugin's demo rows to ``session`` (``jiangxin demo``); return nothing.

    ``faker`` is a zh_CN Faker seeded with ``seed``: use it (and ``random.Random(seed)``) so
    the demo is the same on every machine. Runs once per empty database, after core's demo
    accounts exist, in one transaction with every other plugin's demo data.

    Example::

        @hookimpl
        def jiangxin_demo_data(session, faker):
            session.add_all(Greeting(text=faker.sentence()) for _ in range(20))
    """


@hookspec
def jiangxin_check_permission(user: CurrentUser, permission: str) -> bool | None:
    """Grant (True), refuse (False) or abstain (None) ``permission`` for ``user``.

    Every plugin is asked; any False wins, then any True; when all abstain the roles declared
    with the permission decide.

    Example::

        @hookimpl
        def jiangxin_check_permission(user, permission):
            if permission == "hello.view" and user.county_code == "330127":
                return False
    """


@hookspec
def jiangxin_notification(event: str, payload: dict[str, Any], session: Session) -> None:
    """React to ``event`` announced by another plugin with ``core.ui.notify.notify``.

    Runs inside the announcer's transaction (``session``), so whatever you write commits or
    rolls back with it. Ignore events you do not know. Events are namespaced by the announcing
    plugin, e.g. ``registry.change_approved`` with ``payload={"person_id": 7, "kind": "去世"}``.

    Example::

        @hookimpl
        def jiangxin_notification(event, payload, session):
            if event == "registry.change_approved" and payload["kind"] == "去世":
                session.add(Greeting(text="沉痛悼念"))
    """


# --- answers for other plugins and core ------------------------------------------------


@hookspec
def jiangxin_people_search(session: Session, user: CurrentUser, text: str,
                           limit: int) -> list[PersonRef]:
    """Return at most ``limit`` people matching ``text``, within ``user``'s counties.

    ``text`` is part of a name, the pinyin initials of a name (``wjg`` for 王建国) or part of
    an ID number. Only a plugin that keeps people (the roster) answers; the others leave the
    hook out. Core's person picker (``core.ui.people.person_picker``) calls it, so a plugin can
    pick roster people without importing the roster.

    Example::

        @hookimpl
        def jiangxin_people_search(session, user, text, limit):
            rows = session.execute(select(Member).where(Member.name.contains(text))
                                   .where(Member.county_code.in_(user.visible_counties()))
                                   .limit(limit))
            return [PersonRef(id=m.id, name=m.name, county_code=m.county_code, status="在职")
                    for m in rows.scalars()]
    """


@hookspec
def jiangxin_people_get(session: Session, user: CurrentUser | None,
                        ids: list[int]) -> list[PersonRef]:
    """Return the people of ``ids`` this plugin keeps, within ``user``'s counties (``user``
    None: every county, for the command line and reports). Ids it does not know are left out.

    Example::

        @hookimpl
        def jiangxin_people_get(session, user, ids):
            rows = session.scalars(select(Member).where(Member.id.in_(ids)))
            return [PersonRef(id=m.id, name=m.name, county_code=m.county_code, status="在职")
                    for m in rows]
    """


@hookspec
def jiangxin_people_list(session: Session, user: CurrentUser, query: PeopleQuery, offset: int,
                         limit: int) -> PeoplePage | None:
    """Return one page (``offset``, ``limit``) of the people matching ``query`` within ``user``'s
    counties, sorted by county then name, with the total; None when this plugin keeps no
    people. Core's ``core.host.people.list_people`` takes the first answer. Apply
    ``query.excluding`` (a select of ids) in SQL: it may name thousands.

    Example::

        @hookimpl
        def jiangxin_people_list(session, user, query, offset, limit):
            stmt = select(Member).where(Member.county_code.in_(user.visible_counties()))
            if query.excluding is not None:
                stmt = stmt.where(Member.id.not_in(query.excluding))
            total = session.scalar(select(func.count()).select_from(stmt.subquery()))
            rows = session.scalars(stmt.order_by(Member.name).offset(offset).limit(limit))
            return PeoplePage([PersonRef(id=m.id, name=m.name, county_code=m.county_code)
                               for m in rows], total)
    """


@hookspec
def jiangxin_todos(session: Session, user: CurrentUser) -> list[Todo]:
    """Return what ``user`` has to do in this plugin, for the 工作台 page: one ``Todo`` per kind
    of task, with its count, its oldest date, the page that handles it and how urgent it is.
    Leave out tasks with a count of 0. Count in SQL: the page calls this on every visit
    (cached until something is written).

    Example::

        @hookimpl
        def jiangxin_todos(session, user):
            n, oldest = session.execute(select(func.count(), func.min(Greeting.created_at))
                                        .where(Greeting.answered.is_(False))).one()
            return [Todo(key="hello-unanswered", title="待回复的问候", count=n, oldest=oldest,
                         link="hello-board")] if n else []
    """


@hookspec
def jiangxin_report_sections(session: Session, year: int,
                             counties: tuple[str, ...] | None) -> list[ReportSection]:
    """Return this plugin's sections of the yearly report (年度工作报告) for ``year``, counting
    only ``counties`` (None: the whole city). Each section has a title, a paragraph written
    from its figures, tables and Altair charts; core puts them in the Word document, the
    Excel workbook and the 年度报告 page.

    Example::

        @hookimpl
        def jiangxin_report_sections(session, year, counties):
            n = session.scalar(select(func.count()).select_from(Greeting))
            return [ReportSection(key="hello", title="问候", text=f"全年共收到问候 {n} 条。")]
    """
