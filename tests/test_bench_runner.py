"""``python -m bench``: the runner of every benchmark at a scale of the province table (issue #15).
The sizes are the issue's table, typed here; a tiny run of two benchmarks proves it runs them."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers import ROOT

# issue #15: S (city) and M (province) people, studios, sessions, attendance rows; L people only
TABLE = {"S": ("20000", "1000", "5000", "200000"), "M": ("200000", "10000", "50000", "2000000"),
         "L": ("1000000", None, None, None)}


def _bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bench", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_each_scale_runs_the_sizes_of_the_province_table():
    listed = _bench("--scale", "S", "--scale", "M", "--scale", "L", "--list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    for scale, (people, studios, events, rows) in TABLE.items():
        of = {line.split(":")[0].split()[1]: line for line in lines if line.startswith(f"{scale} ")}
        # the roster's growth: this scale's people against the city's (S alone at S)
        assert of["roster"].split("--people ")[1].split()[0].split(",")[-1] == people
        assert f"--people {people}" in of["people_search"]
        assert (f"--studios {studios}" in of["workshops"]) if studios else "workshops" not in of
        assert (f"--events {events} --participants {rows}" in of["events"]) if events else "events" not in of
        if studios:  # one database of every plugin's data, made first, read by the page benchmarks
            data = f"--people {people} --studios {studios} --events {events} --participants {rows}"
            names = list(of)
            assert names[0] == "generate" and data in of["generate"] and f"var/bench/{scale}.db" in of["generate"]
            for name in ("workshops", "events", "pages", "peer", "approvals"):
                assert f"--database {ROOT}/var/bench/{scale}.db" in of[name]
            assert data in of["pages"] and data in of["approvals"] and f"--people {people}" in of["peer"]
        else:
            assert "generate" not in of
    assert _bench("--only", "nope", "--list").returncode != 0


def test_a_tiny_run_runs_the_benchmarks_and_says_how_long_each_took():
    done = _bench("--scale", "T", "--only", "excel,workshops")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| T | workshops |" in done.stdout and "| T | excel |" in done.stdout
    assert '{"bench": "workshops"' in done.stdout and "import / calamine read:" in done.stdout
    # then every figure of the run in one table, beside its floor and goal, and one JSON line
    assert "| T | excel | import / calamine read |" in done.stdout
    run = json.loads(done.stdout.strip().splitlines()[-1])
    assert [r["bench"] for r in run["run"]] == ["generate", "excel", "workshops"]
    studios = [f for f in run["figures"] if f["bench"] == "workshops"]
    assert studios and all(f["ms"] > 0 and f["floor_ms"] > 0 and f["goal"] == "≤ 1.5 × floor"
                           and f["holds"] == (f["ratio"] <= 1.5) for f in studios)
