"""The spreadsheet and roster benchmarks run (small) in every test run, so they cannot rot."""

from __future__ import annotations

import json
import sys

from tests.helpers import ROOT, finish, start_process, take_started


def start_excel_bench():
    return start_process([sys.executable, str(ROOT / "bench" / "excel.py"), "--rows", "300",
                          "--repeat", "1"])


def start_roster_bench():
    return start_process([sys.executable, str(ROOT / "bench" / "roster.py"), "--people", "1000,3000"])


# started when the run begins: the benchmarks run beside the other tests (tests/helpers.py)
START_EARLY = {"test_the_excel_benchmark_runs_and_reports_its_ratios": start_excel_bench,
               "test_the_roster_search_benchmark_runs": start_roster_bench}


def test_the_excel_benchmark_runs_and_reports_its_ratios():
    done = finish(take_started("test_the_excel_benchmark_runs_and_reports_its_ratios", start_excel_bench))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "| import (checks + SQLite write) |" in out and "| pandas read_excel calamine |" in out
    assert "import / calamine read:" in out and "export / to_excel:" in out
    assert "import peak memory:" in out


def test_the_roster_search_benchmark_runs():
    done = finish(take_started("test_the_roster_search_benchmark_runs", start_roster_bench))
    assert done.returncode == 0, done.stderr
    assert "| one county |" in done.stdout and "| pinyin initials zj |" in done.stdout
    report = json.loads(done.stdout.strip().splitlines()[-1])
    figures = {f["label"]: f for f in report["figures"]}
    assert report["sizes"] == [1000, 3000] and len(figures) == 12
    # each search kind at both sizes, with its floor, and the growth of the one to the other
    assert figures["whole ID number"]["1000"]["matches"] == figures["whole ID number"]["3000"]["matches"] == 1
    default = figures["default list (living, by name)"]
    assert 0 < default["1000"]["matches"] < default["3000"]["matches"] <= 3000
    assert all(f["3000"]["ms"] > 0 and f["3000"]["floor_ms"] > 0 and f["ratio"] > 0 for f in figures.values())
