"""Studios and yearly output through Excel: an output import with bad rows reports each by row and
column and writes nothing; a good one writes, is audited and skips what is on file; exports keep
to the user's county; the 导入导出 page per role."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import text

from core.data.audit import Actor
from core.data.db import get_engine, session_scope
from core.host.loader import get_host
from core.settings import clock
from core.spreadsheet import export_file, import_file
from tests.helpers import signed_in_app, texts
from tests.sheets import county_workbook, save
from tests.workshops_data import ADMIN, make_studio

STAFF_JD = Actor("staff_jd", "staff", "330182")
STAFF_CA = Actor("staff_ca", "staff", "330127")
CITY = Actor("admin", "admin")
OUTPUT_HEADER = ["序号", "工作室名称", "所属区县", "年度", "发明专利", "实用新型专利", "外观设计专利", "技术革新",
                 "合理化建议（采纳）", "带徒", "其中：达到技师", "其中：达到高级技师", "获奖", "经济效益（万元）"]
FIRST_ROW = 5  # county_workbook: a title, a 填报单位 line, a blank line, the header, then the rows


def table(name: str):
    return get_host().spreadsheet_tables[name]


def sql(query: str, **params):
    with get_engine().connect() as conn:
        return conn.execute(text(query), params).all()


def count(table_name: str) -> int:
    return sql(f"SELECT COUNT(*) FROM {table_name}")[0][0]


def out_row(n, studio, county, year, *, inv=1, util=2, design=0, innov=3, prop=4, appr=5, tech=1, senior=1,
            awards=2, benefit=12.5):
    return [n, studio, county, year, inv, util, design, innov, prop, appr, tech, senior, awards, benefit]


def workbook(tmp_path, rows, name="成果.xlsx") -> str:
    return save(county_workbook(rows, OUTPUT_HEADER, title="建德市工作室年度成果", blank_between=False),
                tmp_path / name)


@pytest.fixture
def studios(studios_alone):
    with session_scope(ADMIN) as s:
        made = {
            "jd_a": make_studio(s, name="新安江水电检修工作室", county="330182"),
            "jd_b": make_studio(s, name="建德数控创新工作室", county="330182"),
            "ca": make_studio(s, name="千岛湖茶艺大师工作室", county="330127"),
        }
        return {k: (v.id, v.name) for k, v in made.items()}


def test_an_output_import_with_bad_rows_reports_each_by_row_and_column_and_writes_nothing(studios, tmp_path):
    this_year = clock.this_year()
    jd_a, jd_b, ca = studios["jd_a"][1], studios["jd_b"][1], studios["ca"][1]
    rows = [
        out_row(1, jd_a, "建德市", this_year - 1),                    # good
        out_row(2, "不存在的工作室", "建德市", this_year - 1),          # unknown studio
        out_row(3, ca, "淳安县", this_year - 1),                      # another county's studio
        out_row(4, ca, "建德市", this_year - 1),                      # …named as if it were ours
        out_row(5, jd_b, "建德市", this_year - 1, inv=-1),            # a negative number
        out_row(6, jd_b, "建德市", this_year - 2, appr=3, tech=2, senior=2),  # 技师+高级技师 > 带徒
        out_row(7, jd_b, "建德市", 1999),                             # a year too early
        out_row(8, jd_b, "建德市", this_year + 1),                    # a year to come
        out_row(9, jd_b, "建德市", this_year - 3, awards=10**12),     # more than PostgreSQL's integer
    ]
    before = count("workshops_output")
    result = import_file(table("workshops_output"), workbook(tmp_path, rows), STAFF_JD)
    assert not result.ok and result.written == 0
    assert count("workshops_output") == before == 0  # nothing written, not even the good row
    found = {(p.row, p.header, p.reason) for p in result.problems}
    missing = "找不到该工作室：请先登记，或核对工作室名称和所属区县"
    # one pass says everything: the cells, the rows, and the studios not on file in the county
    assert found == {
        (FIRST_ROW + 1, "工作室名称", missing),
        (FIRST_ROW + 2, "所属区县", "淳安县 不在您可导入的区县范围内"),
        (FIRST_ROW + 3, "工作室名称", missing),
        (FIRST_ROW + 4, "发明专利", "不能为负数"),
        (FIRST_ROW + 5, "其中：达到技师", "其中达到技师和高级技师的共 4 人，不能多于带徒人数（3 人）"),
        (FIRST_ROW + 6, "年度", f"应在 2000 至 {this_year} 之间"),
        (FIRST_ROW + 7, "年度", f"应在 2000 至 {this_year} 之间"),
        (FIRST_ROW + 8, "获奖", "不能超过 100,000"),
    }
    assert [p.row for p in result.problems] == sorted(p.row for p in result.problems)  # in file order


def test_a_city_user_is_told_a_studio_is_not_in_the_county_given(studios, tmp_path):
    rows = [out_row(1, studios["ca"][1], "建德市", 2024)]
    result = import_file(table("workshops_output"), workbook(tmp_path, rows), CITY)
    assert [(p.row, p.header) for p in result.problems] == [(FIRST_ROW, "工作室名称")]
    assert count("workshops_output") == 0


def test_a_good_import_writes_every_row_with_the_studios_county_and_is_audited(studios, tmp_path):
    jd_a, ca = studios["jd_a"], studios["ca"]
    rows = [out_row(1, jd_a[1], "建德市", 2024, inv=2, benefit=30.25),
            out_row(2, jd_a[1], "建德市", 2025, inv=0, appr=0, tech=0, senior=0),
            out_row(3, ca[1], "淳安县", 2025, awards=7)]
    audits = count("core_audit_log")
    result = import_file(table("workshops_output"), workbook(tmp_path, rows), CITY)
    assert result.ok and result.written == 3
    stored = sql("SELECT studio_id, year, county_code, patents_invention, apprentices, awards, benefit "
                 "FROM workshops_output ORDER BY studio_id, year")
    assert [tuple(r) for r in stored] == [(jd_a[0], 2024, "330182", 2, 5, 2, 30.25),
                                          (jd_a[0], 2025, "330182", 0, 0, 2, 12.5),
                                          (ca[0], 2025, "330127", 1, 5, 7, 12.5)]
    entries = sql("SELECT actor, action, summary FROM core_audit_log WHERE table_name = 'workshops_output'")
    assert count("core_audit_log") == audits + 1
    assert entries[0][0] == "admin" and entries[0][1] == "import" and "写入 3 行" in entries[0][2]


def test_a_row_already_on_file_is_skipped_and_left_as_it_was(studios, tmp_path):
    jd_a = studios["jd_a"]
    first = import_file(table("workshops_output"), workbook(tmp_path, [out_row(1, jd_a[1], "建德市", 2024, inv=2)]),
                        STAFF_JD)
    assert first.written == 1
    again = [out_row(1, jd_a[1], "建德市", 2024, inv=9), out_row(2, jd_a[1], "建德市", 2023, inv=4)]
    result = import_file(table("workshops_output"), workbook(tmp_path, again, "again.xlsx"), STAFF_JD)
    assert result.ok and result.written == 1 and result.already_present == [FIRST_ROW]
    assert [tuple(r) for r in sql("SELECT year, patents_invention FROM workshops_output ORDER BY year")] == \
        [(2023, 4), (2024, 2)]


def test_staff_import_studios_into_their_county_with_the_leader_as_a_typed_name(studios_alone, tmp_path):
    header = ["工作室名称", "类型", "级别", "依托单位", "命名年份", "命名文号", "状态", "领办人"]
    rows = [["梅城古建修缮工作室", "工匠创新工作室", "市级", "建德市古建公司", 2021, "杭工〔2021〕8号", None, "李木匠"],
            ["寿昌农机工作室", "技能大师工作室", "国家级", "建德农机厂", 2030, None, "运行", None],
            ["洋溪电工工作室", "劳模创新工作室", "省部级", "建德供电", 2019, None, None, None]]
    path = save(county_workbook(rows, header, blank_between=False), tmp_path / "studios.xlsx")
    result = import_file(table("workshops_studios"), path, STAFF_JD)
    assert {(p.row, p.header) for p in result.problems} == {(FIRST_ROW + 1, "命名年份"), (FIRST_ROW + 2, "级别")}
    assert count("workshops_studio") == 0
    path = save(county_workbook(rows[:1], header, blank_between=False), tmp_path / "good.xlsx")
    assert import_file(table("workshops_studios"), path, STAFF_JD).written == 1
    stored = sql("SELECT name, county_code, status, leader_id, leader_name, named_doc FROM workshops_studio")
    assert [tuple(r) for r in stored] == [("梅城古建修缮工作室", "330182", "运行", None, "李木匠", "杭工〔2021〕8号")]
    assert sql("SELECT m.person_id, m.name, m.role FROM workshops_member m JOIN workshops_studio s "
               "ON s.id = m.studio_id") == [(None, "李木匠", "领办人")]
    again = import_file(table("workshops_studios"), path, STAFF_JD)
    assert again.written == 0 and again.already_present == [FIRST_ROW]


def exported(table_name: str, actor) -> list[list]:
    buffer = io.BytesIO()
    export_file(table(table_name), buffer, actor, None)
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_exports_keep_to_the_staffs_county(studios, tmp_path):
    rows = [out_row(1, studios["jd_a"][1], "建德市", 2024), out_row(2, studios["ca"][1], "淳安县", 2024)]
    assert import_file(table("workshops_output"), workbook(tmp_path, rows), CITY).written == 2
    jd = exported("workshops_output", STAFF_JD)
    assert jd[0][:4] == ["工作室名称", "所属区县", "年度", "发明专利"]
    assert [r[0] for r in jd[1:]] == [studios["jd_a"][1]]
    assert [r[0] for r in exported("workshops_output", STAFF_CA)[1:]] == [studios["ca"][1]]
    assert len(exported("workshops_output", CITY)) == 3
    assert sorted(r[0] for r in exported("workshops_studios", STAFF_JD)[1:]) == \
        sorted([studios["jd_a"][1], studios["jd_b"][1]])


def test_an_export_loads_back_as_rows_already_on_file(studios, tmp_path):
    rows = [out_row(1, studios["jd_a"][1], "建德市", 2024)]
    import_file(table("workshops_output"), workbook(tmp_path, rows), CITY)
    buffer = tmp_path / "export.xlsx"
    export_file(table("workshops_output"), buffer, STAFF_JD, None)
    result = import_file(table("workshops_output"), buffer, STAFF_JD)
    assert result.ok and result.written == 0 and len(result.already_present) == 1


# --- the page ----------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["admin", "staff_jd"])
def test_the_io_page_offers_templates_imports_and_exports_of_both_tables(studios, username):
    at = signed_in_app(username, "workshops-io")
    assert not at.exception
    shown = texts(at)
    assert "工作室导入导出" in shown and "无权访问" not in shown
    labels = [b.label for b in at.button]
    expected = 2 if username == "staff_jd" else 3
    assert f"导出工作室（{expected} 个）" in labels and "导出年度成果（0 行）" in labels
    at.button(key="export-workshops_studios").click().run()
    assert not at.exception
    assert f"下载（{expected} 行）" in [b.label for b in at.get("download_button")]


@pytest.mark.parametrize("username", ["manager", "reviewer"])
def test_readers_cannot_open_the_io_page(studios, username):
    at = signed_in_app(username, "workshops-io")
    assert not at.exception
    assert "工作室导入导出" not in texts(at)
    assert not [b for b in at.button if b.label.startswith("导出")]


def test_on_postgresql_an_import_checks_writes_skips_and_edits_and_the_figures_add_up(pg_roster, tmp_path):
    from core.data.db import read_session
    from core.spreadsheet import write_one_row
    from plugins.workshops import stats

    with session_scope(ADMIN) as s:
        jd = make_studio(s, name="新安江水电检修工作室", county="330182")
        ca = make_studio(s, name="千岛湖茶艺大师工作室", county="330127")
        ids = (jd.id, ca.id)
    bad = [out_row(1, "不存在的工作室", "建德市", 2024), out_row(2, ca.name, "建德市", 2024)]
    result = import_file(table("workshops_output"), workbook(tmp_path, bad), CITY)
    assert [(p.row, p.header) for p in result.problems] == [(FIRST_ROW, "工作室名称"), (FIRST_ROW + 1, "工作室名称")]
    good = [out_row(1, jd.name, "建德市", 2024, inv=2), out_row(2, ca.name, "淳安县", 2024, inv=5, benefit=3)]
    assert import_file(table("workshops_output"), workbook(tmp_path, good, "good.xlsx"), CITY).written == 2
    again = import_file(table("workshops_output"), workbook(tmp_path, good, "good.xlsx"), CITY)
    assert again.written == 0 and len(again.already_present) == 2
    stored = dict(zip(["studio_name", "county_code", "year", "patents_invention", "patents_utility", "patents_design",
                       "innovations", "proposals_adopted", "apprentices", "apprentices_technician",
                       "apprentices_senior", "awards", "benefit"], ["x", "330182", 2024, *good[0][4:]], strict=True))
    stored["studio_name"] = jd.name
    edited = write_one_row(table("workshops_output"), {**stored, "patents_invention": "4"}, STAFF_JD, current=stored)
    assert edited.ok and edited.written
    assert sql("SELECT studio_id, patents_invention FROM workshops_output ORDER BY studio_id") == \
        [(ids[0], 4), (ids[1], 5)]
    assert [r[0] for r in exported("workshops_output", STAFF_JD)[1:]] == [jd.name]
    with read_session() as s:
        assert [(r["county_code"], r["patents_invention"], r["benefit"]) for r in stats.output_by_county(s, None, 2024)] \
            == [("330127", 5, 3.0), ("330182", 4, 12.5)]
        assert [r["name"] for r in stats.ranking(s, ("330182",), 2024)] == [jd.name]
        assert stats.honoured_counts(s, None) == {"全国": 0, "省级": 0, "市级": 0, "区县级": 0}
