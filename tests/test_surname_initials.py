"""Pinyin initials read a surname as a surname: staff type zgl for 曾桂兰 (Zeng Guilan), and
the people on file before the change are found that way too (migration registry_0005)."""

from __future__ import annotations

import datetime as dt
import importlib.util

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text

from core.data.audit import Actor
from core.data.db import get_engine, read_session, session_scope
from plugins.registry.models import Person, initials
from plugins.registry.queries import PersonFilter, find_people
from tests.helpers import ROOT
from tests.sheets import make_id

ADMIN = Actor("admin", "admin", None)
MIGRATION = ROOT / "plugins" / "registry" / "migrations" / "registry_0005_surname_initials.py"


def names_found(typed: str) -> set[str]:
    with read_session() as s:
        return {p.name for p in find_people(s, PersonFilter(text=typed), page_size=500)}


def add(name: str, seq: int) -> None:
    with session_scope(ADMIN) as s:
        s.add(Person(name=name, name_initials=initials(name), gender="女", birth_date=dt.date(1975, 5, 5),
                     id_number=make_id("19750505", seq), county_code="330182", status="在职"))


def test_a_surname_is_read_as_a_surname(roster_db):
    add("曾桂兰", 401)
    add("单田芳", 403)
    assert "曾桂兰" in names_found("zgl") and "曾桂兰" not in names_found("cgl")
    assert "单田芳" in names_found("stf")
    assert initials("张建国") == "zjg"  # the usual reading stays


def test_people_on_file_before_get_their_initials_put_right(roster_db):
    add("曾丹丹", 405)
    with get_engine().begin() as conn:  # as a database before registry_0005 had it
        conn.execute(text("UPDATE registry_person SET name_initials = 'cdd' WHERE name = '曾丹丹'"))
    assert "曾丹丹" not in names_found("zdd")
    spec = importlib.util.spec_from_file_location("registry_0005", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with get_engine().begin() as conn, Operations.context(MigrationContext.configure(conn)):
        migration.upgrade()
    with read_session() as s:
        assert s.scalar(select(Person.name_initials).where(Person.name == "曾丹丹")) == "zdd"
    assert "曾丹丹" in names_found("zdd")
