"""Core's layout (issue #10): its parts are folders with a one-line docstring each, the docs
follow them, and every module path docs/plugins.md documented before keeps importing, as the
same module, with a DeprecationWarning that names the new path."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT, finish, start_process, take_started

CORE = ROOT / "core"
DOC_TABLE_ROW = re.compile(r"^\| `(core\.[\w.]+)` \| `(core\.[\w.]+)`", re.M)


def moved_modules() -> dict[str, str]:
    """The old → new table as plugin authors read it in docs/plugins.md (not core's own copy)."""
    doc = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    section = doc[doc.index("### Moved modules"):]
    section = section[:section.index("\n### ", 1)]
    return dict(DOC_TABLE_ROW.findall(section))


def core_packages() -> list[Path]:
    return sorted(p.parent for p in CORE.glob("*/__init__.py"))


def test_core_is_folders_each_with_a_one_line_docstring_listed_in_the_architecture():
    architecture = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    layout = architecture[architecture.index("## Layout"):architecture.index("## The parts")]
    loose = sorted(p.name for p in CORE.glob("*.py")
                   if p.name not in ("__init__.py", "cli.py", "_moved.py"))
    assert loose == [], "core's modules belong in a part's folder"
    assert len(core_packages()) >= 6
    for package in core_packages():
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
        assert doc and doc.splitlines()[0].strip(), f"{package.name} has no docstring"
        assert f"  {package.name}/" in layout, f"docs/architecture.md's Layout lacks {package.name}/"
        for module in package.glob("*.py"):
            if module.name != "__init__.py":
                assert module.stem in layout, f"Layout does not name {package.name}/{module.name}"


def test_every_documented_old_path_imports_as_the_same_module_and_warns_with_the_new_one():
    moved = moved_modules()
    assert {"core.db", "core.hookspecs", "core.xlsx_import", "core.excel", "core.bulk",
            "core.spreadsheets", "core.cells", "core.plugins", "core.auth"} <= set(moved)
    # a fresh interpreter per run: in this one the old names were imported long ago
    probe = """
import importlib, json, sys, warnings
moved = json.loads(sys.argv[1])
out = {}
for old, new in moved.items():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    out[old] = {"same": module is importlib.import_module(new.split(" ")[0]),
                "spec": module.__spec__.name,
                "warned": [str(w.message) for w in caught if w.category is DeprecationWarning]}
print(json.dumps(out))
"""
    import json

    run = subprocess.run([sys.executable, "-c", probe, json.dumps(moved)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    for old, new in moved.items():
        assert found[old]["same"], f"{old} is not the module {new}"
        assert found[old]["spec"] == new, f"{old}'s __spec__ names {found[old]['spec']}"
        assert any(new in message for message in found[old]["warned"]), (old, found[old]["warned"])


def test_an_old_path_and_its_new_one_share_one_module_so_a_patch_reaches_both(monkeypatch):
    import importlib
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old_clock = importlib.import_module("core.clock")
    from core.settings import clock

    monkeypatch.setattr(old_clock, "TEST_MARK", "patched", raising=False)
    assert clock.TEST_MARK == "patched"


def _imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_no_first_party_code_uses_an_old_path():
    moved = set(moved_modules())
    offenders = []
    for folder in ("core", "dashboard", "plugins", "tests", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            if "legacy" in path.parts:
                continue
            used = _imports_of(path) & moved
            if used:
                offenders.append(f"{path.relative_to(ROOT)}: {sorted(used)}")
    assert offenders == []


def start_legacy_example():
    """The legacy county plugin's tests in a pytest process of their own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIANGXIN_")}
    env["JIANGXIN_LEGACY_EXAMPLE"] = "1"
    return start_process([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-W", "always::DeprecationWarning", str(ROOT / "tests" / "legacy")],
                         cwd=ROOT, env=env)


def test_a_county_plugin_written_against_the_old_paths_still_loads_migrates_and_draws():
    run = finish(take_started("test_a_county_plugin_written_against_the_old_paths_still_loads_migrates_and_draws",
                              start_legacy_example))
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert re.search(r"\b3 passed\b", run.stdout), run.stdout[-2000:]
    # and the author is told where each module went
    assert "core.hookspecs has moved to core.host.hookspecs" in run.stdout
    assert "core.bulk has moved to core.spreadsheet" in run.stdout


# started when the run begins: the subprocess runs beside the other tests (tests/helpers.py)
START_EARLY = {"test_a_county_plugin_written_against_the_old_paths_still_loads_migrates_and_draws":
               start_legacy_example}
