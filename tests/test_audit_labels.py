"""审计日志 names tables and fields in Chinese: the labels models declare beside their tables
(SQLAlchemy ``info``), looked up through Base.metadata; unlabelled names stay as stored."""

from __future__ import annotations

from sqlalchemy import select

from core.data.audit import Actor, describe
from core.data.db import read_session, session_scope
from core.data.labels import field_label, table_label, value_label
from core.data.models import AuditEntry, User
from tests.helpers import signed_in_app


def test_labels_come_from_the_models_and_unlabelled_names_stay_as_stored():
    assert table_label("core_audit_log") == "审计日志"  # a dict ending __table_args__' tuple
    assert field_label("core_audit_log", "actor") == "actor"  # unlabelled: as stored
    assert field_label("core_audit_log", "id") == "编号"  # the common columns are named once
    assert table_label("no_such_table") == "no_such_table"
    assert table_label("core_user") == "用户账户" and field_label("core_user", "role") == "角色"
    assert value_label("core_user", "role", "reviewer") == "审核员"
    assert value_label("core_user", "disabled", True) == "是"


def test_an_edited_account_shows_in_the_audit_log_by_its_chinese_names(sqlite_db):
    with session_scope(Actor("admin", "admin")) as session:
        user = session.scalar(select(User).where(User.username == "staff_jd"))
        user.role = "reviewer"
    with read_session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "update")
                               .order_by(AuditEntry.id.desc()))
        assert describe(entry) == "修改用户账户：角色"

    at = signed_in_app("admin", page="core-audit")
    assert not at.exception
    table = at.dataframe[0].value
    edit = table[table["操作"] == "修改"].iloc[0]
    assert edit["数据表"] == "用户账户"
    assert edit["修改前"] == "角色: 区县工作人员" and edit["修改后"] == "角色: 审核员"
    assert edit["说明"] == "修改用户账户：角色"
    assert "core_user" not in set(table["数据表"])
    # the filter offers the table by its Chinese name too
    assert "用户账户" in at.selectbox[2].options


def test_the_audit_page_takes_dates_as_the_spreadsheets_write_them(sqlite_db):
    at = signed_in_app("admin", page="core-audit")
    since, until = at.text_input(key="audit_since"), at.text_input(key="audit_until")
    assert since.placeholder.startswith("如 ")  # a Chinese example, no yyyy/mm/dd
    since.set_value("2020年1月1日").run()
    assert not at.error and len(at.dataframe[0].value) > 0
    until.set_value("2019.12.31").run()  # before the start: nothing
    assert len(at.dataframe[0].value) == 0
    until.set_value("20191332").run()
    assert [e.value for e in at.error] == ["截止日期：日期 2019-13-32 不存在"]
