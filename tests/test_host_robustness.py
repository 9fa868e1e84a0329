"""A host no plugin can topple (issue #10): wrong return types, hook wrappers and ordering,
a disabled plugin that owns tables, and strict mode as AppTest sees it."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import text

from core.cli import main
from core.data.db import get_engine
from core.data.migrate import check_schema, pending
from core.host import loader as plugins
from core.host.loader import PluginError, PluginHost, get_host
from core.settings.config import load_settings
from tests.helpers import BROKEN_PLUGINS, ROOT, TEST_PLUGINS, signed_in_app, texts

FIXTURES = BROKEN_PLUGINS / "robustness"


def plugin_folder(tmp_path, *names: str, folder_name: str = "dropins"):
    """A plugin folder holding only the named drop-ins of tests/broken_plugins/robustness."""
    folder = tmp_path / folder_name
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(FIXTURES / f"{name}.py", folder / f"{name}.py")
    return folder


def use_plugins(monkeypatch, *folders, **env) -> None:
    monkeypatch.setenv("JIANGXIN_PLUGIN_PATH", ":".join(str(f) for f in folders))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    plugins._hosts.clear()


# --- what a hook returns --------------------------------------------------------------------


def test_wrong_return_types_are_reported_against_their_plugin_and_the_rest_loads(
        env, tmp_path, monkeypatch):
    use_plugins(monkeypatch, TEST_PLUGINS, plugin_folder(tmp_path, "wrong_types"))
    host = PluginHost(load_settings())

    record = host.records["wrong_types"]
    assert record.status == "loaded"
    problems = "\n".join(record.problems)
    assert "jiangxin_permissions 返回的 str 'wrong_types.view' 不是 Permission" in problems
    assert "jiangxin_pages 返回的 dict" in problems and "不是 Page" in problems
    assert "jiangxin_metrics 返回了 str 'wrong-types-count'，应为 Metric 的列表" in problems
    assert record in host.failed()
    # its good declarations are kept, and every other plugin is untouched
    assert "wrong_types.ok" in host.permissions and "wrong_types.view" not in host.permissions
    paths = {page.url_path for _, page in host.pages}
    assert {"wrong-types-board", "jx-testkit-notes", "core-overview"} <= paths
    assert "wrong-types-dict" not in paths
    assert "jx-testkit-notes" in host.metrics
    assert not host.records["jx_testkit"].problems and not host.records["core"].problems


def test_a_verdict_of_the_wrong_type_refuses_and_is_reported(sqlite_db, tmp_path, monkeypatch):
    use_plugins(monkeypatch, TEST_PLUGINS, plugin_folder(tmp_path, "wrong_types"))
    host = get_host()
    admin = type("U", (), {"role": "admin", "county_code": None, "username": "admin"})()
    assert not host.allowed(admin, "wrong_types.ok")  # "yes" is no verdict: fail closed
    assert host.allowed(admin, "jx_testkit.view")  # other permissions are not affected
    assert any("jiangxin_check_permission 返回的 str 'yes'" in p
               for p in host.records["wrong_types"].problems)


def test_jiangxin_plugins_lists_a_wrong_type_and_exits_1(env, tmp_path, monkeypatch, capsys):
    use_plugins(monkeypatch, TEST_PLUGINS, plugin_folder(tmp_path, "wrong_types"))
    assert main(["plugins"]) == 1
    out = capsys.readouterr().out
    assert "wrong_types" in out and "problem: jiangxin_permissions 返回的 str" in out
    assert "jx_testkit" in out


def test_the_dashboard_starts_beside_a_plugin_returning_wrong_types(sqlite_db, tmp_path,
                                                                     monkeypatch):
    use_plugins(monkeypatch, TEST_PLUGINS, plugin_folder(tmp_path, "wrong_types"))
    at = signed_in_app("admin")
    assert not at.exception
    assert [t.value for t in at.title] == ["总览"]
    at = signed_in_app("admin", page="jx-testkit-notes")
    assert not at.exception and "建德便签一" in texts(at)


def test_a_wrong_type_is_an_error_in_strict_mode(env, tmp_path, monkeypatch):
    use_plugins(monkeypatch, TEST_PLUGINS, plugin_folder(tmp_path, "wrong_types"),
                JIANGXIN_STRICT_PLUGINS="1")
    with pytest.raises(PluginError, match="wrong_types.*不是 Permission"):
        PluginHost(load_settings())


# --- pluggy's hookimpl options ----------------------------------------------------------------


def test_hook_wrappers_are_refused_at_registration_with_the_reason(env, tmp_path, monkeypatch):
    use_plugins(monkeypatch, TEST_PLUGINS, plugin_folder(tmp_path, "wrapped"))
    host = PluginHost(load_settings())
    record = host.records["wrapped"]
    assert record.status == "failed"
    assert "hook wrappers are not supported: jiangxin_pages, jiangxin_permissions" in record.error
    assert host.pm.get_plugin("wrapped") is None  # unregistered: never called
    assert "jx-testkit-notes" in {page.url_path for _, page in host.pages}


def test_tryfirst_and_trylast_choose_the_calling_order_after_core(env, tmp_path, monkeypatch):
    early = plugin_folder(tmp_path, "last_word", folder_name="early")
    late = plugin_folder(tmp_path, "first_in_line", folder_name="late")
    use_plugins(monkeypatch, early, TEST_PLUGINS, late)
    host = PluginHost(load_settings())
    assert [name for name in host.records if name not in ("registry", "workshops", "events")] == [
        "core", "last_word", "jx_testkit", "first_in_line"]  # load order
    order = [plugin for plugin, _ in host.call_each("jiangxin_permissions")]
    assert order == ["core", "first_in_line", "jx_testkit", "last_word"]
    assert {"first_in_line.view", "last_word.view"} <= set(host.permissions)


# --- a disabled plugin that owns tables -----------------------------------------------------


def _roster_state(url: str):
    with get_engine(url).connect() as conn:
        versions = sorted(r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version")))
        people = conn.execute(text("SELECT count(*) FROM registry_person")).scalar_one()
        honours = conn.execute(text("SELECT count(*) FROM registry_honour")).scalar_one()
    return versions, people, honours


def _roster_head() -> str:
    """The roster's newest revision, read from its migration files (not from Alembic)."""
    files = sorted((ROOT / "plugins" / "registry" / "migrations").glob("registry_*.py"))
    return "_".join(files[-1].stem.split("_")[:2])


def test_the_app_starts_with_a_table_owning_plugin_disabled(roster_db, monkeypatch, capsys):
    before = _roster_state(roster_db)
    head = _roster_head()
    assert head in before[0] and before[1] > 0

    use_plugins(monkeypatch, JIANGXIN_DISABLED_PLUGINS="registry")
    host = get_host()
    assert host.records["registry"].status == "disabled"
    assert pending(get_engine(), host) == []
    check_schema(get_engine(), host)
    assert main(["init-db"]) == 0
    assert f"kept: {head}" in capsys.readouterr().out
    at = signed_in_app("manager")
    assert not at.exception
    assert [t.value for t in at.title] == ["总览"]
    assert _roster_state(roster_db) == before  # its tables and its revision untouched

    monkeypatch.delenv("JIANGXIN_DISABLED_PLUGINS")  # enabled again: its data is all there
    plugins._hosts.clear()
    check_schema(get_engine(), get_host())
    assert main(["init-db"]) == 0
    assert _roster_state(roster_db) == before
    at = signed_in_app("admin", page="registry-people")
    assert not at.exception and not at.error


# --- strict mode, as AppTest sees it -----------------------------------------------------------


def test_a_page_error_is_friendly_without_strict_mode(sqlite_db, tmp_path, monkeypatch):
    use_plugins(monkeypatch, TEST_PLUGINS, plugin_folder(tmp_path, "page_bug"))
    at = signed_in_app("manager", page="page-bug-boom")
    assert not at.exception
    assert [e.value for e in at.error] == ["页面出错，已记录。请稍后再试或联系管理员。"]
    assert any("page bug for strict mode" in p for p in get_host().records["page_bug"].problems)


def test_a_page_error_is_raised_in_strict_mode_after_its_report(sqlite_db, tmp_path, monkeypatch):
    use_plugins(monkeypatch, TEST_PLUGINS, plugin_folder(tmp_path, "page_bug"),
                JIANGXIN_STRICT_PLUGINS="1")
    at = signed_in_app("manager", page="page-bug-boom")
    assert at.exception  # (its message is redacted by .streamlit/config.toml)
    assert not at.error
    assert any("page bug for strict mode" in p for p in get_host().records["page_bug"].problems)


def test_a_metric_error_is_raised_in_strict_mode_and_a_warning_without(sqlite_db, tmp_path,
                                                                        monkeypatch):
    folder = plugin_folder(tmp_path, "metric_bug")
    use_plugins(monkeypatch, TEST_PLUGINS, folder)
    at = signed_in_app("manager")
    assert not at.exception
    assert "该指标暂时无法计算，已记录。" in [w.value for w in at.warning]

    use_plugins(monkeypatch, TEST_PLUGINS, folder, JIANGXIN_STRICT_PLUGINS="1")
    at = signed_in_app("manager")
    assert at.exception  # (its message is redacted by .streamlit/config.toml)
    assert any("metric-bug-tile" in p for p in get_host().records["metric_bug"].problems)


def test_a_disabled_plugin_depending_on_cores_head_does_not_hide_it(env, monkeypatch, capsys):
    # Alembic keeps only a revision that depends on another head; init-db records each loaded
    # head in a row of its own, so core's stays known once the plugin is disabled.
    folder = env / "dropins"
    shutil.copytree(FIXTURES / "dependent", folder / "dependent")
    url = f"sqlite:///{env / 'dep.db'}"
    use_plugins(monkeypatch, folder, JIANGXIN_DATABASE_URL=url)
    assert main(["init-db"]) == 0
    with get_engine(url).connect() as conn:
        versions = {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
    assert versions == {"core_0004", "dependent_0001"}

    use_plugins(monkeypatch, folder, JIANGXIN_DISABLED_PLUGINS="registry,workshops,events,dependent")
    check_schema(get_engine(url), get_host())
    assert main(["init-db"]) == 0
    use_plugins(monkeypatch, folder, JIANGXIN_DISABLED_PLUGINS="registry,workshops,events")
    assert main(["init-db"]) == 0 and main(["health"]) == 0


def test_jiangxin_plugins_in_strict_mode_stops_with_the_error_not_a_traceback(env, tmp_path,
                                                                              monkeypatch, capsys):
    use_plugins(monkeypatch, TEST_PLUGINS, plugin_folder(tmp_path, "wrapped"),
                JIANGXIN_STRICT_PLUGINS="1")
    assert main(["plugins"]) == 1
    assert "hook wrappers are not supported" in capsys.readouterr().err
