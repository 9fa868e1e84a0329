"""Documentation cannot drift from the code: every hook is documented with its arguments."""

from __future__ import annotations

import inspect
import re

from core.host import hookspecs
from tests.helpers import ROOT

SPECS = {name: fn for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
         if name.startswith("jiangxin_")}


def documented_hooks() -> dict[str, list[str]]:
    doc = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    return {name: [a.strip() for a in args.split(",") if a.strip()]
            for name, args in re.findall(r"^### (jiangxin_\w+)\(([^)]*)\)\s*$", doc, re.M)}


def test_every_hook_is_in_the_plugin_guide_with_the_same_arguments():
    documented = documented_hooks()
    for name, fn in SPECS.items():
        assert name in documented, f"{name} is missing from docs/plugins.md"
        assert documented[name] == list(inspect.signature(fn).parameters), name


def test_the_plugin_guide_documents_no_hook_that_does_not_exist():
    assert set(documented_hooks()) <= set(SPECS)


def test_every_hook_spec_has_a_docstring_with_an_example():
    for name, fn in SPECS.items():
        assert fn.__doc__ and "Example::" in fn.__doc__, name


def test_the_readme_gives_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
