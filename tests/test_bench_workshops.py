"""The studios benchmark runs (small) in every test run, so it cannot rot: 200 studios, every
figure of 工作室一览 and 成果统计 printed beside its bare SQL, and the JSON line. No timing asserted."""

from __future__ import annotations

import json
import sys

from tests.helpers import ROOT, finish, start_process, take_started


def start_workshops_bench():
    return start_process([sys.executable, str(ROOT / "bench" / "workshops.py"), "--studios", "200",
                          "--repeat", "3"])


# started when the run begins: the benchmark runs beside the other tests (tests/helpers.py)
START_EARLY = {"test_the_studios_benchmark_runs_and_reports_each_figure": start_workshops_bench}


def test_the_studios_benchmark_runs_and_reports_each_figure():
    done = finish(take_started("test_the_studios_benchmark_runs_and_reports_each_figure", start_workshops_bench))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    # the data: 200 studios, five years of output each, as the plugin's tables hold them
    assert "200 studios" in out and "1,000 output rows" in out
    assert "| 工作室一览: whole city (admin) | 50 of 200 |" in out
    assert "| 工作室一览: one county (its staff) |" in out
    for figure in ("成果统计: output by county", "成果统计: output by year", "成果统计: ranking by patents",
                   "成果统计: honoured people"):
        assert f"| {figure}" in out, figure
    result = json.loads(out.strip().splitlines()[-1])
    assert result["studios"] == 200 and result["output_rows"] == 1000
    assert len(result["figures"]) == 18
    assert all(f["plugin_ms"] > 0 and f["bare_ms"] > 0 for f in result["figures"])
