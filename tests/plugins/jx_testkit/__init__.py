"""A test-only plugin that implements every hook, so the hook contract is tested end to end.

Dropped in through JIANGXIN_PLUGIN_PATH=tests/plugins by the test suite.
"""

from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st
from sqlalchemy import String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, read_session
from core.hookspecs import hookimpl
from core.metrics import Metric, MetricResult
from core.pages import Page
from core.permissions import Permission
from core.spreadsheets import Column, SpreadsheetTable
from core.ui import require

__version__ = "9.9.9"
EVENTS_SEEN: list[tuple[str, dict]] = []


class TestkitNote(Base):
    __tablename__ = "jx_testkit_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200))
    county_code: Mapped[str | None] = mapped_column(String(12), index=True)


def notes_page() -> None:
    user = require("jx_testkit.view")
    st.title("测试便签")
    with read_session() as session:
        stmt = select(TestkitNote).order_by(TestkitNote.id)
        if user.county_code:
            stmt = stmt.where(TestkitNote.county_code == user.county_code)
        for note in session.scalars(stmt):
            st.write(f"{note.county_code}: {note.text}")


def secret_page() -> None:
    st.title("测试机密")
    st.write("机密内容 SECRET-42")


@hookimpl
def jiangxin_pages():
    return [
        Page(url_path="jx-testkit-notes", title="测试便签", section="测试", target=notes_page,
             permission="jx_testkit.view", order=500),
        Page(url_path="jx-testkit-secret", title="测试机密", section="测试", target=secret_page,
             permission="jx_testkit.secret", order=501),
    ]


@hookimpl
def jiangxin_models():
    return [TestkitNote]


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
    return [SpreadsheetTable(name="testkit_notes", title="测试便签",
                             columns=(Column("text", "内容", required=True),
                                      Column("county_code", "所属区县", aliases=("区县",))),
                             natural_key=("text",))]


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
