"""The plugin host: finds plugins, registers them with pluggy, collects what they declare.

Plugins come from four places, in this order:
1. core itself (``core.host.builtin``: the core pages, permissions and tables);
2. the built-in packages under ``plugins/``;
3. installed distributions, through the entry-point group ``jiangxin.plugins``;
4. modules and packages dropped into the folders of ``JIANGXIN_PLUGIN_PATH``.

Each plugin is imported, registered and asked for each declaration on its own: one that fails is
recorded with its error (for the 插件 page and ``jiangxin plugins``) and the others carry on.
What a hook returns is checked in the same per-plugin guard: a wrong type (a permission given
as a string, a page that is not a ``Page``) is that plugin's problem, never the host's.
With ``JIANGXIN_STRICT_PLUGINS=1`` the first failure is raised instead (CI).

Implementations are called one at a time in load order (core first), then by ``tryfirst`` and
``trylast``; hook wrappers (``wrapper=True``, ``hookwrapper=True``) are refused at registration.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import logging
import pkgutil
import re
import sys
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
from sqlalchemy.orm import Session

from core import __version__
from core.access.permissions import Permission
from core.host import hookspecs
from core.host.pages import URL_PATH_RE, Page
from core.settings.config import Settings, load_settings

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "jiangxin.plugins"
PLUGIN_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
SOURCE_LABELS = {"core": "核心", "builtin": "内置", "entrypoint": "已安装包", "folder": "插件目录"}


class PluginError(Exception):
    """Raised in strict mode when a plugin fails to load or a declaration hook fails."""


@dataclass
class PluginRecord:
    """What the host knows about one plugin, loaded or not."""

    name: str
    source: str
    location: str
    version: str | None = None
    status: str = "loaded"  # loaded, failed, disabled
    error: str | None = None
    hooks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def url_prefix(self) -> str:
        return self.name.replace("_", "-") + "-"


def _short_error(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


# --- what each hook may return ----------------------------------------------------------------
# Each checker returns None when a value is acceptable, else what is wrong with it (Chinese, for
# the 插件 page). A declaration hook returns a list (or None); each item is checked on its own.


def _shown(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60] + '…' if len(text) > 60 else text}"


def _wrong_fields(obj: Any, fields: dict[str, tuple]) -> str | None:
    for name, types in fields.items():
        value = getattr(obj, name, None)
        if not isinstance(value, types):
            return f"{type(obj).__name__}.{name} 是 {_shown(value)}"
    return None


def _check_page(page: Any) -> str | None:
    if not isinstance(page, Page):
        return f"{_shown(page)} 不是 Page"
    if not (callable(page.target) or isinstance(page.target, str | Path)):
        return f"Page.target 是 {_shown(page.target)}，应为函数或脚本路径"
    if not (isinstance(page.default_for, frozenset)
            and all(isinstance(role, str) for role in page.default_for)):
        return f"Page.default_for 只能含角色名（字符串）: {_shown(page.default_for)}"
    return _wrong_fields(page, {"url_path": (str,), "title": (str,), "section": (str,),
                                "icon": (str, type(None)), "permission": (str, type(None)),
                                "order": (int,), "default": (bool,)})


def _check_permission(perm: Any) -> str | None:
    if not isinstance(perm, Permission):
        return f"{_shown(perm)} 不是 Permission"
    if not all(isinstance(role, str) for role in perm.roles):
        return f"Permission.roles 只能含角色名（字符串）: {_shown(perm.roles)}"
    return _wrong_fields(perm, {"name": (str,), "label": (str,)})


def _check_metric(metric: Any) -> str | None:
    from core.host.metrics import (
        Metric,  # core.host.metrics imports SQLAlchemy only; kept lazy all the same
    )

    if not isinstance(metric, Metric):
        return f"{_shown(metric)} 不是 Metric"
    if not callable(metric.compute):
        return f"Metric.compute 是 {_shown(metric.compute)}，应为函数"
    return _wrong_fields(metric, {"key": (str,), "title": (str,),
                                  "tables": (frozenset, set, type(None)),
                                  "permission": (str, type(None)), "link": (str, type(None)),
                                  "order": (int,)})


def _check_table(table: Any) -> str | None:
    from core.spreadsheet.table import SpreadsheetTable

    if not isinstance(table, SpreadsheetTable):
        return f"{_shown(table)} 不是 SpreadsheetTable"
    return _wrong_fields(table, {"name": (str,), "title": (str,),
                                 "permission": (str, type(None))})


def _check_model(model: Any) -> str | None:
    from sqlalchemy import Table

    if not (isinstance(model, type) and isinstance(getattr(model, "__table__", None), Table)):
        return f"{_shown(model)} 不是 SQLAlchemy 模型类（core.data.db.Base 的子类）"
    return None


def _check_person(person: Any) -> str | None:
    from core.host.people import PersonRef

    if not isinstance(person, PersonRef):
        return f"{_shown(person)} 不是 PersonRef"
    return _wrong_fields(person, {"id": (int,), "name": (str,), "county_code": (str,),
                                  "status": (str,), "honour": (str, type(None))})


def _check_todo(todo: Any) -> str | None:
    from core.host.todos import Todo

    if not isinstance(todo, Todo):
        return f"{_shown(todo)} 不是 Todo"
    return _wrong_fields(todo, {"key": (str,), "title": (str,), "count": (int,),
                                "link": (str,), "urgency": (int,)})


def _check_section(section: Any) -> str | None:
    from core.report.sections import ReportSection

    if not isinstance(section, ReportSection):
        return f"{_shown(section)} 不是 ReportSection"
    return _wrong_fields(section, {"key": (str,), "title": (str,), "text": (str,),
                                   "tables": (list, tuple), "charts": (list, tuple),
                                   "order": (int,)})


def _check_people_page(page: Any) -> str | None:
    from core.host.people import PeoplePage

    if page is None:
        return None
    if not isinstance(page, PeoplePage) or not isinstance(page.total, int):
        return f"{_shown(page)} 不是 PeoplePage"
    return next(filter(None, map(_check_person, page.people)), None)


def _check_migrations(path: Any) -> str | None:
    if path is None or isinstance(path, str | Path):
        return None
    return f"{_shown(path)} 不是迁移目录的路径（str 或 Path）"


def _check_verdict(verdict: Any) -> str | None:
    return None if verdict is None or isinstance(verdict, bool) else f"{_shown(verdict)} 不是 True、False 或 None"


LIST_RESULTS = {
    "jiangxin_pages": (_check_page, "Page"),
    "jiangxin_permissions": (_check_permission, "Permission"),
    "jiangxin_metrics": (_check_metric, "Metric"),
    "jiangxin_spreadsheet_tables": (_check_table, "SpreadsheetTable"),
    "jiangxin_models": (_check_model, "模型类"),
    "jiangxin_people_search": (_check_person, "PersonRef"),
    "jiangxin_people_get": (_check_person, "PersonRef"),
    "jiangxin_todos": (_check_todo, "Todo"),
    "jiangxin_report_sections": (_check_section, "ReportSection"),
}
SINGLE_RESULTS = {
    "jiangxin_people_list": _check_people_page,
    "jiangxin_migrations": _check_migrations,
    "jiangxin_check_permission": _check_verdict,
}


def result_problems(hook_name: str, result: Any) -> tuple[Any, list[str]]:
    """``result`` with what is of the wrong type left out, and what was wrong (for the report).

    A single value of the wrong type becomes None (a permission verdict: no verdict, which
    ``allowed`` takes as a failure and refuses); a list keeps its good items.
    """
    if hook_name in SINGLE_RESULTS:
        problem = SINGLE_RESULTS[hook_name](result)
        return (result, []) if problem is None else (None, [f"{hook_name} 返回的 {problem}；已忽略"])
    if hook_name not in LIST_RESULTS or result is None:
        return result, []
    check, kind = LIST_RESULTS[hook_name]
    if not isinstance(result, list | tuple):
        return [], [f"{hook_name} 返回了 {_shown(result)}，应为 {kind} 的列表；已忽略"]
    kept, problems = [], []
    for item in result:
        problem = check(item)
        if problem is None:
            kept.append(item)
        else:
            problems.append(f"{hook_name} 返回的 {problem}；已忽略")
    return kept, problems


class PluginHost:
    """Loads every plugin once and exposes their declarations, checked for conflicts."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}
        self._load_all()
        self.permissions = self._collect_permissions()
        self.pages = self._collect_pages()
        self.metrics = self._collect_unique("jiangxin_metrics", "key", "指标", namespaced=True)
        self.spreadsheet_tables = self._collect_unique("jiangxin_spreadsheet_tables", "name", "表格")
        self.table_owners = self._collect_models()
        self.migration_dirs = self._collect_migrations()
        if self.settings.strict_plugins and self.failed():
            raise PluginError("; ".join(f"{r.name}: {r.error or r.problems}" for r in self.failed()))

    # --- loading --------------------------------------------------------------------------

    def _load_all(self) -> None:
        self._register("core", "core", "core.host.builtin", lambda: importlib.import_module("core.host.builtin"),
                       version=__version__)
        self._load_builtins()
        self._load_entry_points()
        for folder in self.settings.plugin_path:
            self._load_folder(folder)

    def _load_builtins(self) -> None:
        try:
            package = importlib.import_module("plugins")
        except ImportError:
            return
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            if info.ispkg:
                modname = f"plugins.{info.name}"
                self._register(info.name, "builtin", modname,
                               lambda m=modname: importlib.import_module(m), version=__version__)

    def _load_entry_points(self) -> None:
        for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            version = ep.dist.version if ep.dist else None
            self._register(ep.name, "entrypoint", ep.value, ep.load, version=version)

    def _load_folder(self, folder: Path) -> None:
        if not folder.is_dir():
            self.records[f"<{folder}>"] = PluginRecord(
                f"<{folder}>", "folder", str(folder), status="failed",
                error=f"插件目录不存在: {folder}")
            return
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith(("_", ".")):
                continue
            if entry.is_dir() and (entry / "__init__.py").exists():
                self._register(entry.name, "folder", str(entry),
                               lambda e=entry: _import_dropin(e.name, e / "__init__.py", package_dir=e))
            elif entry.suffix == ".py":
                self._register(entry.stem, "folder", str(entry),
                               lambda e=entry: _import_dropin(e.stem, e))

    def _register(self, name: str, source: str, location: str, load, version: str | None = None) -> None:
        record = PluginRecord(name, source, location, version)
        if name in self.records:
            previous = self.records[name]
            record.status, record.error = "failed", (
                f"插件名 {name} 已被 {previous.location} 使用，此插件未加载")
            self.records[f"{name}@{location}"] = record
            return
        self.records[name] = record
        if name in self.settings.disabled_plugins:
            record.status = "disabled"
            return
        try:
            if not PLUGIN_NAME_RE.match(name):
                raise PluginError(f"插件名 {name!r} 只能含小写字母、数字和下划线，并以字母开头")
            module = load()
            record.version = getattr(module, "__version__", None) or record.version
            self.pm.register(module, name=name)
            try:
                self.pm.check_pending()
                _refuse_wrappers(self.pm, name)
            except (pluggy.PluginValidationError, PluginError):
                self.pm.unregister(name=name)
                raise
            record.hooks = sorted(impl_name for impl_name in dir(module)
                                  if impl_name.startswith("jiangxin_")
                                  and self.pm.parse_hookimpl_opts(module, impl_name) is not None)
        except Exception as exc:  # any error in a plugin's import is that plugin's failure
            record.status, record.error = "failed", _short_error(exc)
            log.error("plugin %s failed to load:\n%s", name, traceback.format_exc())
            if self.settings.strict_plugins:
                raise PluginError(f"plugin {name} failed to load: {record.error}") from exc

    # --- calling hooks one plugin at a time -----------------------------------------------

    def ordered_impls(self, hook_name: str) -> list:
        """``hook_name``'s implementations in calling order: core's, then the plugins'
        ``tryfirst`` ones, the plain ones and the ``trylast`` ones, each group in load order.

        Core stays first whatever a plugin asks: where the first declaration of a name wins,
        no plugin can take one of core's by asking to go first.
        """
        order = {name: i for i, name in enumerate(self.records)}
        impls = getattr(self.pm.hook, hook_name).get_hookimpls()
        return sorted(impls, key=lambda impl: (
            impl.plugin_name != "core", 0 if impl.tryfirst else 2 if impl.trylast else 1,
            order.get(impl.plugin_name, len(order))))

    def call_each(self, hook_name: str, *, savepoints: Session | None = None,
                  **kwargs: Any) -> list[tuple[str, Any]]:
        """Call ``hook_name`` on each plugin in order (see :meth:`ordered_impls`); return
        ``(plugin, result)`` pairs.

        A plugin whose implementation raises is left out and its error is recorded; so is what
        it returned of the wrong type (see :func:`result_problems`: the good items of a list are
        kept). With ``savepoints``, each call runs in a SAVEPOINT of that session, so a failing
        plugin's writes are undone and the others' are kept. In strict mode both are raised.
        """
        results = []
        for impl in self.ordered_impls(hook_name):
            args = {a: kwargs[a] for a in impl.argnames}
            try:
                if savepoints is None:
                    result = impl.function(**args)
                else:
                    with savepoints.begin_nested():
                        result = impl.function(**args)
            except Exception as exc:
                self.report(impl.plugin_name, f"{hook_name}: {_short_error(exc)}", exc)
                if self.settings.strict_plugins:
                    raise PluginError(f"plugin {impl.plugin_name}: {hook_name} failed") from exc
                continue
            result, problems = result_problems(hook_name, result)
            for problem in problems:
                self.report(impl.plugin_name, problem)
            if problems and self.settings.strict_plugins:
                raise PluginError(f"plugin {impl.plugin_name}: {problems[0]}")
            if problems and hook_name in SINGLE_RESULTS:
                continue  # no usable result: as if it had raised
            results.append((impl.plugin_name, result))
        return results

    def report(self, plugin: str, problem: str, exc: BaseException | None = None) -> None:
        """Record a problem against a plugin (shown on the 插件 page)."""
        record = self.records.get(plugin)
        if record is not None and problem not in record.problems:
            record.problems.append(problem)
        log.error("plugin %s: %s", plugin, problem, exc_info=exc)

    def plugin_of(self, module_name: str) -> str | None:
        """The plugin a module belongs to (for error reports from page code)."""
        for name, plugin in self.pm.list_name_plugin():
            if module_name == plugin.__name__ or module_name.startswith(plugin.__name__ + "."):
                return name
        return None

    # --- declarations ---------------------------------------------------------------------

    def _collect_permissions(self) -> dict:
        found: dict = {}
        for plugin, perms in self.call_each("jiangxin_permissions"):
            for perm in perms or ():
                if not perm.name.startswith(f"{plugin}."):
                    self.report(plugin, f"权限 {perm.name} 须以 {plugin}. 开头；已忽略")
                elif perm.name in found:
                    self.report(plugin, f"权限 {perm.name} 已由其他插件声明，已忽略")
                else:
                    found[perm.name] = perm
        return found

    def _collect_pages(self) -> list[tuple[str, Page]]:
        pages: list[tuple[str, Page]] = []
        taken: dict[str, str] = {}
        for plugin, declared in self.call_each("jiangxin_pages"):
            prefix = self.records[plugin].url_prefix
            for page in declared or ():
                if not URL_PATH_RE.match(page.url_path) or not page.url_path.startswith(prefix):
                    self.report(plugin, f"页面地址 {page.url_path!r} 须以 {prefix!r} 开头，"
                                        "只含小写字母、数字和短横线；该页面未加载")
                elif page.url_path in taken:
                    self.report(plugin, f"页面地址 {page.url_path} 已被插件 {taken[page.url_path]} "
                                        "使用；该页面未加载")
                elif page.permission and page.permission not in self.permissions:
                    self.report(plugin, f"页面 {page.url_path} 需要的权限 {page.permission} "
                                        "未声明；该页面未加载")
                elif (page.default or page.default_for) and plugin != "core":
                    self.report(plugin, f"页面 {page.url_path} 不能设为首页（default、default_for）；"
                                        "该页面未加载")
                else:
                    taken[page.url_path] = plugin
                    pages.append((plugin, page))
        return sorted(pages, key=lambda pp: (pp[1].order, pp[1].title))

    def _collect_unique(self, hook_name: str, attr: str, label: str,
                        namespaced: bool = False) -> dict:
        found: dict = {}
        owner: dict[str, str] = {}
        for plugin, items in self.call_each(hook_name):
            prefix = self.records[plugin].url_prefix
            for item in items or ():
                key = getattr(item, attr)
                permission = getattr(item, "permission", None)
                if namespaced and not key.startswith(prefix):
                    self.report(plugin, f"{label} {key} 须以 {prefix} 开头；已忽略")
                elif permission and permission not in self.permissions:
                    self.report(plugin, f"{label} {key} 需要的权限 {permission} 未声明；已忽略")
                elif key in found:
                    self.report(plugin, f"{label} {key} 已由插件 {owner[key]} 声明，已忽略")
                else:
                    found[key], owner[key] = item, plugin
        return dict(sorted(found.items(), key=lambda kv: (getattr(kv[1], "order", 0), kv[0])))

    def _collect_models(self) -> dict[str, str]:
        owners: dict[str, str] = {}
        for plugin, models in self.call_each("jiangxin_models"):
            for model in models or ():
                table = model.__table__.name
                if not table.startswith(f"{plugin}_"):
                    self.report(plugin, f"数据表 {table} 须以 {plugin}_ 开头")
                if table in owners and owners[table] != plugin:
                    self.report(plugin, f"数据表 {table} 已由插件 {owners[table]} 使用")
                else:
                    owners[table] = plugin
        return owners

    def _collect_migrations(self) -> dict[str, Path]:
        dirs: dict[str, Path] = {}
        for plugin, path in self.call_each("jiangxin_migrations"):
            if path is None:
                continue
            path = Path(path)
            if path.is_dir():
                dirs[plugin] = path
            else:
                self.report(plugin, f"迁移目录不存在: {path}")
        return dirs

    # --- questions pages ask ----------------------------------------------------------------

    def allowed(self, user, permission: str | None) -> bool:
        """Whether ``user`` holds ``permission``: the decision is
        :func:`core.access.permissions.allowed`'s (kept here for the pages and plugins that ask)."""
        from core.access.permissions import allowed

        return allowed(self, user, permission)

    def failed(self) -> list[PluginRecord]:
        return [r for r in self.records.values() if r.status == "failed" or r.problems]


def _refuse_wrappers(pm: pluggy.PluginManager, name: str) -> None:
    """Hook wrappers would wrap the host's own per-plugin calls, which never go through
    pluggy's chain: refuse them with the reason rather than let them crash or be ignored."""
    plugin = pm.get_plugin(name)
    wrappers = sorted(caller.name for caller in pm.get_hookcallers(plugin) or ()
                      for impl in caller.get_hookimpls()
                      if impl.plugin_name == name and (impl.wrapper or impl.hookwrapper))
    if wrappers:
        raise PluginError(
            f"hook wrappers are not supported: {', '.join(wrappers)} (wrapper=True or "
            "hookwrapper=True); the host calls each plugin's implementation on its own, so "
            "return your declarations plainly (use tryfirst/trylast to choose the order)")


def _import_dropin(name: str, path: Path, package_dir: Path | None = None) -> ModuleType:
    """Import a drop-in module under a name unique to its path.

    Counties' drop-ins share names (``plugin.py``, ``pages.py``); a qualified name per path keeps
    them apart, and importing the same path twice in one process returns the same module.
    """
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    qualified = f"jiangxin_dropin_{name}_{digest}"
    if qualified in sys.modules:
        return sys.modules[qualified]
    spec = importlib.util.spec_from_file_location(
        qualified, path, submodule_search_locations=[str(package_dir)] if package_dir else None)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[qualified]
        raise
    return module


_hosts: dict[tuple, PluginHost] = {}
_hosts_lock = threading.Lock()


def get_host(settings: Settings | None = None) -> PluginHost:
    """The process-wide host for these settings (built once: imports and model classes are
    process-wide too, and Streamlit reruns must not re-import plugins)."""
    settings = settings or load_settings()
    key = (settings.plugin_path, settings.disabled_plugins, settings.strict_plugins)
    with _hosts_lock:
        host = _hosts.get(key)
        if host is None:
            host = _hosts[key] = PluginHost(settings)
        return host
