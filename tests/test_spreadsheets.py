"""Spreadsheet import and export with files built the way counties fill them: every problem
reported with its row, column and reason, and nothing written unless every row is valid."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from core.cli import main
from core.data.audit import Actor
from core.data.db import read_session
from core.data.models import AuditEntry
from core.host.loader import get_host
from core.spreadsheet import UnreadableFile, error_report_bytes, export_file, import_file
from tests.helpers import shown, signed_in_app, take_started, testkit
from tests.sheets import county_workbook, make_id, save

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STAFF_JD = Actor("staff_jd", "staff", "330182")
ADMIN = Actor("admin", "admin")
# the columns in the county's own order, with the headings they use
HEADER = ["序号", "姓名", "身份证号", "性别", "出生日期", "参加工作时间", "电话", "区县",
          "荣誉", "授予年份", "奖金（万元）", "单位"]


def people_table():
    return get_host().spreadsheet_tables["testkit_people"]


def people():
    Person = testkit().TestkitPerson
    with read_session() as s:
        return {p.id_number: p for p in s.scalars(select(Person))}


def row(n, name, id_number, **kw):
    values = {"gender": "男", "birth": None, "joined": "1990.05", "phone": "13812345678",
              "county": "建德市", "honour": "建德金匠", "year": 2020, "bonus": 1.5,
              "employer": "建德市某某机械厂", **kw}
    return [n, name, id_number, values["gender"], values["birth"], values["joined"],
            values["phone"], values["county"], values["honour"], values["year"], values["bonus"],
            values["employer"]]


def test_a_county_style_sheet_imports_whole(sqlite_db, tmp_path):
    rows = [
        row(1, "张建国", make_id("19680503", 131), birth=dt.datetime(1968, 5, 3)),
        row(2, "李秀英", make_id("19700112", 242), gender="女", birth="1970-01-12", joined="1992年7月"),
        row(3, " 王　强 ", make_id("19751130", 351)[:-1] + make_id("19751130", 351)[-1].lower(),
            birth="1975.11.30", county="330182", phone=13900001111),
        row(4, "赵明", make_id("19800229", 111), birth="1980年2月29日", honour="杭州工匠",
            year="２０１９", bonus="2.25", county=" 建德市 "),
        row(5, "钱芳", make_id("19650701", 222), gender="女", birth=19650701, joined=None,
            phone="0571-64712345", bonus=None, year=None),
    ]
    path = save(county_workbook(rows, HEADER), tmp_path / "建德.xlsx")

    result = import_file(people_table(), path, STAFF_JD, counties=("330182",))

    assert result.problems == []
    assert (result.rows, result.written) == (5, 5)
    assert result.ignored_columns == ["序号"]
    found = people()
    zhang = found[make_id("19680503", 131)]
    assert (zhang.name, zhang.birth_date, zhang.joined, zhang.county_code) == (
        "张建国", dt.date(1968, 5, 3), "1990-05", "330182")
    wang = found[make_id("19751130", 351)]  # lowercase x accepted, spaces trimmed
    assert (wang.name, wang.birth_date, wang.phone) == ("王 强", dt.date(1975, 11, 30), "13900001111")
    zhao = found[make_id("19800229", 111)]
    assert (zhao.year_awarded, zhao.bonus, zhao.honour) == (2019, Decimal("2.25"), "杭州工匠")
    assert found[make_id("19700112", 242)].joined == "1992-07"
    assert found[make_id("19650701", 222)].birth_date == dt.date(1965, 7, 1)
    with read_session() as s:
        summary = s.scalar(select(AuditEntry.summary).where(AuditEntry.action == "import"))
    assert "写入 5 行" in summary


def test_every_problem_is_reported_with_row_column_and_reason_and_nothing_is_written(sqlite_db, tmp_path):
    good = make_id("19680503", 131)
    bad_check = make_id("19680503", 133)[:-1] + ("0" if make_id("19680503", 133)[-1] != "0" else "1")
    rows = [
        row(1, "张建国", good, birth="1968-05-03"),                          # line 5: fine
        row(2, "数字号", 330182196805031230),                                # 7: ID as a number
        row(3, "校验错", bad_check),                                          # 8: checksum
        row(4, "性别错", make_id("19700112", 241), gender="女"),              # 9: odd = male
        row(5, "区县错", make_id("19700112", 243), county="西湖县"),          # 10
        row(6, "荣誉错", make_id("19700112", 245), honour="劳动模范"),        # 11
        row(7, "日期错", make_id("19700112", 247), birth="1970-13-01"),      # 12
        row(8, None, make_id("19700112", 249)),                              # 13: name missing
        row(9, "重复人", good),                                              # 14: same ID as line 5
        row(10, "月份歧义", make_id("19700112", 251), joined=1990.1),        # 15
    ]
    path = save(county_workbook(rows, HEADER), tmp_path / "有错.xlsx")

    result = import_file(people_table(), path, STAFF_JD, counties=("330182",))

    got = [(p.row, p.header, p.reason) for p in result.problems]
    expected = [
        (7, "身份证号", "身份证号码被存成了数字"),
        (8, "身份证号", "校验位不对"),
        (9, "性别", "与身份证号码不符（号码显示为男）"),
        (10, "区县", "未知区县“西湖县”"),
        (11, "荣誉", "“劳动模范”不是可选值"),
        (12, "出生日期", "日期 1970-13-1 不存在"),
        (13, "姓名", "必填，不能为空"),
        (14, "身份证号", "与第 5 行重复"),
        (15, "参加工作时间", "月份不明确"),
    ]
    assert [(r, h) for r, h, _ in got] == [(r, h) for r, h, _ in expected]
    for (_, _, reason), (_, _, wanted) in zip(got, expected, strict=True):
        assert wanted in reason
    assert people() == {}
    with read_session() as s:
        assert s.scalar(select(func.count()).where(AuditEntry.action == "import")) == 0

    report = openpyxl.load_workbook(io.BytesIO(error_report_bytes(result)))["错误报告"]
    lines = list(report.iter_rows(values_only=True))
    assert lines[0][:4] == ("原行号", "问题", "序号", "姓名")
    assert [line[0] for line in lines[1:]] == [7, 8, 9, 10, 11, 12, 13, 14, 15]
    id_cell = report.cell(row=2, column=2 + 3)  # 原行号, 问题, then the file's 3rd column
    assert id_cell.fill.fgColor.rgb.endswith("F8CBAD")


def test_rows_already_in_the_database_are_reported_never_written_twice(sqlite_db, tmp_path):
    first = [row(1, "张建国", make_id("19680503", 131)), row(2, "李秀英", make_id("19700112", 242), gender="女")]
    import_file(people_table(), save(county_workbook(first, HEADER), tmp_path / "a.xlsx"), STAFF_JD)
    again = first + [row(3, "王强", make_id("19751130", 351))]
    result = import_file(people_table(), save(county_workbook(again, HEADER, blank_between=False),
                                              tmp_path / "b.xlsx"), STAFF_JD)
    assert result.ok and result.written == 1
    assert result.already_present == [5, 6]
    assert len(people()) == 3


def test_a_dry_run_checks_everything_and_writes_nothing(sqlite_db, tmp_path, capsys):
    rows = [row(1, "张建国", make_id("19680503", 131)), row(2, "李秀英", make_id("19700112", 242), gender="女")]
    path = save(county_workbook(rows, HEADER), tmp_path / "a.xlsx")
    assert main(["import", "testkit_people", path, "--dry-run", "--county", "330182"]) == 0
    assert "2 would be imported; nothing was written" in capsys.readouterr().out
    assert people() == {}


def test_county_scope_refuses_other_counties_and_fills_blank_ones(sqlite_db, tmp_path):
    rows = [row(1, "张建国", make_id("19680503", 131), county=None),
            row(2, "淳安人", make_id("19700112", 241), county="淳安县")]
    path = save(county_workbook(rows, HEADER, blank_between=False), tmp_path / "a.xlsx")
    result = import_file(people_table(), path, STAFF_JD, counties=("330182",))
    assert [(p.row, p.header) for p in result.problems] == [(6, "区县")]
    assert "淳安县 不在您可导入的区县范围内" in result.problems[0].reason
    rows.pop()
    result = import_file(people_table(), save(county_workbook(rows, HEADER), tmp_path / "b.xlsx"),
                         STAFF_JD, counties=("330182",))
    assert result.ok and people()[make_id("19680503", 131)].county_code == "330182"


def test_the_cli_prints_one_line_per_problem_and_exits_1(sqlite_db, tmp_path, capsys):
    rows = [row(1, "张建国", make_id("19680503", 131)), row(2, "数字号", 330182196805031230)]
    path = save(county_workbook(rows, HEADER), tmp_path / "a.xlsx")
    assert main(["import", "testkit_people", path]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("row 7, 身份证号: 身份证号码被存成了数字")
    assert out[-1] == "refused: 1 problems in 2 rows; nothing was written"


@pytest.mark.parametrize(("content", "message"), [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "旧版 .xls"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100 + "EncryptionInfo".encode("utf-16-le"), "密码"),
    ("姓名,身份证号\n张三,1\n".encode(), "不是 Excel .xlsx 文件"),
    (b"PK\x03\x04 truncated zip", "文件已损坏"),
])
def test_unreadable_files_get_a_clear_message_and_exit_2(sqlite_db, tmp_path, capsys, content, message):
    path = tmp_path / "upload.xlsx"
    path.write_bytes(content)
    with pytest.raises(UnreadableFile, match=message):
        import_file(people_table(), path, STAFF_JD)
    assert main(["import", "testkit_people", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_an_empty_sheet_and_a_sheet_without_the_columns_are_refused(sqlite_db, tmp_path):
    empty = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(empty)
    result = import_file(people_table(), empty, STAFF_JD)
    assert [p.reason for p in result.problems] == ["工作表是空的"]

    other = openpyxl.Workbook()
    other.active.append(["品名", "数量"])
    other.active.append(["螺丝", 3])
    other.save(tmp_path / "other.xlsx")
    result = import_file(people_table(), tmp_path / "other.xlsx", STAFF_JD)
    assert result.problems[0].reason.startswith("找不到表头")

    only_some = openpyxl.Workbook()
    only_some.active.append(["姓名", "性别"])
    only_some.active.append(["张三", "男"])
    only_some.save(tmp_path / "some.xlsx")
    # a whole-city importer (staff are held to their own county, whose column may be left out)
    result = import_file(people_table(), tmp_path / "some.xlsx", ADMIN)
    assert {(p.header, p.reason) for p in result.problems} == {
        ("公民身份号码", "缺少这一列"), ("所属区县", "缺少这一列")}


def test_export_edit_import_round_trips_every_column_type(sqlite_db, tmp_path):
    rows = [row(1, "张建国", make_id("19680503", 131), birth="1968-05-03", bonus="12.5"),
            row(2, "=HYPERLINK(\"http://evil\")", make_id("19700112", 242), gender="女",
                county="淳安县", joined="1992.11")]
    first = import_file(people_table(), save(county_workbook(rows, HEADER), tmp_path / "in.xlsx"), ADMIN)
    assert first.problems == []
    before = people()

    out = tmp_path / "out.xlsx"
    assert export_file(people_table(), out, ADMIN, None) == 2
    wb = openpyxl.load_workbook(out)
    ws = wb.active
    headers = [c.value for c in ws[1]]
    assert headers[:3] == ["姓名", "性别", "公民身份号码"] and ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:K3"
    formula_cell = ws.cell(row=3, column=1)
    assert formula_cell.data_type == "s" and formula_cell.value.startswith("=HYPERLINK")
    assert isinstance(ws.cell(row=2, column=4).value, dt.datetime)  # a real Excel date
    assert ws.cell(row=2, column=4).number_format == "yyyy-mm-dd"     # shown without a time
    assert ws["A1"].font.b and ws.column_dimensions["C"].width >= 20  # bold; the ID fits

    # staff edit the export: a correction is ignored (already present), a new person is added
    ws.append(["新人", "男", make_id("19880808", 111, "330127"), dt.datetime(1988, 8, 8), "2010-03",
               "13600000000", "淳安县", "杭州市劳动模范", 2022, 3.75, "淳安某厂"])
    wb.save(out)
    result = import_file(people_table(), out, ADMIN)
    assert result.ok and result.written == 1 and result.already_present == [2, 3]

    # and the whole export imports unchanged into an empty table
    testkit_person = testkit().TestkitPerson
    from core.data.db import session_scope
    with session_scope(ADMIN) as s:
        s.query(testkit_person).delete()
    assert import_file(people_table(), out, ADMIN).written == 3
    after = people()
    for number, person in before.items():
        got = after[number]
        for column in people_table().columns:
            assert getattr(got, column.key) == getattr(person, column.key), column.key
    assert after[make_id("19700112", 242)].name == "=HYPERLINK(\"http://evil\")"


def test_export_honours_the_county_scope_and_is_audited(sqlite_db, tmp_path):
    rows = [row(1, "建德人", make_id("19680503", 131)),
            row(2, "淳安人", make_id("19700112", 242), gender="女", county="淳安县")]
    import_file(people_table(), save(county_workbook(rows, HEADER), tmp_path / "in.xlsx"), ADMIN)
    assert main(["export", "testkit_people", str(tmp_path / "jd.xlsx"), "--county", "330182"]) == 0
    names = [r[0] for r in openpyxl.load_workbook(tmp_path / "jd.xlsx").active.iter_rows(
        min_row=2, values_only=True)]
    assert names == ["建德人"]
    with read_session() as s:
        summary = s.scalars(select(AuditEntry.summary).where(AuditEntry.action == "export")).all()[-1]
    assert summary == "导出 测试人员 1 行（建德市）"


def test_the_template_has_dropdowns_and_an_explanation_sheet(sqlite_db, tmp_path, capsys):
    path = tmp_path / "模板.xlsx"
    assert main(["template", "testkit_people", str(path)]) == 0
    wb = openpyxl.load_workbook(path)
    ws = wb["测试人员"]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]][:3] == ["姓名*", "性别", "公民身份号码*"]
    dropdowns = {str(v.sqref).split(":")[0] for v in ws.data_validations.dataValidation}
    assert dropdowns == {"B2", "G2", "H2"}  # 性别, 所属区县, 荣誉
    explained = [r[0] for r in wb["填写说明"].iter_rows(min_row=2, values_only=True)]
    assert explained == [c.header for c in people_table().columns]
    assert ws.cell(row=2, column=3).number_format == "@"  # ID numbers typed as text
    result = import_file(people_table(), path, ADMIN)
    assert [p.reason for p in result.problems] == ["表头下面没有数据行"]


def test_unknown_table_and_missing_file_are_usage_errors(sqlite_db, tmp_path, capsys):
    assert main(["import", "nope", str(tmp_path / "x.xlsx")]) == 2
    assert "unknown table 'nope' (tables: testkit_people)" in capsys.readouterr().err
    assert main(["import", "testkit_people", str(tmp_path / "missing.xlsx")]) == 2
    assert main(["export", "testkit_people", str(tmp_path / "x.xlsx"), "--county", "1"]) == 2


def upload(at, path):
    at.file_uploader[0].set_value((Path(path).name, Path(path).read_bytes(), XLSX)).run()
    return at


def test_the_import_panel_shows_every_problem_and_writes_nothing(sqlite_db, tmp_path):
    rows = [row(1, "张建国", make_id("19680503", 131)), row(2, "淳安人", make_id("19700112", 241), county="淳安县")]
    at = signed_in_app("staff_jd", page="jx-testkit-people")
    upload(at, save(county_workbook(rows, HEADER), tmp_path / "a.xlsx"))
    assert not at.exception
    assert [e.value for e in at.error] == ["发现 1 处问题，未导入任何数据。请修改后重新上传。"]
    problems = at.dataframe[0].value
    assert list(problems.iloc[0]) == [7, "区县", "淳安县 不在您可导入的区县范围内"]
    assert any(b.label.startswith("下载错误报告") for b in at.get("download_button"))
    assert not [b for b in at.button if b.label.startswith("确认导入")]
    assert people() == {}


def test_the_import_panel_previews_then_imports_on_confirmation(sqlite_db, tmp_path):
    rows = [row(1, "张建国", make_id("19680503", 131)), row(2, "李秀英", make_id("19700112", 242), gender="女")]
    at = signed_in_app("staff_jd", page="jx-testkit-people")
    upload(at, save(county_workbook(rows, HEADER), tmp_path / "a.xlsx"))
    assert [s.value for s in at.success] == ["检查通过：工作表“Sheet”共 2 行。"]
    assert list(at.dataframe[0].value["姓名"]) == ["张建国", "李秀英"]
    assert at.info[0].value == "以下列不属于本表，已忽略：序号"
    assert people() == {}  # the check wrote nothing

    next(b for b in at.button if b.label == "确认导入 2 行").click().run()
    assert not at.exception
    assert "已导入 2 行。" in [s.value for s in at.success]
    assert set(people()) == {make_id("19680503", 131), make_id("19700112", 242)}
    with read_session() as s:
        actor = s.scalar(select(AuditEntry.actor).where(AuditEntry.action == "import"))
    assert actor == "staff_jd"

    # the same sheet again with one person added: the two already in are skipped, and said so
    rows.append(row(3, "王强", make_id("19751130", 351)))
    at = signed_in_app("staff_jd", page="jx-testkit-people")
    upload(at, save(county_workbook(rows, HEADER), tmp_path / "b.xlsx"))
    assert [s.value for s in at.success] == ["检查通过：工作表“Sheet”共 3 行，其中 2 行已存在，将跳过。"]
    next(b for b in at.button if b.label == "确认导入 1 行").click().run()
    assert "已导入 1 行，跳过已存在的 2 行。" in [s.value for s in at.success]
    assert len(people()) == 3


def test_the_export_button_exports_only_the_users_county(sqlite_db, tmp_path):
    rows = [row(1, "建德人", make_id("19680503", 131)),
            row(2, "淳安人", make_id("19700112", 242), gender="女", county="淳安县")]
    import_file(people_table(), save(county_workbook(rows, HEADER), tmp_path / "in.xlsx"), ADMIN)
    at = signed_in_app("staff_ca", page="jx-testkit-people")
    next(b for b in at.button if b.label == "导出 Excel").click().run()
    assert [b.label for b in at.get("download_button") if b.label.startswith("下载（")] == ["下载（1 行）"]
    with read_session() as s:
        summary = s.scalars(select(AuditEntry.summary).where(AuditEntry.action == "export")).all()[-1]
    assert summary == "导出 测试人员 1 行（淳安县）"


def test_an_unreadable_upload_gets_a_chinese_message(sqlite_db, tmp_path):
    path = tmp_path / "old.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    at = upload(signed_in_app("staff_jd", page="jx-testkit-people"), path)
    assert not at.exception
    assert [shown(e.value) for e in at.error] == ["这是旧版 .xls 文件，请在 Excel 中“另存为”.xlsx 后再导入"]


# bench/excel.py's generator, run in a process of its own: ``python -c GENERATE FILE ROWS``
GENERATE = """import importlib.util, sys
spec = importlib.util.spec_from_file_location("bench_excel", sys.argv[1])
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
bench.generate(sys.argv[2], int(sys.argv[3]))
"""


def start_big_file() -> subprocess.Popen:
    """Write the 100,000-row file (about 10 s of openpyxl) into a folder of its own."""
    path = Path(tempfile.mkdtemp(prefix="jx-big-")) / "big.xlsx"
    run = subprocess.Popen([sys.executable, "-c", GENERATE, str(Path(__file__).parents[1] / "bench" / "excel.py"),
                            str(path), "100000"], stderr=subprocess.PIPE, text=True)
    run.path = path
    return run


def test_a_100000_row_file_imports_whole(sqlite_db):
    made = take_started("test_a_100000_row_file_imports_whole", start_big_file)
    try:
        _out, err = made.communicate(timeout=300)
        assert made.returncode == 0, err
        path = made.path
        result = import_file(people_table(), path, ADMIN)
    finally:
        made.kill()
        shutil.rmtree(made.path.parent, ignore_errors=True)

    assert result.problems == [] and result.rows == result.written == 100_000
    with read_session() as s:
        Person = testkit().TestkitPerson
        assert s.scalar(select(func.count()).select_from(Person)) == 100_000
        last = s.scalar(select(Person).where(Person.name == "劳模099999"))
    assert (last.county_code, last.honour) == ("330108", "建德金匠")  # 滨江区


def test_chinese_punctuation_stays_and_a_scoped_county_is_filled_when_the_column_is_missing(
        sqlite_db, tmp_path):
    header = ["姓名", "身份证号", "单位"]
    rows = [["张建国", make_id("19680503", 131), "建德市某某（集团）有限公司，一分厂"],
            ["说明书编写组", make_id("19700112", 241), "建德市技工学校"]]  # a name, not a note
    path = save(county_workbook(rows, header, notes=True), tmp_path / "a.xlsx")
    result = import_file(people_table(), path, STAFF_JD, counties=("330182",))
    assert result.problems == [] and result.written == 2
    zhang = people()[make_id("19680503", 131)]
    assert zhang.employer == "建德市某某（集团）有限公司，一分厂"
    assert zhang.county_code == "330182"
    assert people()[make_id("19700112", 241)].name == "说明书编写组"


def test_problems_far_apart_in_a_long_file_are_all_reported_in_row_order(sqlite_db, tmp_path):
    # 12,000 rows are checked in several chunks; most cells repeat (dates, amounts, choices)
    rows = [row(i + 1, f"劳模{i:05d}", make_id(f"{1950 + i % 50}0{1 + i % 9}1{i % 9}", 2 * (i // 450) + 1))
            for i in range(12_000)]
    rows[10][9] = 1                                     # an integer year, wrong but accepted
    rows[4_999][2] = rows[4_999][2][:-1] + ("0" if rows[4_999][2][-1] != "0" else "1")
    rows[5_000][9] = True                               # TRUE is not the integer 1
    rows[11_999][2] = rows[0][2]                        # the first person again, at the end
    path = save(county_workbook(rows, HEADER, blank_between=False, notes=False), tmp_path / "long.xlsx")

    result = import_file(people_table(), path, ADMIN)

    # the header is on line 4, so row i of the list is on line i + 5
    assert [(p.row, p.header) for p in result.problems] == [
        (5_004, "身份证号"), (5_005, "授予年份"), (12_004, "身份证号")]
    assert "校验位不对" in result.problems[0].reason
    assert result.problems[1].reason == "应为整数"
    assert result.problems[2].reason == "与第 5 行重复"
    assert result.rows == 12_000 and people() == {}


def test_an_export_with_no_rows_still_has_the_header(sqlite_db, tmp_path):
    out = tmp_path / "empty.xlsx"
    assert export_file(people_table(), out, ADMIN, ("330127",)) == 0
    lines = [r for r in openpyxl.load_workbook(out).active.iter_rows(values_only=True) if any(r)]
    assert lines == [tuple(c.header for c in people_table().columns)]


def test_the_table_is_found_on_a_later_sheet_after_an_instructions_sheet(sqlite_db, tmp_path, capsys):
    wb = county_workbook([row(1, "张建国", make_id("19680503", 131)),
                          row(2, "李秀英", make_id("19700112", 242), gender="女")], HEADER)
    wb.active.title = "名册"
    notes = wb.create_sheet("填表说明", 0)  # first, as counties often put it
    notes.append(["1. 身份证号请设为文本格式"])
    notes.append(["2. 荣誉按下拉选择"])
    hidden = wb.create_sheet("旧表", 1)     # a hidden sheet with the right header is passed over
    hidden.append(HEADER)
    hidden.append(row(9, "隐藏人", make_id("19751130", 351)))
    hidden.sheet_state = "hidden"
    path = save(wb, tmp_path / "带说明.xlsx")

    assert main(["import", "testkit_people", path]) == 0
    assert "sheet: 名册" in capsys.readouterr().out
    assert set(people()) == {make_id("19680503", 131), make_id("19700112", 242)}

    # no sheet has the columns: the first sheet is reported, as before
    wb.remove(wb["名册"])
    result = import_file(people_table(), save(wb, tmp_path / "只有说明.xlsx"), ADMIN)
    assert result.sheet == "填表说明"
    assert [p.reason for p in result.problems][0].startswith("找不到表头")


# started when the run begins: the file is written beside the other tests (tests/helpers.py)
START_EARLY = {"test_a_100000_row_file_imports_whole": start_big_file}
