"""The spreadsheet benchmark runs (small) in every test run, so it cannot rot."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT


def test_the_excel_benchmark_runs_and_reports_its_ratios():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "excel.py"), "--rows", "300",
                           "--repeat", "1"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "| import (checks + SQLite write) |" in out and "| pandas read_excel calamine |" in out
    assert "import / calamine read:" in out and "export / to_excel:" in out
    assert "import peak memory:" in out


def test_the_roster_search_benchmark_runs():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "roster.py"), "--people", "2000"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "| one county |" in done.stdout and "| pinyin initials zj |" in done.stdout
