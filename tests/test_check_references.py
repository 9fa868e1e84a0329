"""SpreadsheetTable.check_references: checks that need the database (a row naming a record that
must exist) are reported at their row and column, in imports and one-row forms alike, and an
import with any of them writes nothing. The tables here are the test's own (their own MetaData)."""

from __future__ import annotations

from openpyxl import Workbook
from sqlalchemy import Column as SqlColumn
from sqlalchemy import Integer, MetaData, String, Table, select, text

from core.access.auth import CurrentUser
from core.data.db import get_engine
from core.spreadsheet import Column, SpreadsheetTable, import_file, insert_rows
from core.spreadsheet.forms import check_one_row, write_one_row

STAFF_JD = CurrentUser("staff_jd", "建德工作人员", "staff", "330182")
METADATA = MetaData()
TEAM = Table("refs_test_team", METADATA, SqlColumn("name", String(20), primary_key=True),
             SqlColumn("county_code", String(12)))
SCORE = Table("refs_test_score", METADATA, SqlColumn("team", String(20)), SqlColumn("points", Integer),
              SqlColumn("county_code", String(12)))
MISSING = "找不到该队伍"
calls: list[int] = []


def _references(session, rows, counties):
    calls.append(len(rows))
    names = {r["team"] for r in rows}
    found = set(session.execute(select(TEAM.c.name, TEAM.c.county_code).where(TEAM.c.name.in_(names))).all())
    return [(i, "team", MISSING) for i, r in enumerate(rows) if (r["team"], r["county_code"]) not in found]


def _write(session, rows, actor):
    insert_rows(session, SCORE, [{"team": r["team"], "points": r["points"], "county_code": r["county_code"]}
                                 for r in rows])


SCORES = SpreadsheetTable(
    name="refs_test_score", title="测试得分",
    columns=(Column("team", "队伍", required=True), Column("points", "得分", kind="integer", required=True),
             Column("county_code", "所属区县", kind="county", required=True)),
    county_column="county_code", check_references=_references, write_rows=_write)


def _db(sqlite_db):
    METADATA.create_all(get_engine())
    with get_engine().begin() as conn:
        conn.execute(TEAM.insert(), [{"name": "新安江队", "county_code": "330182"},
                                     {"name": "千岛湖队", "county_code": "330127"}])


def _scores() -> int:
    with get_engine().connect() as conn:
        return conn.execute(text("SELECT count(*) FROM refs_test_score")).scalar()


def test_an_import_reports_each_missing_reference_at_its_row_and_column_and_writes_nothing(sqlite_db, tmp_path):
    _db(sqlite_db)
    wb = Workbook()
    wb.active.append(["队伍", "得分", "所属区县"])
    wb.active.append(["新安江队", 3, "建德市"])
    wb.active.append(["无名队", 2, "建德市"])        # row 3: no such team
    wb.active.append(["新安江队", 5, "建德市"])
    wb.active.append(["千岛湖队", 1, "建德市"])      # row 5: a team, but of another county
    path = tmp_path / "scores.xlsx"
    wb.save(path)
    calls.clear()
    result = import_file(SCORES, path, STAFF_JD.actor)
    assert {(p.row, p.header, p.reason) for p in result.problems} == {
        (3, "队伍", MISSING), (5, "队伍", MISSING)}
    assert result.written == 0 and _scores() == 0
    assert calls == [4]  # one call for the batch, not one per row

    wb.active.delete_rows(5)
    wb.active.delete_rows(3)
    wb.save(path)
    result = import_file(SCORES, path, STAFF_JD.actor)
    assert not result.problems and result.written == 2 and _scores() == 2


def test_a_one_row_form_gets_the_same_reference_check_under_its_field(sqlite_db):
    _db(sqlite_db)
    result = check_one_row(SCORES, {"team": "无名队", "points": "2", "county_code": "建德市"}, STAFF_JD)
    assert result.problems == [("team", MISSING)]
    result = write_one_row(SCORES, {"team": "无名队", "points": "2", "county_code": "建德市"}, STAFF_JD)
    assert not result.written and _scores() == 0
    result = write_one_row(SCORES, {"team": "新安江队", "points": "2", "county_code": "建德市"}, STAFF_JD)
    assert result.written and _scores() == 1


def test_a_file_with_bad_cells_reports_the_missing_references_of_its_other_rows_in_the_same_pass(sqlite_db, tmp_path):
    _db(sqlite_db)
    wb = Workbook()
    wb.active.append(["队伍", "得分", "所属区县"])
    wb.active.append(["新安江队", "很多", "建德市"])   # row 2: not a number
    wb.active.append(["无名队", 2, "建德市"])          # row 3: no such team
    wb.active.append(["新安江队", 5, "建德市"])
    path = tmp_path / "scores.xlsx"
    wb.save(path)
    result = import_file(SCORES, path, STAFF_JD.actor)
    assert [(p.row, p.header) for p in result.problems] == [(2, "得分"), (3, "队伍")]
    assert result.problems[1].reason == MISSING and _scores() == 0
