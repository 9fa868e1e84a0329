"""The worked example of docs/plugins.md cannot go stale: each of its files is a code block of the
guide, byte for byte the file under tests/doc_examples/, and that plugin is loaded through the
real plugin host (JIANGXIN_PLUGIN_PATH), migrated and drawn under AppTest by the guide's own test
file, in a pytest process of its own (its table would otherwise join core's MetaData here)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.helpers import ROOT, finish, start_process, take_started

EXAMPLES = ROOT / "tests" / "doc_examples"
PLUGIN = EXAMPLES / "plugins" / "volunteer"
# a block the guide introduces with a line of its own: `volunteer/models.py`:
LABELLED_BLOCK = re.compile(r"^`([\w/]+\.py)`:\n\n```python\n(.*?)^```$", re.M | re.S)


def guide_files() -> dict[str, str]:
    doc = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    return {name: code for name, code in LABELLED_BLOCK.findall(doc)}


def example_files() -> dict[str, str]:
    files = {f"volunteer/{p.relative_to(PLUGIN).as_posix()}": p.read_text(encoding="utf-8")
             for p in sorted(PLUGIN.rglob("*.py"))}
    files["tests/test_volunteer.py"] = (EXAMPLES / "test_volunteer.py").read_text(encoding="utf-8")
    return files


def test_every_file_of_the_worked_example_is_in_the_guide_byte_for_byte():
    shown, tested = guide_files(), example_files()
    assert sorted(shown) == sorted(tested)
    for name, code in tested.items():
        assert shown[name] == code, f"docs/plugins.md's {name} differs from tests/doc_examples"


def test_the_guide_lists_every_file_of_the_worked_example():
    doc = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    tree = doc[doc.index("```\nvolunteer/\n"):]
    tree = tree[:tree.index("\n```\n")]
    for name in example_files():
        if name.startswith("volunteer/"):
            assert f" {name.rsplit('/', 1)[-1]}" in tree, name


def start_worked_example() -> subprocess.Popen:
    """The guide's own test file in a pytest process of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIANGXIN_")}
    env["JIANGXIN_DOC_EXAMPLE"] = "1"
    return start_process([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          str(EXAMPLES)], cwd=ROOT, env=env)


def test_the_worked_example_loads_migrates_and_its_page_and_tile_work():
    run = finish(take_started("test_the_worked_example_loads_migrates_and_its_page_and_tile_work",
                              start_worked_example))
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert re.search(r"\b3 passed\b", run.stdout), run.stdout[-2000:]


# started when the run begins: the subprocess runs beside the other tests (tests/helpers.py)
START_EARLY = {"test_the_worked_example_loads_migrates_and_its_page_and_tile_work": start_worked_example}


def test_the_guide_gives_every_parse_function_of_core_cells_with_its_signature():
    import ast
    import inspect

    from core.spreadsheet import cells

    doc = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    section = doc[doc.index("### `core.spreadsheet.cells`"):]
    block = section[section.index("```python\n"):section.index("\n```\n")]
    documented = {f.name: [a.arg for a in (*f.args.args, *f.args.kwonlyargs)]
                  for f in ast.parse(block.removeprefix("```python\n")).body}
    public = [n for n, f in inspect.getmembers(cells, inspect.isfunction)
              if n.startswith("parse_") and f.__module__ == cells.__name__]
    assert set(public) <= set(documented)
    for name, params in documented.items():
        assert params == list(inspect.signature(getattr(cells, name)).parameters), name
    assert "CellError" in section[:section.index("```python\n")]
    assert issubclass(cells.CellError, ValueError)
