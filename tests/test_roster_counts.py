"""人员名册's 共 N 人 (and the honours its export would hold) is counted once per search and
roster version: a rerun counts nothing again, a write to the roster is seen at the next run."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import event

from core.data.audit import Actor
from core.data.db import get_engine, session_scope
from plugins.registry.models import Person, initials
from tests.helpers import signed_in_app
from tests.sheets import make_id

ADMIN = Actor("admin", "admin", None)


def shown_total(at) -> int:
    return int(re.search(r"共 (\d+) 人", " ".join(m.value for m in at.markdown)).group(1))


def counted(at) -> list[str]:
    """The count statements one run of ``at`` sends."""
    sent = []

    def keep(conn, cursor, statement, *args):
        if "count(" in statement.lower() and "registry_person" in statement:
            sent.append(statement)

    event.listen(get_engine(), "before_cursor_execute", keep)
    try:
        at.run()
    finally:
        event.remove(get_engine(), "before_cursor_execute", keep)
    return sent


def test_a_rerun_counts_nothing_again_and_a_write_is_seen_at_the_next_run(roster_db):
    at = signed_in_app("admin", page="registry-people")
    at.text_input(key="registry_q").input("建").run()
    before = shown_total(at)
    assert before > 0
    assert counted(at) == []  # a rerun: a click, a page: the counts are kept

    with session_scope(ADMIN) as s:
        s.add(Person(name="钱建塘", name_initials=initials("钱建塘"), gender="男",
                     birth_date=dt.date(1971, 1, 1), id_number=make_id("19710101", 811),
                     county_code="330182", status="在职"))
    assert counted(at) != []  # the roster changed: counted again
    assert shown_total(at) == before + 1
