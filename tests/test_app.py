"""The real dashboard under AppTest: sign-in, lockout, roles, scopes and every core page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.access import auth
from core.data.audit import Actor
from core.data.db import read_session, session_scope
from core.data.models import AuditEntry, LoginFailure, User
from core.host.loader import get_host
from dashboard.shell import allowed_pages
from tests.helpers import PASSWORD, signed_in_app, testkit, texts

LOGIN_BUTTON = "FormSubmitter:Login-登录"
CORE_PAGES = ["core-overview", "core-workbench", "core-report", "core-plugins", "core-audit", "core-users",
              "core-account"]


def sign_in_through_form(username: str, password: str, at=None):
    at = at or signed_in_app(None)
    user_box, password_box = at.text_input[0], at.text_input[1]
    user_box.input(username)
    password_box.input(password)
    at.button(key=LOGIN_BUTTON).click().run()
    return at


def audit_actions(username: str) -> list[str]:
    with read_session() as s:
        return list(s.scalars(select(AuditEntry.action).where(AuditEntry.row_id == username)
                              .order_by(AuditEntry.id)))


@pytest.mark.parametrize("page", CORE_PAGES + ["jx-testkit-notes"])
def test_signed_out_every_page_shows_the_sign_in_form_and_no_data(sqlite_db, page):
    at = signed_in_app(None, page=page)
    assert not at.exception
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    shown = texts(at)
    assert "建德便签" not in shown and "admin" not in shown
    assert not at.dataframe and not at.metric


def test_sign_in_through_the_real_form_shows_the_overview_and_is_audited(sqlite_db):
    at = sign_in_through_form("admin", PASSWORD)
    assert not at.exception
    assert [t.value for t in at.title] == ["总览"]
    assert "管理员甲 · 管理员 · 全市" in texts(at)
    assert audit_actions("admin")[-1] == "login"


def test_a_wrong_password_is_refused_in_chinese_and_audited(sqlite_db):
    at = sign_in_through_form("admin", "wrong-password")
    assert "用户名或密码错误。" in [e.value for e in at.error]
    assert not at.title or at.title[0].value != "总览"
    assert audit_actions("admin")[-1] == "login_failed"


def test_five_failures_lock_the_account_until_an_admin_resets_the_password(sqlite_db):
    for attempt in range(5):
        at = sign_in_through_form("staff_jd", f"wrong-{attempt}")
    assert "连续 5 次登录失败，账户已锁定 15 分钟。" in [e.value for e in at.error]

    at = sign_in_through_form("staff_jd", PASSWORD)  # the right password, but locked
    assert any("已被锁定" in e.value for e in at.error)
    assert not at.session_state["authentication_status"]

    other = sign_in_through_form("admin", PASSWORD)  # other accounts are unaffected
    assert other.title[0].value == "总览"

    with session_scope(Actor("admin", "admin")) as s:
        auth.set_password(s, "staff_jd", "fresh-password-1")
    at = sign_in_through_form("staff_jd", "fresh-password-1")
    assert at.title[0].value == "工作台"  # staff start on 工作台


def test_four_failures_do_not_lock(sqlite_db):
    for attempt in range(4):
        sign_in_through_form("staff_jd", f"wrong-{attempt}")
    at = sign_in_through_form("staff_jd", PASSWORD)
    assert at.title[0].value == "工作台"


EXPECTED_PAGES = {
    "admin": CORE_PAGES + ["jx-testkit-notes", "jx-testkit-people", "jx-testkit-secret"],
    "reviewer": ["core-overview", "core-workbench", "core-account", "jx-testkit-secret"],
    "manager": ["core-overview", "core-workbench", "core-report", "core-account"],
    "staff_jd": ["core-overview", "core-workbench", "core-report", "core-account", "jx-testkit-notes",
                 "jx-testkit-people", "jx-testkit-secret"],
    # the test plugin's jiangxin_check_permission vetoes the secret page for 淳安县
    "staff_ca": ["core-overview", "core-workbench", "core-report", "core-account", "jx-testkit-notes",
                 "jx-testkit-people"],
}


@pytest.mark.parametrize("username", EXPECTED_PAGES)
def test_each_role_sees_exactly_its_pages(sqlite_db, username):
    with read_session() as s:
        user = auth.load_current_user(s, username)
    shown = [page.url_path for _, page in allowed_pages(get_host(), user)]
    assert sorted(shown) == sorted(EXPECTED_PAGES[username])
    at = signed_in_app(username)
    assert sorted(at.session_state["jiangxin_nav"].keys()) == sorted(EXPECTED_PAGES[username])


FORBIDDEN = [  # who may not open the page, who may, and something only the page shows
    ("manager", "admin", "core-audit", "fixture"),  # the accounts' creator, in the audit log
    ("manager", "admin", "core-users", "staff_jd"),
    ("reviewer", "manager", "core-report", "年度工作报告"),
    ("staff_jd", "admin", "core-plugins", "jx_testkit"),
    ("reviewer", "staff_jd", "jx-testkit-notes", "便签"),
    ("staff_ca", "staff_jd", "jx-testkit-secret", "SECRET-42"),
]


@pytest.mark.parametrize(("username", "allowed", "page", "secret"), FORBIDDEN)
def test_a_forbidden_url_says_no_access_and_shows_no_data(sqlite_db, username, allowed, page,
                                                          secret):
    at = signed_in_app(allowed, page=page)  # the secret is really on the page for those allowed
    assert not at.exception and not at.error
    assert secret in texts(at)
    at = signed_in_app(username, page=page)
    assert not at.exception
    assert [e.value for e in at.error] == ["无权访问"]
    assert secret not in texts(at)
    assert not at.dataframe


def test_county_staff_see_only_their_county(sqlite_db):
    at = signed_in_app("staff_jd", page="jx-testkit-notes")
    shown = texts(at)
    assert "建德便签一" in shown and "建德便签二" in shown
    assert "淳安便签" not in shown and "上城便签" not in shown


def test_overview_tiles_follow_the_user_scope_and_link_to_their_list(sqlite_db):
    city = signed_in_app("admin")
    tiles = {m.label: m.value for m in city.metric}
    assert tiles["测试便签数"] == "4"
    assert city.get("vega_lite_chart")
    assert any(c.value.startswith("上次刷新：") for c in city.caption)
    assert "测试便签数" in tiles and "账户" in tiles  # admins also see core's tiles

    county = signed_in_app("staff_jd", page="core-overview")
    assert {m.label: m.value for m in county.metric} == {"测试便签数": "2"}
    assert county.selectbox[0].disabled and county.selectbox[0].value == "330182"


def test_overview_county_filter_narrows_the_city_figures(sqlite_db):
    at = signed_in_app("admin")
    at.selectbox(key="overview_county").select("330127").run()
    assert {m.label: m.value for m in at.metric}["测试便签数"] == "1"


def test_overview_figures_change_after_a_write(sqlite_db):
    at = signed_in_app("staff_jd", page="core-overview")
    assert at.metric[0].value == "2"
    with session_scope(Actor("staff_jd", "staff", "330182")) as s:
        s.add(testkit().TestkitNote(text="又一条", county_code="330182"))
    at.run()
    assert at.metric[0].value == "3"


def test_wall_screen_mode_has_no_filters(sqlite_db):
    at = signed_in_app("manager", query={"wall": "1"})
    assert not at.exception
    assert not at.selectbox
    assert any("总览" in m.value for m in at.markdown)


def test_a_crashing_page_and_metric_stay_inside_their_own_tile_and_page(env, sqlite_template, monkeypatch):
    import shutil

    from tests.helpers import BROKEN_PLUGINS, TEST_PLUGINS

    monkeypatch.setenv("JIANGXIN_PLUGIN_PATH", f"{TEST_PLUGINS}:{BROKEN_PLUGINS}")
    shutil.copy(sqlite_template, env / "jx.db")
    monkeypatch.setenv("JIANGXIN_DATABASE_URL", f"sqlite:///{env / 'jx.db'}")

    at = signed_in_app("admin")
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["测试便签数"] == "4"
    assert "该指标暂时无法计算，已记录。" in [w.value for w in at.warning]

    at = signed_in_app("admin", page="crashing-page-boom")
    assert not at.exception
    assert [e.value for e in at.error] == ["页面出错，已记录。请稍后再试或联系管理员。"]

    at = signed_in_app("admin", page="core-plugins")
    shown = texts(at)
    assert "county module misconfigured" in shown          # failed at import
    assert "pages hook exploded" in shown                  # its hook raised
    assert "jiangxin_pagez" in shown                       # misspelled hook
    assert "page bug" in shown and "metric bug" in shown   # failed while running
    assert "registry-people" in shown                      # outside its namespace


def create_account(at, username: str, name: str, password: str) -> None:
    """Fill in and submit the Users page's 新建账户 form (staff of 富阳区)."""
    boxes = {t.label: t for t in at.text_input}
    boxes["用户名"].input(username)
    boxes["姓名"].input(name)
    boxes["初始密码"].input(password)
    at.selectbox[0].select("staff")
    at.selectbox[1].select("330111")
    at.button(key="FormSubmitter:create_user-创建").click().run()


def test_users_page_creates_an_account_and_refuses_bad_input(sqlite_db):
    at = signed_in_app("admin", page="core-users")
    create_account(at, "staff_fy", "富阳工作人员", "short")
    assert "密码至少需要 8 个字符" in [e.value for e in at.error]
    with read_session() as s:
        assert s.scalar(select(User).where(User.username == "staff_fy")) is None

    create_account(at, "staff_fy", "富阳工作人员", "good-password-1")
    assert not at.exception
    with read_session() as s:
        created = s.scalar(select(User).where(User.username == "staff_fy"))
        assert (created.role, created.county_code) == ("staff", "330111")
        actor = s.scalar(select(AuditEntry.actor).where(AuditEntry.table_name == "core_user")
                         .where(AuditEntry.action == "create").order_by(AuditEntry.id.desc()))
    assert actor == "admin"
    assert "staff_fy" in texts(at)


def test_a_disabled_account_is_signed_out_at_its_next_rerun(sqlite_db):
    at = signed_in_app("staff_jd")
    assert at.title[0].value == "工作台"
    with session_scope(Actor("admin", "admin")) as s:
        auth.update_user(s, "staff_jd", disabled=True)
    at.run()
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    at = sign_in_through_form("staff_jd", PASSWORD)
    assert "用户名或密码错误。" in [e.value for e in at.error]


def test_account_page_changes_the_own_password(sqlite_db):
    at = signed_in_app("reviewer", page="core-account")
    boxes = {t.label: t for t in at.text_input}
    boxes["原密码"].input("not-my-password")
    boxes["新密码"].input("brand-new-pass-1")
    boxes["再次输入新密码"].input("brand-new-pass-1")
    at.button(key="FormSubmitter:change_password-保存").click().run()
    assert [e.value for e in at.error] == ["原密码不正确"]

    boxes = {t.label: t for t in at.text_input}
    boxes["原密码"].input(PASSWORD)
    boxes["新密码"].input("brand-new-pass-1")
    boxes["再次输入新密码"].input("brand-new-pass-1")
    at.button(key="FormSubmitter:change_password-保存").click().run()
    assert [s.value for s in at.success] == ["密码已修改"]
    with read_session() as s:
        hashed = s.scalar(select(User.password_hash).where(User.username == "reviewer"))
    assert auth.check_password("brand-new-pass-1", hashed)


def test_audit_page_lists_filters_and_exports(sqlite_db):
    sign_in_through_form("staff_jd", "wrong-once")
    at = signed_in_app("admin", page="core-audit")
    assert not at.exception
    table = at.dataframe[0].value
    assert "登录失败" in set(table["操作"]) and "新增" in set(table["操作"])

    at.selectbox[0].select("staff_jd").run()
    table = at.dataframe[0].value
    assert set(table["用户"]) == {"staff_jd"}

    at.button[0].click().run()
    assert at.get("download_button")
    with read_session() as s:
        exports = s.scalars(select(AuditEntry.summary).where(AuditEntry.action == "export")).all()
    assert exports and "导出审计日志" in exports[-1]


def test_plugins_page_lists_plugins_with_version_and_origin(sqlite_db):
    at = signed_in_app("admin", page="core-plugins")
    table = at.dataframe[0].value
    row = table[table["插件"] == "jx_testkit"].iloc[0]
    assert (row["版本"], row["来源"]) == ("9.9.9", "插件目录")
    assert "数据库结构已是最新。" in texts(at)


def test_an_out_of_date_schema_is_a_clear_message_not_a_stack_trace(env, monkeypatch):
    monkeypatch.setenv("JIANGXIN_DATABASE_URL", f"sqlite:///{env / 'blank.db'}")
    at = signed_in_app(None)
    assert not at.exception
    assert any("jiangxin init-db" in e.value for e in at.error)


def test_without_a_cookie_key_the_app_refuses_to_start(sqlite_db, monkeypatch):
    monkeypatch.delenv("JIANGXIN_COOKIE_KEY")
    at = signed_in_app(None)
    assert not at.exception
    assert any(e.value.startswith("系统配置错误") for e in at.error)
    assert not at.text_input


@pytest.mark.parametrize("username", ["nobody", "disabled_user"])
def test_a_sign_in_with_an_unknown_or_disabled_account_is_refused_and_audited(sqlite_db, username):
    if username == "disabled_user":
        with session_scope(Actor("admin", "admin")) as s:
            auth.create_user(s, username, "停用者", "staff", "330182", PASSWORD)
            auth.update_user(s, username, disabled=True)
    at = sign_in_through_form(username, PASSWORD)
    assert "用户名或密码错误。" in [e.value for e in at.error]
    assert not at.session_state["authentication_status"]
    with read_session() as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry.action == "login_failed"
        assert entry.summary == "登录失败：没有这个账户或账户已停用"
        if username == "disabled_user":  # an account's name is no secret
            assert entry.row_id == entry.actor == username
        else:  # a name that matches no account may be a password: never stored
            assert entry.row_id == entry.actor and entry.row_id.startswith("no…(6)#")
        assert s.scalar(select(func.count()).select_from(LoginFailure)) == 0  # nothing to lock


def test_a_password_typed_as_the_username_is_never_stored(sqlite_db):
    typed = "S3cret-Passw0rd!"
    sign_in_through_form(typed, "anything")
    with read_session() as s:
        entries = s.scalars(select(AuditEntry)).all()
        stored = [str(value) for e in entries
                  for value in (e.actor, e.row_id, e.summary, e.before, e.after)]
    assert entries[-1].action == "login_failed"
    assert not any(typed.lower() in value or typed in value for value in stored)
