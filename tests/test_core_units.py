"""Smaller promises of the core: counties as configuration, cookie keys, lock expiry,
spreadsheet-table registration, the overview workbook and cross-process cache invalidation."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys

import openpyxl
import pytest

from core.access import auth
from core.data.audit import Actor
from core.data.db import session_scope, utcnow
from core.data.models import LoginFailure
from core.host.loader import get_host
from core.settings.config import ConfigError, load_settings
from core.settings.counties import county_name, load_counties, resolve_county
from core.spreadsheet import workbook_bytes
from dashboard.overview_data import compute_tiles, overview_workbook
from tests.helpers import signed_in_app


def test_the_default_counties_are_hangzhou():
    codes = [c.code for c in load_counties()]
    assert len(codes) == 13 and codes[0] == "330102" and codes[-1] == "330182"
    assert county_name("330182") == "建德市" and county_name(None) == "全市"
    assert resolve_county("建德市") == resolve_county(" 330182 ") == "330182"
    assert resolve_county("不存在区") is None


def test_another_city_brings_its_own_county_list(env, monkeypatch):
    path = env / "ningbo.csv"
    path.write_text("code,name\n330203,海曙区\n330205,江北区\n", encoding="utf-8")
    monkeypatch.setenv("JIANGXIN_COUNTIES_FILE", str(path))
    assert [c.name for c in load_counties()] == ["海曙区", "江北区"]
    bad = env / "bad.csv"
    bad.write_text("编号,名称\n1,甲\n", encoding="utf-8")
    monkeypatch.setenv("JIANGXIN_COUNTIES_FILE", str(bad))
    with pytest.raises(ConfigError, match="code,name"):
        load_counties()


@pytest.mark.parametrize("key", [None, "short-key", "some_key", " " * 40, "a" * 40, "ab" * 20,
                                 "correct horse battery staple correct horse"])
def test_a_missing_or_weak_cookie_key_is_refused_outside_the_demo(env, monkeypatch, key):
    if key is None:
        monkeypatch.delenv("JIANGXIN_COOKIE_KEY")
    else:
        monkeypatch.setenv("JIANGXIN_COOKIE_KEY", key)
    with pytest.raises(ConfigError, match="JIANGXIN_COOKIE_KEY"):
        load_settings().require_cookie_key()


def test_the_demo_generates_and_keeps_its_own_cookie_key(env, monkeypatch):
    monkeypatch.delenv("JIANGXIN_COOKIE_KEY")
    monkeypatch.setenv("JIANGXIN_DEMO", "1")
    first = load_settings().require_cookie_key()
    assert len(first) >= 32 and load_settings().require_cookie_key() == first


def test_a_lock_ends_fifteen_minutes_after_the_fifth_failure(sqlite_db):
    start = utcnow() - dt.timedelta(minutes=20)
    with session_scope(Actor("test", "admin")) as s:
        for minute in range(5):
            s.add(LoginFailure(username="staff_jd", at=start + dt.timedelta(minutes=minute)))
        s.flush()
        fifth = start + dt.timedelta(minutes=4)
        assert auth.locked_until(s, "staff_jd", now=fifth) == fifth + auth.LOCK_WINDOW
        assert auth.locked_until(s, "staff_jd", now=fifth + dt.timedelta(minutes=14)) is not None
        assert auth.locked_until(s, "staff_jd") is None  # 16 minutes later: free again
        # five failures spread over more than 15 minutes never lock
        spread = utcnow() - dt.timedelta(minutes=40)
        for minute in (0, 10, 20, 30, 39):
            s.add(LoginFailure(username="staff_ca", at=spread + dt.timedelta(minutes=minute)))
        s.flush()
        assert auth.locked_until(s, "staff_ca") is None


def test_sign_out_returns_to_the_sign_in_form_and_is_audited(sqlite_db):
    from sqlalchemy import select

    from core.data.db import read_session
    from core.data.models import AuditEntry

    at = signed_in_app("manager")
    at.button(key="Logout").click().run()
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert not at.metric
    with read_session() as s:
        last = s.scalars(select(AuditEntry.action).where(AuditEntry.row_id == "manager")
                         .order_by(AuditEntry.id.desc())).first()
    assert last == "logout"


def test_spreadsheet_tables_are_registered_by_name(sqlite_db):
    table = get_host().spreadsheet_tables["testkit_people"]
    assert table.column("id_number").aliases == ("身份证号", "身份证号码")
    assert table.natural_key == ("id_number",)


def test_the_overview_workbook_has_a_sheet_per_tile(sqlite_db):
    metrics = list(get_host().metrics.values())
    sheets, data = overview_workbook(compute_tiles(metrics, ("330182",), None))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert sheets == len(wb.sheetnames) == len(metrics)
    notes = wb["测试便签数"]
    assert [[c.value for c in row] for row in notes.iter_rows()] == [["区县", "便签数"], ["330182", 2]]
    assert notes.freeze_panes == "A2"


def test_exported_text_that_looks_like_a_formula_stays_text():
    data = workbook_bytes({"表": [{"姓名": "=HYPERLINK(\"http://x\")", "备注": "+86 138", "数": 3}]})
    ws = openpyxl.load_workbook(io.BytesIO(data))["表"]
    assert [c.value for c in ws[2]] == ["=HYPERLINK(\"http://x\")", "+86 138", 3]
    assert [c.data_type for c in ws[2]] == ["s", "s", "n"]


def test_a_write_by_another_process_refreshes_the_overview(any_db):
    at = signed_in_app("admin")
    assert {m.label: m.value for m in at.metric}["账户"] == "5"
    done = subprocess.run([sys.executable, "-m", "core.cli", "users", "add", "staff_xh", "--name",
                           "西湖工作人员", "--role", "staff", "--county", "330106", "--password",
                           "xihu-password-1"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    at.run()
    assert {m.label: m.value for m in at.metric}["账户"] == "6"
