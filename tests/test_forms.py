"""Forms from a spreadsheet table (issue #12, item 1): a table's one-row form refuses exactly what
its import refuses, for every column kind, in the same words; it writes through the table in an
audited session, within the user's county; it refuses duplicates, clears after a submit, and has
an edit variant. The table here is the test's own (its own MetaData: not core's), with a column of
every kind; the last tests go through the roster's real 新增 form."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Column as SqlColumn
from sqlalchemy import MetaData, String, Table, select, text, tuple_, update

from core.access.auth import CurrentUser
from core.access.permissions import PermissionDenied
from core.data.audit import bump_versions
from core.data.db import get_engine
from core.spreadsheet import Column, RowsRefused, SpreadsheetTable, import_file, insert_rows
from core.spreadsheet.forms import check_one_row, write_one_row
from tests.sheets import make_id

STAFF_JD = CurrentUser("staff_jd", "建德工作人员", "staff", "330182")
ADMIN = CurrentUser("admin", "管理员甲", "admin", None)

METADATA = MetaData()  # not core's Base: the other tests compare its tables with their databases
ITEM = Table("forms_test_item", METADATA,
             SqlColumn("id_number", String(18), primary_key=True),
             SqlColumn("kind", String(4), primary_key=True),
             SqlColumn("name", String(10)), SqlColumn("day", String(10)), SqlColumn("born", String(10)),
             SqlColumn("count", String(20)), SqlColumn("amount", String(20)),
             SqlColumn("phone", String(20)), SqlColumn("county_code", String(12)))
KEY = ("id_number", "kind")


def _stored(row: dict) -> dict:
    return {k: None if v is None else str(v) for k, v in row.items()}


def _check(row):
    return [("amount", "不能超过 100")] if row["amount"] is not None and row["amount"] > 100 else []


def _existing(session, keys):
    columns = [ITEM.c[k] for k in KEY]
    return {tuple(r) for r in session.execute(select(*columns).where(tuple_(*columns).in_(keys)))}


def _identities(session, keys):
    found = session.execute(select(ITEM.c.id_number, ITEM.c.name, ITEM.c.county_code)
                            .where(ITEM.c.id_number.in_([k[0] for k in keys])))
    return {(number,): {"name": name, "county_code": county} for number, name, county in found}


def _write(session, rows, actor):
    if any(r["name"] == "拒绝" for r in rows):
        raise RowsRefused("该行被表格拒绝")
    insert_rows(session, ITEM, [_stored(r) for r in rows])
    bump_versions(session, {"forms_test_item"})


def _update(session, key, row, actor):
    session.execute(update(ITEM).where(tuple_(*(ITEM.c[k] for k in KEY)) == key).values(**_stored(row)))
    bump_versions(session, {"forms_test_item"})


ITEMS = SpreadsheetTable(
    name="forms_test_item", title="测试条目",
    columns=(Column("name", "姓名", required=True, max_length=10),
             Column("kind", "类别", kind="choice", choices=("甲", "乙"), required=True),
             Column("id_number", "公民身份号码", kind="id_number", required=True),
             Column("day", "日期", kind="date", month_ok=True),
             Column("born", "出生日期", kind="date"),
             Column("count", "数量", kind="integer"),
             Column("amount", "金额", kind="decimal"),
             Column("phone", "联系电话", kind="phone"),
             Column("county_code", "所属区县", kind="county", required=True)),
    natural_key=KEY, county_column="county_code", validate_row=_check, existing_keys=_existing,
    write_rows=_write, update_row=_update, identity=("id_number",), identity_fields=("name", "county_code"),
    existing_identities=_identities)
HEADERS = {c.key: c.header for c in ITEMS.columns}

NUMBER = make_id("19680503", 123)
GOOD = {"name": "王小明", "kind": "甲", "id_number": NUMBER, "day": "2024-05", "born": "1968-05-03",
        "count": "3", "amount": "2.5", "phone": "13912345678", "county_code": "建德市"}
WRONG_CHECK = NUMBER[:17] + ("1" if NUMBER[17] != "1" else "2")

# (column, value typed): every kind, each refused by the import
BAD = [("name", ""), ("name", "很" * 11), ("kind", "丙"), ("kind", ""),
       ("id_number", WRONG_CHECK), ("id_number", NUMBER[:14]), ("id_number", "330182680503123"),
       ("id_number", ""), ("day", "2024-13"), ("day", "昨天"), ("born", "1968-05"), ("born", "1968-02-30"),
       ("count", "1.5"), ("count", "三"), ("amount", "abc"), ("amount", "200"), ("phone", "12345"),
       ("county_code", "火星县"), ("county_code", "淳安县")]
# and values both take
GOOD_TOO = [("day", "２０２４－０５"), ("count", "１２"), ("county_code", ""), ("county_code", "330182"),
            ("phone", "0571-64712345"), ("id_number", NUMBER.lower()[:17] + NUMBER[17].lower())]


@pytest.fixture
def items_db(sqlite_db):
    METADATA.create_all(get_engine())
    return sqlite_db


@pytest.fixture
def items_any(any_db):
    """The test table on SQLite and (when available) PostgreSQL."""
    METADATA.create_all(get_engine())
    return any_db


def count_rows(where: str = "1=1", **params) -> int:
    with get_engine().connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM forms_test_item WHERE {where}"), params).scalar()


def import_problems(tmp_path: Path, values: dict, user=STAFF_JD):
    """The import's (header, reason) pairs for a file of this one row (a real .xlsx, text cells)."""
    wb = Workbook()
    wb.active.append([c.header for c in ITEMS.columns])
    wb.active.append([values.get(c.key) or None for c in ITEMS.columns])
    path = tmp_path / "one.xlsx"
    wb.save(path)
    result = import_file(ITEMS, path, user.actor, dry_run=True)
    return {(p.header, p.reason) for p in result.problems}, result


def form_problems(values: dict, user=STAFF_JD):
    result = check_one_row(ITEMS, values, user)
    return {(HEADERS[k] if k else "", reason) for k, reason in result.problems}, result


def test_the_form_refuses_exactly_what_the_import_refuses_for_every_kind_in_the_same_words(items_db, tmp_path):
    differ = []
    for key, value in BAD:
        row = {**GOOD, key: value}
        by_import, _ = import_problems(tmp_path, row)
        by_form, result = form_problems(row)
        assert by_import, (key, value)  # the import does refuse it
        assert result.problems and result.problems[0][0] == key, (key, value, result.problems)
        if by_import != by_form:
            differ.append((key, value, by_import, by_form))
    for key, value in GOOD_TOO:
        row = {**GOOD, key: value}
        by_import, _ = import_problems(tmp_path, row)
        by_form, _ = form_problems(row)
        if by_import or by_form:
            differ.append((key, value, by_import, by_form))
    assert differ == []
    # the words are the import's: a few, spelt out
    assert form_problems({**GOOD, "id_number": WRONG_CHECK})[0] == {("公民身份号码", "身份证号码校验位不对，请核对是否抄错")}
    assert form_problems({**GOOD, "born": "1968-05"})[0] == {("出生日期", "请填写完整日期（年月日），“1968-05”只到月份")}
    assert form_problems({**GOOD, "county_code": "淳安县"})[0] == {("所属区县", "淳安县 不在您可导入的区县范围内")}


def test_an_identity_on_file_as_someone_else_or_elsewhere_is_refused_as_the_import_refuses_it(items_db, tmp_path):
    assert write_one_row(ITEMS, {**GOOD, "name": "李四"}, ADMIN).written
    other = make_id("19700101", 111, area="330127")
    assert write_one_row(ITEMS, {**GOOD, "id_number": other, "county_code": "淳安县"}, ADMIN).written
    for row in ({**GOOD, "kind": "乙"}, {**GOOD, "id_number": other, "kind": "乙"}):
        by_import, _ = import_problems(tmp_path, row)
        by_form, _ = form_problems(row)
        assert by_form == by_import and by_form, (by_import, by_form)
    assert form_problems({**GOOD, "kind": "乙"})[0] == {
        ("姓名", "名册中该公民身份号码登记的姓名为“李四”，与本行不符：请核对号码；同一人请与名册保持一致")}
    assert form_problems({**GOOD, "id_number": other, "kind": "乙"})[0] == {
        ("公民身份号码", "该公民身份号码无法在本区县登记，请联系市协会")}


def test_a_form_write_is_audited_with_its_actor_within_the_users_county(items_any):
    result = write_one_row(ITEMS, GOOD, STAFF_JD)
    assert result.ok and result.written and result.name == "王小明"
    assert count_rows("id_number = :n AND county_code = '330182' AND day = '2024-05'", n=NUMBER) == 1
    with get_engine().connect() as conn:
        entries = conn.execute(text("SELECT actor, actor_county, action, county_code, summary FROM core_audit_log "
                                    "WHERE table_name = 'forms_test_item'")).all()
    assert entries == [("staff_jd", "330182", "create", "330182", "新增测试条目：王小明")]


def test_a_county_user_cannot_write_or_edit_another_county_even_by_crafting_the_value(items_db):
    result = write_one_row(ITEMS, {**GOOD, "county_code": "330127"}, STAFF_JD)
    assert not result.written and result.problems == [("county_code", "淳安县 不在您可导入的区县范围内")]
    assert count_rows() == 0
    elsewhere = {**GOOD, "id_number": make_id("19700101", 111, area="330127"), "county_code": "330127"}
    assert write_one_row(ITEMS, elsewhere, ADMIN).written
    stored = {**elsewhere, "day": "2024-05"}
    with pytest.raises(PermissionDenied):  # the row to change is not theirs
        write_one_row(ITEMS, {**stored, "name": "改名", "county_code": "330182"}, STAFF_JD, current=stored)
    assert count_rows("name = '改名'") == 0


def test_a_duplicate_is_refused_and_a_refusal_of_the_table_writes_nothing(items_db, tmp_path):
    assert write_one_row(ITEMS, GOOD, STAFF_JD).written
    again = write_one_row(ITEMS, {**GOOD, "name": "王小明", "phone": ""}, STAFF_JD)
    assert again.problems == [("id_number", "已存在（公民身份号码、类别都与已有的一行相同）")] and not again.written
    _, imported = import_problems(tmp_path, GOOD)  # the import skips it, as already present
    assert imported.ok and imported.already_present == [2]
    refused = write_one_row(ITEMS, {**GOOD, "id_number": make_id("19700101", 111), "name": "拒绝"}, ADMIN)
    assert refused.problems == [(None, "该行被表格拒绝")] and not refused.written
    assert count_rows() == 1
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM core_audit_log WHERE table_name = 'forms_test_item'")).scalar() == 1


def test_the_edit_variant_changes_the_row_and_is_not_a_duplicate_of_itself(items_db):
    assert write_one_row(ITEMS, GOOD, STAFF_JD).written
    assert write_one_row(ITEMS, {**GOOD, "kind": "乙"}, STAFF_JD).written
    stored = {**GOOD, "county_code": "330182"}
    edited = write_one_row(ITEMS, {**stored, "phone": "0571-64712345"}, STAFF_JD, current=stored)
    assert edited.written, edited.problems
    assert count_rows("kind = '甲' AND phone = '0571-64712345'") == 1 and count_rows() == 2
    clash = write_one_row(ITEMS, {**stored, "kind": "乙"}, STAFF_JD, current=stored)  # onto the other row
    assert clash.problems == [("id_number", "已存在（公民身份号码、类别都与已有的一行相同）")]
    with get_engine().connect() as conn:
        actions = conn.execute(text("SELECT action FROM core_audit_log WHERE table_name = 'forms_test_item' "
                                    "ORDER BY id")).scalars().all()
    assert actions == ["create", "create", "update"]


# --- the widget ----------------------------------------------------------------------------

SCRIPT = """
from core.access.auth import CurrentUser
from core.spreadsheet import table_form
from tests.test_forms import ITEMS

user = CurrentUser("staff_jd", "建德工作人员", "staff", "330182")
table_form(ITEMS, user, key="item", values=st.session_state.get("editing"))
"""


def form_app():
    from streamlit.testing.v1 import AppTest

    return AppTest.from_string("import streamlit as st\n" + SCRIPT, default_timeout=30).run()


def under(at, label: str) -> list[str]:
    """The errors drawn right under the form's field ``label`` (in the block that follows it)."""
    children = list(at.get("form")[0].children.values())
    at_field = next(i for i, e in enumerate(children) if getattr(e, "label", None) == label)
    below = children[at_field + 1]
    found = [below] if below.type == "error" else list(getattr(below, "children", {}).values())
    return [e.value for e in found if e.type == "error"]


def fill(at, values: dict) -> None:
    boxes = {t.label: t for t in at.text_input}
    for key, value in values.items():
        if key == "kind":
            next(s for s in at.selectbox if s.label == "类别").set_value(value)
        elif key != "county_code":
            boxes[HEADERS[key]].input(value)


def test_the_form_shows_each_problem_under_its_field_then_clears_and_refuses_a_second_click(items_db):
    at = form_app()
    assert not at.exception
    county = next(s for s in at.selectbox if s.label == "所属区县")
    assert county.disabled and county.value == "330182"  # locked for county staff
    fill(at, {**GOOD, "id_number": WRONG_CHECK, "born": "1968-05"})
    at.button(key="FormSubmitter:item-提交").click().run()
    assert not at.exception
    assert under(at, "公民身份号码") == ["身份证号码校验位不对，请核对是否抄错"]
    assert under(at, "出生日期") == ["请填写完整日期（年月日），“1968\\-05”只到月份"]
    assert under(at, "姓名") == [] and len(at.error) == 2
    assert count_rows() == 0

    fill(at, {"id_number": NUMBER, "born": "1968-05-03"})
    at.button(key="FormSubmitter:item-提交").click().run()
    assert not at.exception and [e.value for e in at.error] == []
    assert [s.value for s in at.success] == ["已添加“王小明”。"]
    assert [t.value for t in at.text_input] == [""] * 7  # cleared
    assert count_rows("id_number = :n", n=NUMBER) == 1
    at.button(key="FormSubmitter:item-提交").click().run()  # the same click again
    assert count_rows() == 1
    assert under(at, "姓名") == ["必填，不能为空"]


def test_typed_text_is_never_markdown_in_the_forms_messages(items_db):
    at = form_app()
    fill(at, {**GOOD, "name": "**粗**[链]", "kind": "乙"})
    at.button(key="FormSubmitter:item-提交").click().run()
    assert [s.value for s in at.success] == ["已添加“\\*\\*粗\\*\\*\\[链\\]”。"]


def test_the_edit_form_is_filled_in_and_saves_the_row(items_db):
    assert write_one_row(ITEMS, GOOD, STAFF_JD).written
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string("import streamlit as st\n" + SCRIPT, default_timeout=30)
    at.session_state["editing"] = {**GOOD, "county_code": "330182", "day": "2024-05"}
    at.run()
    boxes = {t.label: t for t in at.text_input}
    assert boxes["姓名"].value == "王小明" and boxes["日期"].value == "2024-05"
    boxes["联系电话"].input("0571-64712345")
    at.button(key="FormSubmitter:item-保存修改").click().run()
    assert not at.exception and [s.value for s in at.success] == ["已修改“王小明”。"]
    assert count_rows("phone = '0571-64712345'") == 1 and count_rows() == 1


# --- the roster's real 新增 form ----------------------------------------------------------------

def test_the_rosters_addition_form_refuses_a_number_in_the_bulk_imports_words_beside_it(roster_db, tmp_path):
    from sqlalchemy import func

    from core.host.loader import get_host
    from plugins.registry.models import ChangeRequest
    from tests.helpers import signed_in_app

    bad = make_id("19900909", 733)[:17] + "0"
    bad = bad if bad != make_id("19900909", 733) else bad[:17] + "1"
    wb = Workbook()
    wb.active.append(["姓名", "公民身份号码", "荣誉"])
    wb.active.append(["司马新", bad, "建德金匠"])
    wb.save(tmp_path / "新增.xlsx")
    imported = import_file(get_host().spreadsheet_tables["roster_additions"], tmp_path / "新增.xlsx",
                           STAFF_JD.actor, dry_run=True)
    [(header, reason)] = [(p.header, p.reason) for p in imported.problems]

    at = signed_in_app("staff_jd", page="registry-submit")
    county = next(s for s in at.selectbox if s.label == "所属区县")
    assert county.disabled and county.value == "330182"
    boxes = {t.label: t for t in at.text_input}
    boxes["公民身份号码"].input(bad)
    boxes["姓名（已在名册中的人员可不填）"].input("司马新")
    next(t for t in at.text_area if t.label == "变动理由").input("新评建德金匠")
    at.button(key="FormSubmitter:addition-提交").click().run()
    assert not at.exception
    assert header == "公民身份号码" and under(at, "公民身份号码") == [reason]
    with get_engine().connect() as conn:
        assert conn.execute(select(func.count()).select_from(ChangeRequest.__table__)
                            .where(ChangeRequest.open_key.like(f"新增:{bad}:%"))).scalar() == 0
