"""Accounts an administrator makes: the 用户 page's new-account form (keeps what was typed when
refused, no default role, the least powerful role first, a success message that outlives the
rerun), the first own password (dashboard/password_gate.py) before any page, resets, and the
migration (core_0004) that leaves existing accounts alone. Real app under AppTest, real
databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from core.access import auth
from core.data.audit import Actor
from core.data.db import create_database, get_engine, read_session, session_scope
from core.data.models import AuditEntry, User
from core.host.loader import get_host
from tests.helpers import APP, PASSWORD, shown, signed_in_app, texts

CREATE = "FormSubmitter:create_user-创建"
SAVE_EDIT = "FormSubmitter:edit_user_form-保存修改"
GATE = "FormSubmitter:first_password-保存新密码"
LOGIN = "FormSubmitter:Login-登录"
GATE_FIELDS = ["原密码", "新密码", "再次输入新密码"]
FIRST_PASSWORD, OWN_PASSWORD = "chosen-by-admin-1", "only-i-know-it-2"


def fill_new_account(at, username: str, name: str, role: str | None, county: str,
                     password: str):
    """Fill in the 新建账户 form (by widget key) and submit it."""
    at.text_input(key="new_username").input(username)
    at.text_input(key="new_name").input(name)
    if role is not None:
        at.selectbox(key="new_role").select(role)
    at.selectbox(key="new_county").select(county)
    at.text_input(key="new_password").input(password)
    return at.button(key=CREATE).click().run()


def form_values(at) -> tuple:
    return (at.text_input(key="new_username").value, at.text_input(key="new_name").value,
            at.selectbox(key="new_role").value, at.selectbox(key="new_county").value)


def flag_of(username: str) -> bool:
    with read_session() as s:
        return s.scalar(select(User.must_change_password).where(User.username == username))


def password_is(username: str, password: str) -> bool:
    with read_session() as s:
        hashed = s.scalar(select(User.password_hash).where(User.username == username))
    return auth.check_password(password, hashed)


def sign_in(username: str, password: str, page: str | None = None):
    """The real app's sign-in form, asking for ``page`` first (as a deep link would)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=30)
    if page is not None:
        at.session_state["jiangxin_start_page"] = page
    at.run()
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    return at.button(key=LOGIN).click().run()


def shows_only_the_gate(at) -> bool:
    """Only the form to choose one's own password: no page, no link to any."""
    return (not at.exception and [t.value for t in at.title] == ["设置新密码"]
            and [t.label for t in at.text_input] == GATE_FIELDS
            and at.session_state["jiangxin_nav"] == {})


# --- the new-account form ----------------------------------------------------------------


def test_the_role_has_no_default_and_the_least_powerful_comes_first(sqlite_db):
    at = signed_in_app("admin", page="core-users")
    role = at.selectbox(key="new_role")
    assert role.value is None and role.proto.placeholder == "请选择角色"
    assert role.options == ["区县工作人员", "领导", "审核员", "管理员"]

    fill_new_account(at, "staff_fy", "富阳工作人员", None, "330111", FIRST_PASSWORD)
    assert [e.value for e in at.error] == ["请选择角色"]
    assert form_values(at) == ("staff_fy", "富阳工作人员", None, "330111")
    with read_session() as s:
        assert s.scalar(select(User).where(User.username == "staff_fy")) is None


@pytest.mark.parametrize("username, password, error", [
    ("staff_jd", FIRST_PASSWORD, "用户名 staff_jd 已存在"),
    ("staff_fy", "short", "密码至少需要 8 个字符"),
])
def test_a_refused_new_account_keeps_what_was_typed(sqlite_db, username, password, error):
    at = signed_in_app("admin", page="core-users")
    fill_new_account(at, username, "富阳工作人员", "manager", "330111", password)
    assert error in [shown(e.value) for e in at.error]
    assert form_values(at) == (username, "富阳工作人员", "manager", "330111")
    assert not at.success

    # corrected, it goes through with the other values as they were
    at.text_input(key="new_username").input("staff_fy2")
    at.text_input(key="new_password").input(FIRST_PASSWORD)
    at.button(key=CREATE).click().run()
    with read_session() as s:
        made = s.scalar(select(User).where(User.username == "staff_fy2"))
        assert made is not None, [shown(e.value) for e in at.error]
        assert (made.display_name, made.role, made.county_code) == ("富阳工作人员", "manager",
                                                                    "330111")


def test_the_success_message_outlives_the_rerun_until_the_next_action(sqlite_db):
    at = signed_in_app("admin", page="core-users")
    fill_new_account(at, "staff_fy", "富阳工作人员", "staff", "330111", FIRST_PASSWORD)
    assert not at.error
    assert [shown(s.value) for s in at.success] == ["已创建账户 staff_fy，该用户首次登录时须设置自己的密码"]
    assert "staff_fy" in texts(at)  # the table, redrawn by the rerun, lists it
    assert form_values(at) == ("", "", None, "")  # emptied after success, for the next one
    at.run()  # the next action
    assert not at.success


# --- the first own password --------------------------------------------------------------


@pytest.mark.parametrize("page", ["jx-testkit-notes", "core-overview"])
def test_a_new_account_chooses_its_own_password_before_any_page(sqlite_db, page):
    at = signed_in_app("admin", page="core-users")
    fill_new_account(at, "staff_jd2", "建德新人", "staff", "330182", FIRST_PASSWORD)
    assert flag_of("staff_jd2") is True

    at = sign_in("staff_jd2", FIRST_PASSWORD, page=page)
    assert shows_only_the_gate(at)
    assert "建德便签一" not in texts(at) and "总览" not in texts(at)
    at.run()  # a rerun (any click) gets no further
    assert shows_only_the_gate(at)

    def submit(old, new, again):
        boxes = {t.label: t for t in at.text_input}
        boxes["原密码"].input(old)
        boxes["新密码"].input(new)
        boxes["再次输入新密码"].input(again)
        at.button(key=GATE).click().run()

    submit(FIRST_PASSWORD, FIRST_PASSWORD, FIRST_PASSWORD)  # the same one again
    assert [e.value for e in at.error] == ["新密码不能与原密码相同"] and shows_only_the_gate(at)
    submit(FIRST_PASSWORD, OWN_PASSWORD, OWN_PASSWORD + "x")
    assert [e.value for e in at.error] == ["两次输入的新密码不一致"] and shows_only_the_gate(at)
    submit("not-the-password", OWN_PASSWORD, OWN_PASSWORD)
    assert [e.value for e in at.error] == ["原密码不正确"] and shows_only_the_gate(at)
    submit(FIRST_PASSWORD, "short", "short")
    assert [e.value for e in at.error] == ["密码至少需要 8 个字符"] and shows_only_the_gate(at)
    assert flag_of("staff_jd2") is True

    submit(FIRST_PASSWORD, OWN_PASSWORD, OWN_PASSWORD)
    assert not at.exception and not at.error
    assert [t.value for t in at.title] == [{"jx-testkit-notes": "测试便签",
                                            "core-overview": "总览"}[page]]
    assert [t.value for t in at.toast] == ["密码已设置，欢迎使用。"]
    assert at.session_state["jiangxin_nav"]  # the navigation is back
    assert flag_of("staff_jd2") is False
    assert password_is("staff_jd2", OWN_PASSWORD) and not password_is("staff_jd2", FIRST_PASSWORD)
    with read_session() as s:  # the change was the user's own, and audited
        entry = s.scalars(select(AuditEntry).where(AuditEntry.table_name == "core_user")
                          .where(AuditEntry.action == "update")
                          .order_by(AuditEntry.id.desc())).first()
    assert entry.actor == "staff_jd2" and entry.after.get("must_change_password") is False

    assert "用户名或密码错误。" in [e.value for e in sign_in("staff_jd2", FIRST_PASSWORD).error]
    at = sign_in("staff_jd2", OWN_PASSWORD)
    assert [t.value for t in at.title] == ["工作台"]


def test_the_gate_keeps_a_seeded_session_out_of_every_page(sqlite_db):
    # a session that is already signed in (as a cookie resumes one) meets the gate as well
    with session_scope(Actor("admin", "admin")) as s:
        auth.set_password(s, "staff_jd", FIRST_PASSWORD, must_change_password=True)
    at = signed_in_app("staff_jd", page="jx-testkit-notes")
    assert shows_only_the_gate(at) and "建德便签一" not in texts(at)


def test_an_admin_password_reset_sets_the_flag_again(sqlite_db):
    assert flag_of("staff_jd") is False
    at = signed_in_app("admin", page="core-users")
    at.selectbox(key="edit_user").select("staff_jd").run()
    at.text_input(key="reset_password_staff_jd").input(FIRST_PASSWORD)
    at.button(key=SAVE_EDIT).click().run()
    assert [shown(s.value) for s in at.success] == ["已保存 staff_jd"]
    assert at.text_input(key="reset_password_staff_jd").value == ""  # not reset again next time
    assert flag_of("staff_jd") is True
    assert shows_only_the_gate(sign_in("staff_jd", FIRST_PASSWORD, page="jx-testkit-notes"))

    # a save that changes no password leaves the flag as it is
    at.button(key=SAVE_EDIT).click().run()
    assert flag_of("staff_jd") is True and password_is("staff_jd", FIRST_PASSWORD)


def test_the_command_line_add_and_passwd_set_the_flag(sqlite_db):
    from core.cli import main

    assert main(["users", "add", "staff_lin", "--name", "临安工作人员", "--role", "staff",
                 "--county", "330112", "--password", FIRST_PASSWORD]) == 0
    assert flag_of("staff_lin") is True
    assert main(["users", "passwd", "staff_ca", "--password", FIRST_PASSWORD]) == 0
    assert flag_of("staff_ca") is True
    assert shows_only_the_gate(sign_in("staff_ca", FIRST_PASSWORD))


def test_the_own_change_service_clears_the_flag(sqlite_db):
    with session_scope(Actor("admin", "admin")) as s:
        auth.set_password(s, "reviewer", FIRST_PASSWORD, must_change_password=True)
    with session_scope(Actor("reviewer", "reviewer")) as s:
        auth.change_own_password(s, "reviewer", FIRST_PASSWORD, OWN_PASSWORD)
    assert flag_of("reviewer") is False


# --- display names -----------------------------------------------------------------------


def test_display_names_come_in_one_query_and_follow_a_rename(sqlite_db):
    from sqlalchemy import event

    statements = []
    engine = get_engine()
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        with read_session() as s:
            names = auth.display_names(s, ["staff_jd", "reviewer", "cli:root", "staff_jd"])
        assert names == {"staff_jd": "建德工作人员", "reviewer": "审核员乙", "cli:root": "cli:root"}
        assert sum("core_user" in sql for sql in statements) == 1
        with read_session() as s:  # asked again: from the cache, no query
            assert auth.display_names(s, ["reviewer"]) == {"reviewer": "审核员乙"}
        assert sum("core_user" in sql for sql in statements) == 1
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    with session_scope(Actor("admin", "admin")) as s:
        auth.update_user(s, "staff_jd", display_name="建德新名")
    with read_session() as s:
        assert auth.display_names(s, ["staff_jd"]) == {"staff_jd": "建德新名"}


# --- the migration -----------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request, env, monkeypatch) -> str:
    """An empty database: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "postgresql":
        yield request.getfixturevalue("pg_url")
        return
    url = f"sqlite:///{env / 'old.db'}"
    monkeypatch.setenv("JIANGXIN_DATABASE_URL", url)
    create_database(url)
    yield url
    get_engine(url).dispose()


def _upgrade_core_to(engine, revision: str) -> None:
    """Core's branch alone up to ``revision`` (a database made by an older version)."""
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory

    from core.data.migrate import alembic_config

    cfg = alembic_config(get_host())
    script = ScriptDirectory.from_config(cfg)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        with EnvironmentContext(cfg, script, destination_rev=revision,
                                fn=lambda rev, _ctx: script._upgrade_revs(revision, rev)):
            script.run_env()


def test_upgrading_keeps_existing_accounts_out_of_the_gate(empty_db):
    from core.data.migrate import upgrade

    engine = get_engine(empty_db)
    _upgrade_core_to(engine, "core_0003")
    with engine.begin() as conn:  # an account made before core_0004
        conn.execute(text(
            "INSERT INTO core_user (username, display_name, role, county_code, password_hash,"
            " disabled, created_at, session_generation) VALUES ('old_staff', '老员工', 'staff',"
            " '330182', :hash, :no, CURRENT_TIMESTAMP, 0)"),
            {"hash": auth.hash_password(PASSWORD), "no": False})
    upgrade(engine, get_host())
    assert flag_of("old_staff") is False
    at = sign_in("old_staff", PASSWORD, page="jx-testkit-notes")
    assert not at.exception and [t.value for t in at.title] == ["测试便签"]
