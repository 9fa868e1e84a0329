"""A test-only plugin that implements every hook, so the hook contract is tested end to end.

Dropped in through JIANGXIN_PLUGIN_PATH=tests/plugins by the test suite. Streamlit, Altair
and pandas are imported where they are used, so the command line (imports, exports) does not
pay for them.
"""

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Date, Numeric, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from core.access.permissions import Permission
from core.data.audit import bump_versions
from core.data.db import Base, read_session
from core.host.hookspecs import hookimpl
from core.host.metrics import Metric, MetricResult
from core.host.pages import Page
from core.spreadsheet import insert_rows
from core.spreadsheet.cells import id_birth_date, id_gender
from core.spreadsheet.table import Column, SpreadsheetTable

__version__ = "9.9.9"
EVENTS_SEEN: list[tuple[str, dict]] = []


class TestkitNote(Base):
    __tablename__ = "jx_testkit_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200))
    county_code: Mapped[str | None] = mapped_column(String(12), index=True)


class TestkitPerson(Base):
    """A roster-like table for the spreadsheet tests: every column kind appears once."""

    __tablename__ = "jx_testkit_person"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str | None] = mapped_column(String(2))
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    joined: Mapped[str | None] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(20))
    county_code: Mapped[str] = mapped_column(String(12), index=True)
    honour: Mapped[str | None] = mapped_column(String(40))
    year_awarded: Mapped[int | None]
    bonus: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    employer: Mapped[str | None] = mapped_column(String(100))


HONOURS = ("全国劳动模范", "浙江省劳动模范", "杭州市劳动模范", "杭州工匠", "建德金匠")
PERSON_COLUMNS = (
    Column("name", "姓名", required=True),
    Column("gender", "性别", kind="choice", choices=("男", "女")),
    Column("id_number", "公民身份号码", kind="id_number", required=True,
           aliases=("身份证号", "身份证号码")),
    Column("birth_date", "出生日期", kind="date"),
    Column("joined", "参加工作时间", kind="date", month_ok=True),
    Column("phone", "联系电话", kind="phone", aliases=("电话", "手机")),
    Column("county_code", "所属区县", kind="county", required=True, aliases=("区县",)),
    Column("honour", "荣誉", kind="choice", choices=HONOURS),
    Column("year_awarded", "授予年份", kind="integer"),
    Column("bonus", "奖金（万元）", kind="decimal"),
    Column("employer", "工作单位", aliases=("单位",)),
)


def _person_checks(row):
    problems = []
    number = row["id_number"]
    if row.get("gender") and row["gender"] != id_gender(number):
        problems.append(("gender", f"与身份证号码不符（号码显示为{id_gender(number)}）"))
    if isinstance(row.get("birth_date"), dt.date) and row["birth_date"] != id_birth_date(number):
        problems.append(("birth_date", f"与身份证号码不符（号码显示为 {id_birth_date(number)}）"))
    return problems


def _existing(session, keys):
    # a one-column key: a plain IN, which SQLAlchemy expands far faster than a tuple IN
    found = session.scalars(select(TestkitPerson.id_number)
                            .where(TestkitPerson.id_number.in_([k[0] for k in keys])))
    return {(n,) for n in found}


def _write(session, rows, actor):
    # not the ORM: a bulk import of 100,000 rows needs no identity map
    insert_rows(session, TestkitPerson.__table__, [
        {**row, "joined": str(row["joined"]) if row.get("joined") else None} for row in rows])
    bump_versions(session, {"jx_testkit_person"})


def _export(session, counties):
    table = TestkitPerson.__table__
    stmt = select(*(table.c[c.key] for c in PERSON_COLUMNS)).order_by(table.c.id)
    if counties is not None:
        stmt = stmt.where(table.c.county_code.in_(counties))
    yield from session.execute(stmt.execution_options(yield_per=2000)).mappings()


PEOPLE = SpreadsheetTable(
    name="testkit_people", title="测试人员", columns=PERSON_COLUMNS, natural_key=("id_number",),
    county_column="county_code", permission="jx_testkit.view", validate_row=_person_checks,
    existing_keys=_existing, write_rows=_write, export_rows=_export)


def notes_page() -> None:
    import streamlit as st

    from core.ui import require

    user = require("jx_testkit.view")
    st.title("测试便签")
    with read_session() as session:
        stmt = select(TestkitNote).order_by(TestkitNote.id)
        if user.county_code:
            stmt = stmt.where(TestkitNote.county_code == user.county_code)
        for note in session.scalars(stmt):
            st.write(f"{note.county_code}: {note.text}")


def people_page() -> None:
    import streamlit as st

    from core.spreadsheet.widgets import export_button, import_panel

    st.title("测试人员导入导出")
    import_panel("testkit_people")
    export_button("testkit_people")


def secret_page() -> None:
    import streamlit as st

    st.title("测试机密")
    st.write("机密内容 SECRET-42")


@hookimpl
def jiangxin_pages():
    return [
        Page(url_path="jx-testkit-notes", title="测试便签", section="测试", target=notes_page,
             permission="jx_testkit.view", order=500),
        Page(url_path="jx-testkit-people", title="测试人员", section="测试", target=people_page,
             permission="jx_testkit.view", order=502),
        Page(url_path="jx-testkit-secret", title="测试机密", section="测试", target=secret_page,
             permission="jx_testkit.secret", order=501),
    ]


@hookimpl
def jiangxin_models():
    return [TestkitNote, TestkitPerson]


@hookimpl
def jiangxin_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def jiangxin_permissions():
    return [
        Permission("jx_testkit.view", "查看测试便签", {"admin", "staff"}),
        Permission("jx_testkit.secret", "查看测试机密", {"admin", "staff", "reviewer"}),
    ]


@hookimpl
def jiangxin_check_permission(user, permission):
    # Staff of 淳安县 are refused the secret page whatever their role says.
    if permission == "jx_testkit.secret" and user.county_code == "330127":
        return False
    return None


def _count(ctx):
    import altair as alt
    import pandas as pd

    rows = ctx.session.execute(
        select(TestkitNote.county_code, func.count()).where(ctx.county_filter(TestkitNote.county_code))
        .group_by(TestkitNote.county_code).order_by(TestkitNote.county_code)).all()
    table = [{"区县": c, "便签数": n} for c, n in rows]
    chart = alt.Chart(pd.DataFrame(table or [{"区县": "", "便签数": 0}])).mark_bar().encode(
        x="区县:N", y="便签数:Q")
    return MetricResult(value=sum(n for _, n in rows), chart=chart, rows=table)


@hookimpl
def jiangxin_metrics():
    return [Metric(key="jx-testkit-notes", title="测试便签数", compute=_count,
                   tables=frozenset({"jx_testkit_note"}), link="jx-testkit-notes", order=50)]


@hookimpl
def jiangxin_spreadsheet_tables():
    return [PEOPLE]


@hookimpl
def jiangxin_demo_data(session, faker, seed):
    for code in ("330182", "330127", "330102"):
        session.add(TestkitNote(text=f"{faker.name()}的便签（{seed}）", county_code=code))


@hookimpl
def jiangxin_notification(event, payload, session):
    EVENTS_SEEN.append((event, payload))
    if event == "jx_testkit.ping":
        session.add(TestkitNote(text=f"pong {payload.get('n')}", county_code=payload.get("county")))
    if event == "jx_testkit.explode":
        session.add(TestkitNote(text="half-written", county_code=None))
        session.flush()
        raise RuntimeError("subscriber failed")


def _person_ref(person):
    from core.host.people import PersonRef

    masked = person.id_number[:6] + "*" * 8 + person.id_number[-4:]
    return PersonRef(id=person.id, name=person.name, county_code=person.county_code,
                     id_number_masked=masked, honour=person.honour)


@hookimpl
def jiangxin_people_search(session, user, text, limit):
    stmt = select(TestkitPerson).where(TestkitPerson.name.contains(text, autoescape=True))
    if (counties := user.visible_counties()) is not None:
        stmt = stmt.where(TestkitPerson.county_code.in_(counties))
    return [_person_ref(p) for p in session.scalars(stmt.order_by(TestkitPerson.id).limit(limit))]


@hookimpl
def jiangxin_people_get(session, user, ids):
    stmt = select(TestkitPerson).where(TestkitPerson.id.in_(ids))
    if user is not None and (counties := user.visible_counties()) is not None:
        stmt = stmt.where(TestkitPerson.county_code.in_(counties))
    return [_person_ref(p) for p in session.scalars(stmt)]


@hookimpl
def jiangxin_people_list(session, user, query, offset, limit):
    from core.host.people import PeoplePage

    stmt = select(TestkitPerson.id)
    counties = user.visible_counties() if user is not None else None
    if query.counties is not None:
        counties = tuple(c for c in query.counties if counties is None or c in counties)
    if counties is not None:
        stmt = stmt.where(TestkitPerson.county_code.in_(counties))
    if query.text:
        stmt = stmt.where(TestkitPerson.name.contains(query.text, autoescape=True))
    if query.excluding is not None:
        stmt = stmt.where(TestkitPerson.id.not_in(query.excluding))
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(select(TestkitPerson).where(TestkitPerson.id.in_(stmt))
                           .order_by(TestkitPerson.county_code, TestkitPerson.name, TestkitPerson.id)
                           .offset(offset).limit(limit))
    return PeoplePage([_person_ref(p) for p in rows], total)


@hookimpl
def jiangxin_todos(session, user):
    # Notes nobody filed under a county: only someone who sees the whole city can sort them.
    from core.host.todos import SOON, Todo

    if user.visible_counties() is not None:
        return []
    n = session.scalar(select(func.count()).select_from(TestkitNote)
                       .where(TestkitNote.county_code.is_(None)))
    return [Todo(key="jx-testkit-unfiled", title="未分区县的测试便签", count=n, urgency=SOON,
                 link="jx-testkit-notes", unit="条")] if n else []


@hookimpl
def jiangxin_report_sections(session, year, counties):
    from core.report import ReportSection, ReportTable

    stmt = select(TestkitNote.county_code, func.count()).group_by(TestkitNote.county_code)
    if counties is not None:
        stmt = stmt.where(TestkitNote.county_code.in_(counties))
    rows = [{"区县": code or "未分区县", "便签数": n} for code, n in session.execute(stmt.order_by(TestkitNote.county_code))]
    total = sum(r["便签数"] for r in rows)
    return [ReportSection(key="jx-testkit-notes", title="测试便签", order=500,
                          text=f"{year} 年报告范围内共有测试便签 {total} 条。",
                          tables=[ReportTable("各区县测试便签数", rows)])]
