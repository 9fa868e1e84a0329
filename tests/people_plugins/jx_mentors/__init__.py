"""A test-only plugin that picks roster people without importing the roster: mentor and
apprentice pairs (师带徒), each person stored as an id with a snapshot of the name.

Dropped in through JIANGXIN_PLUGIN_PATH=tests/people_plugins by tests/test_people.py only.
"""

from pathlib import Path

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from core.access.permissions import Permission
from core.data.db import Base
from core.host.hookspecs import hookimpl
from core.host.pages import Page


class Pairing(Base):
    """One mentor and one apprentice; ``*_id`` None for a typed name (no roster)."""

    __tablename__ = "jx_mentors_pairing"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int | None]
    mentor_name: Mapped[str] = mapped_column(String(50))
    apprentice_id: Mapped[int | None]
    apprentice_name: Mapped[str] = mapped_column(String(50))
    county_code: Mapped[str | None] = mapped_column(String(12), index=True)


def pairings_page() -> None:
    import streamlit as st

    from core.data.db import read_session, session_scope
    from core.host.people import display_names, snapshot
    from core.ui import require
    from core.ui.people import people_picker, person_picker

    user = require("jx_mentors.edit")
    st.title("师带徒")
    mentor = person_picker("师傅", key="mentors_mentor")
    apprentices = people_picker("徒弟", key="mentors_apprentices")
    if st.button("保存结对", key="mentors_save", disabled=not (mentor and apprentices)):
        county = user.county_code or (None if mentor.is_typed else mentor.county_code)
        with session_scope(user.actor) as session:
            session.add_all(Pairing(**snapshot(mentor, "mentor"), **snapshot(one, "apprentice"),
                                    county_code=county) for one in apprentices)
        st.success(f"已保存 {len(apprentices)} 对师徒。")
    with read_session() as session:
        stmt = select(Pairing).order_by(Pairing.id)
        if (counties := user.visible_counties()) is not None:
            stmt = stmt.where(Pairing.county_code.in_(counties))
        rows = list(session.scalars(stmt.limit(200)))
        names = display_names(session, user, [(r.mentor_id, r.mentor_name) for r in rows]
                              + [(r.apprentice_id, r.apprentice_name) for r in rows])
    st.dataframe([{"师傅": names[i], "徒弟": names[len(rows) + i]} for i in range(len(rows))],
                 hide_index=True, key="mentors_list")


@hookimpl
def jiangxin_pages():
    return [Page(url_path="jx-mentors-pairings", title="师带徒", section="测试",
                 target=pairings_page, permission="jx_mentors.edit", order=600)]


@hookimpl
def jiangxin_models():
    return [Pairing]


@hookimpl
def jiangxin_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def jiangxin_permissions():
    return [Permission("jx_mentors.edit", "维护师带徒", {"admin", "staff"})]
