"""Old module paths that still import, for plugins written before core's parts became folders.

``import core.db`` gives the very module ``core.data.db`` (so monkeypatching either name patches
both) and warns once with a DeprecationWarning naming the new path. docs/plugins.md lists them
under "Moved modules"; they go away in a release that says so in advance.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings

# old path -> new path, as published in docs/plugins.md
MOVED = {
    "core.config": "core.settings.config",
    "core.counties": "core.settings.counties",
    "core.clock": "core.settings.clock",
    "core.db": "core.data.db",
    "core.models": "core.data.models",
    "core.migrate": "core.data.migrate",
    "core.audit": "core.data.audit",
    "core.auth": "core.access.auth",
    "core.permissions": "core.access.permissions",
    "core.grants": "core.access.grants",
    "core.plugins": "core.host.loader",
    "core.hookspecs": "core.host.hookspecs",
    "core.builtin": "core.host.builtin",
    "core.pages": "core.host.pages",
    "core.metrics": "core.host.metrics",
    "core.text": "core.ui.text",
    "core.downloads": "core.ui.downloads",
    "core.notify": "core.ui.notify",
    "core.cells": "core.spreadsheet.cells",
    "core.spreadsheets": "core.spreadsheet.table",
    "core.xlsx_limits": "core.spreadsheet.limits",
    "core.spreadsheet_ui": "core.spreadsheet.widgets",
    # these three were split into several modules; the package re-exports what they offered
    "core.xlsx_import": "core.spreadsheet",
    "core.excel": "core.spreadsheet",
    "core.bulk": "core.spreadsheet",
}


class MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old path and loads it as the module now at the new one."""

    def __init__(self) -> None:
        self._own_specs: dict[str, importlib.machinery.ModuleSpec] = {}

    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        new = MOVED[spec.name]
        warnings.warn(f"{spec.name} has moved to {new}; import it from there "
                      "(docs/plugins.md, Moved modules)", DeprecationWarning, stacklevel=2)
        module = importlib.import_module(new)
        self._own_specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module) -> None:
        # nothing to run, but the import system has just set __spec__ to the old name's: give the
        # module back its own, so reloading and Streamlit's file watcher see the real file
        module.__spec__ = self._own_specs.pop(module.__spec__.name)


def install() -> None:
    if not any(isinstance(f, MovedModuleFinder) for f in sys.meta_path):
        sys.meta_path.append(MovedModuleFinder())
