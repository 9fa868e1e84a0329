"""Bulk 新增 from the 提交变动 page: it says what happened (requests wait for review), reads
county names as staff write them, and a county user's template has no county to fill in."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from core.data.db import read_session
from core.host.loader import get_host
from core.spreadsheet import import_file, template_bytes
from core.spreadsheet.cells import CellError, parse_county
from plugins.registry.models import ChangeRequest, Person
from tests.helpers import signed_in_app
from tests.sheets import county_workbook, make_id, save

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ADMIN_HEADER = ["姓名", "身份证号", "所属区县", "工作单位", "荣誉", "授予年份"]


def pending_additions() -> int:
    with read_session() as s:
        return s.scalar(select(func.count()).select_from(ChangeRequest).where(
            ChangeRequest.kind == "新增", ChangeRequest.state == "待审核", ChangeRequest.reason == "批量导入"))


def test_bulk_additions_say_they_wait_for_review(roster_db, tmp_path):
    rows = [[f"批量{i}", make_id("19900101", 101 + 2 * i), "建德", "建德某厂", "建德金匠", 2025]
            for i in range(3)]
    path = save(county_workbook(rows, ADMIN_HEADER), tmp_path / "新增.xlsx")
    at = signed_in_app("staff_jd", page="registry-submit")
    uploader = next(u for u in at.file_uploader if u.label.startswith("上传批量新增申请"))
    uploader.set_value(("新增.xlsx", Path(path).read_bytes(), XLSX)).run()
    assert not at.exception
    next(b for b in at.button if b.label == "确认导入 3 行").click().run()
    assert not at.exception
    assert "已提交 3 件新增申请，等待审核。" in [s.value for s in at.success]
    assert not any("已导入" in s.value for s in at.success)
    assert pending_additions() == 3
    with read_session() as s:  # nothing entered the roster
        assert not s.scalar(select(Person).where(Person.name.like("批量%")))


@pytest.mark.parametrize("written", ["建德", "建德市", "杭州市建德市", "330182", "浙江省杭州市建德市",
                                     " 杭州市 建德市 "])
def test_county_names_are_read_as_staff_write_them(roster_db, tmp_path, written):
    assert parse_county(written) == "330182"
    rows = [["县名人", make_id("19900101", 131), written, "", "建德金匠", 2025]]
    table = get_host().spreadsheet_tables["roster_additions"]
    path = save(county_workbook(rows, ADMIN_HEADER), tmp_path / "a.xlsx")
    result = import_file(table, path, get_admin().actor)
    assert result.ok, result.problems
    with read_session() as s:
        assert s.scalar(select(ChangeRequest.county_code).where(ChangeRequest.reason == "批量导入")) == "330182"


def get_admin():
    from core.access.auth import CurrentUser

    return CurrentUser("admin", "管理员甲", "admin", None)


@pytest.mark.parametrize(("written", "reason"), [
    ("建", "未知区县“建”，请填写区县名称或代码"),
    ("建德县", "未知区县“建德县”，请填写区县名称或代码"),
    ("宁波市", "未知区县“宁波市”，请填写区县名称或代码"),
    ("杭州市", "未知区县“杭州市”，请填写区县名称或代码"),
    ("建德市xx", "未知区县“建德市xx”，请填写区县名称或代码"),
])
def test_an_unknown_county_is_refused_with_its_reason(roster_db, tmp_path, written, reason):
    with pytest.raises(CellError) as refused:
        parse_county(written)
    assert str(refused.value) == reason
    rows = [["县名人", make_id("19900101", 131), written, "", "建德金匠", 2025]]
    table = get_host().spreadsheet_tables["roster_additions"]
    result = import_file(table, save(county_workbook(rows, ADMIN_HEADER), tmp_path / "a.xlsx"),
                         get_admin().actor)
    assert [(p.header, p.reason) for p in result.problems] == [("所属区县", reason)]
    assert pending_additions() == 0


def test_an_ambiguous_short_name_names_its_candidates(env, tmp_path, monkeypatch):
    counties = tmp_path / "counties.csv"
    counties.write_text("code,name\n110105,朝阳区\n211321,朝阳县\n110108,海淀区\n", encoding="utf-8")
    monkeypatch.setenv("JIANGXIN_COUNTIES_FILE", str(counties))
    assert parse_county("海淀") == parse_county("北京市海淀区") == "110108"
    assert parse_county("朝阳区") == "110105"
    with pytest.raises(CellError) as refused:
        parse_county("朝阳")
    assert str(refused.value) == "“朝阳”可能是朝阳区、朝阳县，请填写区县全称或代码"


def headers_of(data: bytes) -> list[str]:
    return [c.value for c in openpyxl.load_workbook(io.BytesIO(data)).worksheets[0][1]]


def test_a_county_users_template_has_no_county_column(roster_db, tmp_path, deferred):
    table = get_host().spreadsheet_tables["roster_additions"]
    assert "所属区县*" not in headers_of(template_bytes(table, ("330182",)))
    assert "所属区县*" in headers_of(template_bytes(table, None))
    # the template the page offers each user
    for username, has_county in (("staff_jd", False), ("admin", True)):
        at = signed_in_app(username, page="registry-submit")
        button = next(b for b in at.get("download_button") if b.proto.label == "下载空白模板")
        data = deferred[button.proto.deferred_file_id]()
        assert ("所属区县*" in headers_of(data)) is has_county

    # filled without the county, it imports into the user's county
    header = [h.rstrip("*") for h in headers_of(template_bytes(table, ("330182",)))]
    row = {"姓名": "模板人", "公民身份号码": make_id("19900101", 151), "荣誉": "建德金匠"}
    path = save(county_workbook([[row.get(h) for h in header]], header), tmp_path / "t.xlsx")
    from core.access.auth import CurrentUser

    staff = CurrentUser("staff_jd", "建德工作人员", "staff", "330182")
    result = import_file(table, path, staff.actor, counties=("330182",))
    assert result.ok and result.written == 1



@pytest.fixture
def deferred(monkeypatch) -> dict:
    """The callables behind download buttons, by file id, as the server would run them on click
    (AppTest's media manager lives for one run only)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    made: dict = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data, *args, **kwargs):
        file_id = original(self, data, *args, **kwargs)
        made[file_id] = data
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return made
