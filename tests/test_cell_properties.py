"""Property tests (Hypothesis): whatever a spreadsheet reader hands over, the cell parsers either
parse it or refuse it with CellError, and an import either goes through or lists problems,
each with its row and column: never another exception."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core.data.audit import Actor
from core.host.loader import get_host
from core.spreadsheet import cells, import_file
from tests.sheets import county_workbook, make_id, save

# what python-calamine and openpyxl return for a cell
TOKENS = st.text(alphabet="0123456789０１２３.-/年月日 ,+eEXx٣²", max_size=20)
CELLS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-10**30, 10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.floats(1900, 2100),
    st.dates(), st.datetimes(), st.text(), TOKENS,  # text includes unicode and control characters
)
LOOKUP = {"建德市": "330182", "330182": "330182", "淳安县": "330127"}
PARSERS = {
    "integer": cells.parse_integer,
    "decimal": cells.parse_decimal,
    "date": cells.parse_date,
    "month": lambda v: cells.parse_date(v, month_ok=True),
    "choice": lambda v: cells.parse_choice(v, ("男", "女")),
    "choice_map": lambda v: cells.parse_choice(v, {"男": "M", "女": "F"}),
    "county": lambda v: cells.parse_county(v, LOOKUP),
    "phone": cells.parse_phone,
    "id_number": cells.parse_id_number,
    "text": lambda v: cells.parse_text(v, 20),
}
QUICK = settings(max_examples=150, deadline=None, database=None)


@pytest.mark.parametrize("kind", PARSERS)
@QUICK
@given(value=CELLS)
@example(value=1e-05)  # a float whose repr has no decimal point
@example(value=float("nan"))
@example(value="1" * 5000)  # more digits than int() converts by default
@example(value="1968.05")
@example(value=make_id())
def test_a_cell_parses_or_is_refused_with_a_cell_error(kind, value):
    try:
        PARSERS[kind](value)
    except cells.CellError as exc:
        assert str(exc)  # a reason to show the user


@QUICK
@given(value=CELLS)
def test_what_parses_has_the_promised_type(value):
    for parse, kinds in ((cells.parse_integer, int), (cells.parse_decimal, Decimal),
                         (cells.parse_date, dt.date), (cells.parse_phone, str),
                         (cells.parse_id_number, str)):
        try:
            parsed = parse(value)
        except cells.CellError:
            continue
        assert isinstance(parsed, kinds) and not isinstance(parsed, bool), (parse, value)


# --- the whole import -------------------------------------------------------------------

HEADER = ["序号", "姓名", "身份证号", "性别", "出生日期", "参加工作时间", "电话", "区县",
          "荣誉", "授予年份", "奖金（万元）", "单位"]


def fine_row(n: int, seq: int) -> list:
    """A row as a county fills it (the gender follows the ID number)."""
    return [n, "张建国", make_id("19700112", seq), "男" if seq % 2 else "女", "1970-01-12",
            "1992年7月", "13812345678", "建德市", "建德金匠", 2020, 1.5, "建德市某某机械厂"]


FINE = st.builds(fine_row, st.integers(1, 99), st.integers(0, 999))
# what an .xlsx cell can hold: no control characters, dates Excel can store
XLSX_CELLS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**15, 10**15), st.floats(allow_nan=False, allow_infinity=False),
    st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)),
    st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2100, 1, 1)),
    st.text(max_size=30).map(lambda t: ILLEGAL_CHARACTERS_RE.sub("", t)), TOKENS,
)
# a row as a county fills it, or with any of its cells replaced by anything
ROWS = st.lists(st.one_of(FINE, st.tuples(FINE, st.lists(XLSX_CELLS, min_size=12, max_size=12),
                                          st.lists(st.booleans(), min_size=12, max_size=12))
                          .map(lambda t: [b if swap else a for a, b, swap in zip(*t, strict=True)])),
                min_size=1, max_size=4)
STAFF_JD = Actor("staff_jd", "staff", "330182")


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=ROWS)
def test_any_rows_import_or_come_back_as_problems_with_row_and_column(sqlite_db, tmp_path, rows):
    path = save(county_workbook(rows, HEADER, blank_between=False), tmp_path / "any.xlsx")
    table = get_host().spreadsheet_tables["testkit_people"]
    result = import_file(table, path, STAFF_JD, counties=("330182",), dry_run=True)
    event(f"rows read: {result.rows}, problems: {bool(result.problems)}")
    if result.rows == 0:  # every row blank (or read as notes): said of the whole file
        assert [p.row for p in result.problems] in ([], [0]), result.problems
        return
    first_data_row = 5  # title, 填报单位, blank, header
    for problem in result.problems:
        assert problem.row >= first_data_row and problem.header and problem.reason, problem
        assert problem.header in HEADER or re.fullmatch(r"\S.*", problem.header), problem
    if result.ok:
        assert result.to_write + len(result.already_present) == result.rows
