"""The plugin host: where plugins come from, and what happens when one is broken."""

from __future__ import annotations

import inspect
import shutil
import sys
import textwrap

import pytest

from core.host import hookspecs
from core.host.loader import PluginError, PluginHost, get_host
from core.settings.config import load_settings
from tests.helpers import BROKEN_PLUGINS, TEST_PLUGINS, signed_in_app, texts

HELLO = textwrap.dedent('''
    import streamlit as st
    from core.host.hookspecs import hookimpl
    from core.host.pages import Page
    from core.access.permissions import Permission
    from . import labels

    def board():
        st.title(labels.TITLE)

    @hookimpl
    def jiangxin_permissions():
        return [Permission("{name}.view", "查看", {{"admin", "staff"}})]

    @hookimpl
    def jiangxin_pages():
        return [Page(url_path="{slug}-board", title=labels.TITLE, section="区县", target=board,
                     permission="{name}.view")]
''')


def drop_in(folder, name, title):
    """Write a county's drop-in package (with a relative import) into ``folder``."""
    pkg = folder / name
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(HELLO.format(name=name, slug=name.replace("_", "-")))
    (pkg / "labels.py").write_text(f"TITLE = {title!r}\n")
    return pkg


def host_for(monkeypatch, *folders, **env) -> PluginHost:
    monkeypatch.setenv("JIANGXIN_PLUGIN_PATH", ":".join(str(f) for f in folders))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return PluginHost(load_settings())


def test_a_folder_dropped_into_the_plugin_path_adds_its_page(sqlite_db, tmp_path, monkeypatch):
    county_dir = tmp_path / "county-plugins"
    drop_in(county_dir, "jiande_points", "建德活动积分")
    monkeypatch.setenv("JIANGXIN_PLUGIN_PATH", f"{TEST_PLUGINS}:{county_dir}")

    host = get_host()
    assert host.records["jiande_points"].status == "loaded"
    assert host.records["jiande_points"].source == "folder"
    at = signed_in_app("staff_jd", page="jiande-points-board")
    assert not at.exception
    assert [t.value for t in at.title] == ["建德活动积分"]
    assert "jiande-points-board" in at.session_state["jiangxin_nav"]


def test_two_counties_may_ship_modules_of_the_same_file_names(env, tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    drop_in(a, "jiande_points", "建德积分")
    drop_in(b, "chunan_points", "淳安积分")
    host = host_for(monkeypatch, a, b)
    titles = {page.url_path: page.title for _, page in host.pages}
    assert titles["jiande-points-board"] == "建德积分"
    assert titles["chunan-points-board"] == "淳安积分"  # its own labels.py, not the first one


def test_broken_plugins_are_reported_and_the_rest_work(env, monkeypatch):
    host = host_for(monkeypatch, TEST_PLUGINS, BROKEN_PLUGINS)
    records = host.records
    assert records["broken_import"].status == "failed"
    assert "county module misconfigured" in records["broken_import"].error
    assert records["misspelled"].status == "failed"
    assert "jiangxin_pagez" in records["misspelled"].error
    assert records["broken_pages"].status == "loaded"
    assert any("pages hook exploded" in p for p in records["broken_pages"].problems)
    assert any("registry-people" in p for p in records["crashing_page"].problems)

    paths = {page.url_path for _, page in host.pages}
    assert {"jx-testkit-notes", "core-overview", "crashing-page-boom"} <= paths
    assert "registry-people" not in paths
    assert {r.name for r in host.failed()} == {"broken_import", "misspelled", "broken_pages",
                                               "crashing_page"}


def test_strict_mode_makes_a_broken_plugin_fatal(env, monkeypatch):
    with pytest.raises(PluginError, match="broken_import"):
        host_for(monkeypatch, BROKEN_PLUGINS, JIANGXIN_STRICT_PLUGINS="1")


def test_a_disabled_plugin_is_not_imported(env, monkeypatch):
    host = host_for(monkeypatch, TEST_PLUGINS, BROKEN_PLUGINS,
                    JIANGXIN_DISABLED_PLUGINS="broken_import,jx_testkit")
    assert host.records["broken_import"].status == "disabled"
    assert host.records["jx_testkit"].status == "disabled"
    assert not any(page.url_path.startswith("jx-testkit") for _, page in host.pages)


def test_a_plugin_name_used_twice_is_refused(env, tmp_path, monkeypatch):
    shutil.copytree(TEST_PLUGINS / "jx_testkit", tmp_path / "jx_testkit")
    host = host_for(monkeypatch, TEST_PLUGINS, tmp_path)
    dupes = [r for r in host.records.values() if r.name == "jx_testkit" and r.status == "failed"]
    assert dupes and "已被" in dupes[0].error
    assert host.records["jx_testkit"].status == "loaded"


def test_a_url_path_declared_twice_is_reported_not_merged(env, tmp_path, monkeypatch):
    (tmp_path / "twice.py").write_text(textwrap.dedent('''
        from core.host.hookspecs import hookimpl
        from core.host.pages import Page
        def one(): pass
        def two(): pass
        @hookimpl
        def jiangxin_pages():
            return [Page(url_path="twice-page", title="一", target=one),
                    Page(url_path="twice-page", title="二", target=two)]
    '''))
    host = host_for(monkeypatch, tmp_path)
    assert [p.title for _, p in host.pages if p.url_path == "twice-page"] == ["一"]
    assert any("twice-page" in p for p in host.records["twice"].problems)


def test_a_table_name_claimed_by_two_plugins_is_reported(env, tmp_path, monkeypatch):
    # Plugin "jx" may name tables jx_*, so jx_testkit_note passes its prefix check; its model
    # sits on a MetaData of its own, so SQLAlchemy accepts it too: only the host's check of
    # who owns which table can catch that jx_testkit already declared this table.
    model = textwrap.dedent('''
        from sqlalchemy import MetaData
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
        from core.host.hookspecs import hookimpl
        class OwnBase(DeclarativeBase):
            metadata = MetaData()
        class Thing(OwnBase):
            __tablename__ = "jx_testkit_note"
            id: Mapped[int] = mapped_column(primary_key=True)
        @hookimpl
        def jiangxin_models():
            return [Thing]
    ''')
    (tmp_path / "jx.py").write_text(model)
    host = host_for(monkeypatch, TEST_PLUGINS, tmp_path)
    assert host.records["jx"].status == "loaded"  # nothing but the host's check objects
    assert host.records["jx"].problems == ["数据表 jx_testkit_note 已由插件 jx_testkit 使用"]
    assert host.table_owners["jx_testkit_note"] == "jx_testkit"
    assert not host.records["jx_testkit"].problems


def test_installed_packages_are_found_through_entry_points(env, tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "county_pkg").mkdir(parents=True)
    (site / "county_pkg" / "__init__.py").write_text(textwrap.dedent('''
        from core.host.hookspecs import hookimpl
        from core.host.pages import Page
        def page(): pass
        @hookimpl
        def jiangxin_pages():
            return [Page(url_path="county-pkg-home", title="区县包", target=page)]
    '''))
    dist = site / "county_pkg-1.2.3.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: county-pkg\nVersion: 1.2.3\n")
    (dist / "entry_points.txt").write_text("[jiangxin.plugins]\ncounty_pkg = county_pkg\n")
    monkeypatch.syspath_prepend(str(site))
    host = host_for(monkeypatch)
    record = host.records["county_pkg"]
    assert (record.status, record.source, record.version) == ("loaded", "entrypoint", "1.2.3")
    assert "county-pkg-home" in {p.url_path for _, p in host.pages}
    sys.modules.pop("county_pkg", None)


def test_the_test_plugin_implements_every_hook(sqlite_db):
    specs = {name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction)
             if name.startswith("jiangxin_")}
    assert set(get_host().records["jx_testkit"].hooks) == specs


def test_plugins_page_and_overview_survive_broken_plugins(sqlite_db, monkeypatch):
    monkeypatch.setenv("JIANGXIN_PLUGIN_PATH", f"{TEST_PLUGINS}:{BROKEN_PLUGINS}")
    at = signed_in_app("manager")
    assert not at.exception
    assert {m.label: m.value for m in at.metric} == {"测试便签数": "4", "坏指标": "—"}
    assert "该指标暂时无法计算，已记录。" in [w.value for w in at.warning]


def test_a_plugin_cannot_redeclare_or_take_over_core_permissions(sqlite_db, tmp_path, monkeypatch):
    (tmp_path / "usurper.py").write_text(textwrap.dedent('''
        from core.host.hookspecs import hookimpl
        from core.host.pages import Page
        from core.access.permissions import Permission
        def page(): pass
        @hookimpl
        def jiangxin_permissions():
            return [Permission("core.users", "管理用户", {"staff"})]
        @hookimpl
        def jiangxin_pages():
            return [Page(url_path="usurper-home", title="抢首页", target=page, default=True),
                    Page(url_path="usurper-desk", title="抢工作台", target=page,
                         default_for=frozenset({"staff"}))]
    '''))
    monkeypatch.setenv("JIANGXIN_PLUGIN_PATH", f"{TEST_PLUGINS}:{tmp_path}")
    host = get_host()
    assert host.permissions["core.users"].roles == {"admin"}
    problems = " ".join(host.records["usurper"].problems)
    assert "core.users" in problems and "usurper-home" in problems
    assert "usurper-home" not in {p.url_path for _, p in host.pages}
    assert "usurper-desk" in problems and "usurper-desk" not in {p.url_path for _, p in host.pages}
    at = signed_in_app("staff_jd", page="core-users")
    assert [e.value for e in at.error] == ["无权访问"]
    assert signed_in_app("staff_jd").title[0].value == "工作台"  # still core's start page


def test_a_permission_check_that_raises_refuses(sqlite_db, tmp_path, monkeypatch):
    (tmp_path / "flaky_guard.py").write_text(textwrap.dedent('''
        from core.host.hookspecs import hookimpl
        @hookimpl
        def jiangxin_check_permission(user, permission):
            if permission == "jx_testkit.view":
                raise ConnectionError("directory server down")
    '''))
    monkeypatch.setenv("JIANGXIN_PLUGIN_PATH", f"{TEST_PLUGINS}:{tmp_path}")
    at = signed_in_app("staff_jd", page="jx-testkit-notes")
    assert [e.value for e in at.error] == ["无权访问"]
    assert "建德便签" not in texts(at)
    assert any("directory server down" in p for p in get_host().records["flaky_guard"].problems)


def test_plugins_are_asked_in_load_order_so_core_keeps_its_declarations(env, tmp_path, monkeypatch):
    (tmp_path / "early.py").write_text(textwrap.dedent('''
        from core.host.hookspecs import hookimpl
        from core.access.permissions import Permission
        @hookimpl
        def jiangxin_permissions():
            return [Permission("early.a", "甲", {"admin"})]
    '''))
    host = host_for(monkeypatch, tmp_path)
    order = [plugin for plugin, _ in host.call_each("jiangxin_permissions")]
    assert order == ["core", "early"]
