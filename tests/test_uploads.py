"""Uploads: no larger than the largest file the app accepts, attachments refused by their size
before they are read, and one import check or result per table kept in the session."""

from __future__ import annotations

import datetime as dt
import io
import sys
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.access.auth import CurrentUser
from core.data.db import read_session, session_scope
from plugins.registry import changes
from plugins.registry.models import ChangeRequest, Person
from tests.helpers import ROOT, signed_in_app
from tests.sheets import county_workbook, make_id, save

SIX_MB = 6 * 1024 * 1024
STAFF_JD = CurrentUser("staff_jd", "建德工作人员", "staff", "330182")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Unread(io.BytesIO):
    """A 6 MB upload that fails the test if anything reads it whole."""

    def __init__(self, size: int | None = SIX_MB):
        super().__init__(b"\0" * 16)
        if size is not None:
            self.size = size
        else:  # no .size: a plain file, seekable
            self.seek(SIX_MB - 1)
            self.write(b"\0")
            self.seek(0)

    def read(self, *args):
        raise AssertionError("the attachment was read")

    def getvalue(self):
        raise AssertionError("the attachment was read whole")


@pytest.mark.parametrize("size", [SIX_MB, None], ids=["with-size", "seekable"])
def test_a_6_mb_attachment_is_refused_before_it_is_read(roster_db, size):
    with read_session() as s:
        person = s.scalars(select(Person).where(Person.county_code == "330182", Person.status == "在职")
                           .order_by(Person.id)).first()
    with pytest.raises(changes.ChangeError, match="^附件不能超过 5 MB$"), session_scope(STAFF_JD.actor) as s:
        changes.submit_death(s, STAFF_JD, person.id, dt.date(2020, 1, 1), "家属告知",
                             attachment=("死亡证明.pdf", Unread(size)))
    with read_session() as s:
        assert s.scalar(select(func.count()).where(ChangeRequest.person_id == person.id)) == 0


def test_a_small_attachment_is_kept(roster_db):
    name, data = changes._attachment(("证明.pdf", io.BytesIO(b"%PDF-1.4 small")))
    assert (name, data) == ("证明.pdf", b"%PDF-1.4 small")


def test_the_submit_page_refuses_a_6_mb_attachment_without_reading_it(roster_db, monkeypatch):
    from streamlit.runtime.uploaded_file_manager import UploadedFile

    def unread(self, *args):
        raise AssertionError("the attachment was read")

    at = signed_in_app("staff_jd", page="registry-submit")  # 新增 is the first kind
    monkeypatch.setattr(UploadedFile, "getvalue", unread)
    monkeypatch.setattr(UploadedFile, "read", unread)
    uploader = next(u for u in at.file_uploader if u.label.startswith("附件"))
    uploader.set_value(("证明.pdf", b"\0" * SIX_MB, "application/pdf"))
    at.button(key="FormSubmitter:addition-提交").click().run()  # a form sends its upload on submit
    assert not at.exception
    assert "附件不能超过 5 MB" in [e.value for e in at.error]


def _import_keys(at) -> list[str]:
    return [k for k in at.session_state.keys() if k.startswith("import-testkit_people-")]


def test_the_session_keeps_one_import_check_or_result_per_table(sqlite_db, tmp_path):
    header = ["姓名", "身份证号", "性别", "参加工作时间", "区县", "荣誉"]
    first = save(county_workbook([["张建国", make_id("19680503", 131), "男", "1990.05", "建德市", "建德金匠"]],
                                 header), tmp_path / "a.xlsx")
    second = save(county_workbook([["李秀英", make_id("19700112", 242), "女", "1991.07", "建德市", "建德金匠"]],
                                  header), tmp_path / "b.xlsx")
    at = signed_in_app("staff_jd", page="jx-testkit-people")
    at.file_uploader[0].set_value(("a.xlsx", Path(first).read_bytes(), XLSX)).run()
    assert len(_import_keys(at)) == 1
    at.file_uploader[0].set_value(("b.xlsx", Path(second).read_bytes(), XLSX)).run()
    assert not at.exception
    kept = _import_keys(at)
    assert len(kept) == 1  # the first file's check is gone
    next(b for b in at.button if b.label == "确认导入 1 行").click().run()
    assert "已导入 1 行。" in [s.value for s in at.success]
    assert _import_keys(at) == kept and at.session_state[kept[0]] == "done"
    at.file_uploader[0].set_value(None).run()  # the uploader cleared
    assert _import_keys(at) == []


def test_the_server_accepts_uploads_up_to_the_spreadsheet_limit(sqlite_db, monkeypatch):
    from core.settings.config import Settings

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == Settings.xlsx_max_file_mb == 50

    # `jiangxin run` passes the configured spreadsheet limit to the server it starts
    from streamlit.web import cli as streamlit_cli

    from core import cli

    started = []
    monkeypatch.setattr(streamlit_cli, "main", lambda: started.append(list(sys.argv)))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(cli.os, "chdir", lambda path: None)
    monkeypatch.setenv("JIANGXIN_XLSX_MAX_FILE_MB", "80")
    assert cli.main(["run", "--port", "8599"]) == 0
    argv = started[0]
    assert argv[argv.index("--server.maxUploadSize") + 1] == "80"
    monkeypatch.setenv("JIANGXIN_XLSX_MAX_FILE_MB", "1")  # never below a 5 MB attachment
    assert cli.main(["run", "--port", "8599"]) == 0
    assert started[1][started[1].index("--server.maxUploadSize") + 1] == "5"
