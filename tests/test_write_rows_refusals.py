"""A plugin's write_rows refuses rows with RowsRefused (a problem for the user); any other
exception is a bug (logged and raised). Either way the whole import is undone."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from sqlalchemy import func, select

from core.data.audit import Actor
from core.data.db import read_session, session_scope
from core.data.models import AuditEntry
from core.host.loader import get_host
from core.spreadsheet import Problem, import_file
from core.spreadsheet.table import RowsRefused
from tests.helpers import testkit
from tests.sheets import county_workbook, make_id, save

STAFF_JD = Actor("staff_jd", "staff", "330182")
HEADER = ["姓名", "身份证号", "性别", "区县", "荣誉"]


def _file(tmp_path):
    rows = [["张建国", make_id("19680503", 131), "男", "建德市", "建德金匠"],
            ["李秀英", make_id("19700112", 242), "女", "建德市", "建德金匠"]]
    return save(county_workbook(rows, HEADER), tmp_path / "建德.xlsx")


def _table_whose_write_rows_raises(exc: Exception):
    """The test plugin's people table, whose write_rows writes the rows and then raises."""
    table = get_host().spreadsheet_tables["testkit_people"]
    write = table.write_rows

    def write_then_raise(session, rows, actor):
        write(session, rows, actor)
        raise exc

    return dataclasses.replace(table, write_rows=write_then_raise)


def _nothing_written() -> bool:
    Person = testkit().TestkitPerson
    with read_session() as s:
        return (s.scalar(select(func.count()).select_from(Person)) == 0
                and s.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "import")) == 0)


def test_rows_refused_by_write_rows_are_a_problem_and_nothing_is_written(sqlite_db, tmp_path):
    table = _table_whose_write_rows_raises(RowsRefused("该人员已去世，不能新增荣誉"))
    result = import_file(table, _file(tmp_path), STAFF_JD)
    assert result.problems == [Problem(0, "", "该人员已去世，不能新增荣誉")]
    assert not result.ok and result.written == 0
    assert _nothing_written()


@pytest.mark.parametrize("bug", [ValueError("invalid literal for int()"), KeyError("honour")])
def test_a_bug_in_write_rows_is_an_error_not_a_row_problem_and_nothing_is_written(
        sqlite_db, tmp_path, caplog, bug):
    table = _table_whose_write_rows_raises(bug)
    with caplog.at_level(logging.ERROR, logger="core.spreadsheet.writing"), \
            pytest.raises(type(bug)):
        import_file(table, _file(tmp_path), STAFF_JD)
    assert any("write_rows failed" in r.getMessage() and r.exc_info for r in caplog.records)
    assert _nothing_written()


def test_json_type_has_a_public_home_and_the_old_path_still_works():
    from core.data import db, models
    from plugins.registry import models as roster_models

    assert models.JSONType is db.JSONType
    assert roster_models.ChangeRequest.__table__.c.payload.type is db.JSONType


def test_the_rosters_bulk_additions_refuse_a_deceased_person_with_rows_refused(roster_db):
    from plugins.registry.models import ChangeRequest, Person
    from plugins.registry.spreadsheet import submit_additions
    from plugins.registry.vocab import DECEASED

    with read_session() as s:
        person = s.scalars(select(Person).where(Person.status != DECEASED)).first()
    row = {"id_number": person.id_number, "name": person.name, "county_code": person.county_code,
           "honour": "建德金匠", "year_awarded": 2026}
    with session_scope(Actor("admin", "admin")) as s:
        s.get(Person, person.id).status = DECEASED
    with read_session() as s:
        before = s.scalar(select(func.count()).select_from(ChangeRequest))
    with pytest.raises(RowsRefused, match="已去世，不能新增荣誉"), \
            session_scope(Actor("staff_jd", "staff", person.county_code)) as s:
        submit_additions(s, [row], Actor("staff_jd", "staff", person.county_code))
    with read_session() as s:
        assert s.scalar(select(func.count()).select_from(ChangeRequest)) == before
