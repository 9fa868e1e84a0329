"""The events benchmark runs (small) in every test run, so it cannot rot: 600 events and 24,000
participants, every figure of 日程 and 参与统计 printed beside the same SQL run bare, and the JSON
line. No timing asserted."""

from __future__ import annotations

import json
import sys

from tests.helpers import ROOT, finish, start_process, take_started


def start_events_bench():
    return start_process([sys.executable, str(ROOT / "bench" / "events.py"), "--events", "600",
                          "--participants", "24000", "--repeat", "3"])


# started when the run begins: the benchmark runs beside the other tests (tests/helpers.py)
START_EARLY = {"test_the_events_benchmark_runs_and_reports_each_figure": start_events_bench}


def test_the_events_benchmark_runs_and_reports_each_figure():
    done = finish(take_started("test_the_events_benchmark_runs_and_reports_each_figure", start_events_bench))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "600 events" in out and "24,000 participants" in out
    # the whole city's list counts every event; each figure ran its statements bare
    assert "| 日程: list, first page, whole city (admin) | 50 of 600 | 2 |" in out
    for figure in ("日程: list, first page, one county + city (its staff)", "日程: month",
                   "参与统计: people, first page", "参与统计: per county"):
        assert f"| {figure}" in out, figure
    result = json.loads(out.strip().splitlines()[-1])
    assert result["events"] == 600 and result["participants"] == 24000
    assert len(result["figures"]) == 10
    assert all(f["statements"] >= 1 and f["plugin_ms"] > 0 and f["bare_ms"] > 0 for f in result["figures"])
