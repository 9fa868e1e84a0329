"""Every benchmark at one scale of the province table (issue #15), one after another:

    python -m bench                      # S (a city) then M (a province): what `make bench` runs
    python -m bench --scale L            # the growth curve: the roster's searches at 1,000,000 people
    python -m bench --scale M --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
    python -m bench --scale S --only roster,events --list   # the commands, not run

| scale | people | studios | sessions and events | attendance rows |
| --- | ---: | ---: | ---: | ---: |
| S (city) | 20,000 | 1,000 | 5,000 | 200,000 |
| M (province) | 200,000 | 10,000 | 50,000 | 2,000,000 |
| L (growth curve) | 1,000,000 | | | |

Each benchmark is its own script (bench/<name>.py, run alone as before) that prints its table and
a JSON line; this runner chooses their sizes, makes each scale's database once with
bench/generate.py for those that read every plugin's data (var/bench/<scale>.db), and says how
long each took. ``T`` is a tiny scale for the smoke test in `make test`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# the province table: people, studios, sessions and events, attendance rows (T: the smoke test's)
DATA = {"T": (300, 20, 30, 300), "S": (20_000, 1_000, 5_000, 200_000),
        "M": (200_000, 10_000, 50_000, 2_000_000)}
SCALES = {  # benchmark -> its size arguments, per scale (absent: not run at that scale)
    "T": {"roster": ["--people", "1000,3000"], "people_search": ["--people", "2000"],
          "workshops": ["--studios", "100", "--repeat", "1"],
          "events": ["--events", "300", "--participants", "12000", "--repeat", "1"],
          "excel": ["--rows", "300", "--repeat", "1"],
          "pages": ["--repeat", "2"], "peer": ["--repeat", "3"],
          "first_visit": ["--rounds", "1", "--pause", "0.5"],
          "approvals": ["--requests", "40", "--rounds", "1"]},
    "S": {"roster": ["--people", "20000"], "people_search": ["--people", "20000"],
          "workshops": ["--studios", "1000"], "events": ["--events", "5000", "--participants", "200000"],
          "excel": ["--rows", "100000"],
          "pages": [], "peer": [], "first_visit": ["--rounds", "5"], "approvals": ["--requests", "1000"]},
    "M": {"roster": ["--people", "20000,200000"], "people_search": ["--people", "200000"],
          "workshops": ["--studios", "10000"], "events": ["--events", "50000", "--participants", "2000000"],
          "pages": [], "peer": ["--repeat", "7"], "approvals": ["--requests", "2000"]},
    # the growth curve: every roster search at 1,000,000 people against 20,000
    "L": {"roster": ["--people", "20000,1000000"], "people_search": ["--people", "1000000"]},
}
# these run on the scale's one generated database (bench/generate.py, every plugin's data), made
# once per scale and run in this order: the studios, the events, pages and peer only read it,
# first_visit signs in, approvals decides in a copy
ON_GENERATED = ("workshops", "events", "pages", "peer", "first_visit", "approvals")
TAKES_POSTGRES = {"people_search", "workshops", "events", "pages", "approvals"}  # with --postgres


def data_arguments(scale: str) -> list[str]:
    people, studios, events, rows = DATA[scale]
    return ["--people", str(people), "--studios", str(studios), "--events", str(events),
            "--participants", str(rows)]


def commands(scale: str, postgres: str | None = None, only: set[str] | None = None,
             database: Path | None = None) -> list[tuple[str, list[str]]]:
    """The (benchmark, argv) pairs a scale runs, the generator first where one needs its
    database (``database``); on PostgreSQL, only those that take it (each fills its own)."""
    found = []
    for name, sizes in SCALES[scale].items():
        if only and name not in only or postgres and name not in TAKES_POSTGRES:
            continue
        argv = [sys.executable, str(HERE / f"{name}.py")]
        if name in ON_GENERATED:  # the sizes, where a script can also fill its own data
            argv += {"workshops": [], "events": [], "peer": data_arguments(scale)[:2]}.get(
                name, data_arguments(scale))
            if postgres is None:
                argv += ["--database", str(database)]
        argv += sizes
        found.append((name, argv + (["--postgres", postgres] if postgres else [])))
    found.sort(key=lambda pair: ON_GENERATED.index(pair[0]) if pair[0] in ON_GENERATED else -1)
    if postgres is None and any(name in ON_GENERATED for name, _ in found):
        found.insert(0, ("generate", [sys.executable, str(HERE / "generate.py"),
                                      *data_arguments(scale), "--out", str(database)]))
    return found


def run_passing_through(command: list[str]) -> tuple[int, dict]:
    """Run a benchmark, its output passed through as it comes; its return code and the JSON
    line it ended with ({} when none)."""
    report = {}
    with subprocess.Popen(command, cwd=HERE.parent, stdout=subprocess.PIPE, text=True, bufsize=1) as proc:
        for line in proc.stdout:
            sys.stdout.write(line)
            if line.startswith('{"bench"'):
                report = json.loads(line)
    sys.stdout.flush()
    return proc.returncode, report


def figures_of(report: dict) -> list[dict]:
    """Every figure of a benchmark's JSON line in one shape: label, ms, floor_ms, ratio, goal,
    holds (None where a figure has no goal). The roster's figures are its last size's, and
    their ratio is the growth from its first size."""
    sizes, shared_goal = report.get("sizes"), report.get("goal")
    found = []
    for figure in report.get("figures", []):
        if sizes:
            ms, floor = figure[str(sizes[-1])]["ms"], figure[str(sizes[-1])]["floor_ms"]
        else:
            ms, floor = figure.get("ms", figure.get("plugin_ms")), figure.get("floor_ms", figure.get("bare_ms"))
        ratio, holds = figure.get("ratio"), figure.get("holds")
        goal = figure.get("goal") or (f"≤ {shared_goal} × floor" if shared_goal else None)
        if holds is None and shared_goal and ratio is not None:
            holds = ratio <= shared_goal
        found.append({"bench": report["bench"], "label": figure.get("label") or figure.get("figure"),
                      "ms": ms, "floor_ms": floor, "ratio": ratio, "goal": goal, "holds": holds})
    return found


def _number(value, digits: int = 2) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def print_summary(figures: list[dict], timings: list[tuple[str, str, float]]) -> None:
    """One table of every figure of the run beside its floor and goal, then one JSON line."""
    print("\n| scale | benchmark | figure | ms | floor (ms) | ratio | goal | holds |")
    print("| --- | --- | --- | ---: | ---: | ---: | --- | --- |")
    for f in figures:
        holds = "" if f["holds"] is None else ("yes" if f["holds"] else "**no**")
        print(f"| {f['scale']} | {f['bench']} | {f['label']} | {_number(f['ms'])} | "
              f"{_number(f['floor_ms'])} | {_number(f['ratio'])} | {f['goal'] or ''} | {holds} |")
    missed = [f for f in figures if f["holds"] is False]
    print(f"\n{len(figures)} figures, {sum(f['holds'] is True for f in figures)} goals held, "
          f"{len(missed)} missed")
    print(json.dumps({"run": [{"scale": s, "bench": n, "seconds": round(t, 1)} for s, n, t in timings],
                      "figures": figures}, ensure_ascii=False, default=str))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="append", choices=sorted(SCALES),
                        help="S, M or L (repeatable; default S then M); T is the smoke test's")
    parser.add_argument("--postgres", metavar="URL", help="run the benchmarks that can on this server")
    parser.add_argument("--only", help="benchmarks to run, by name, comma-separated: " + ", ".join(SCALES["S"]))
    parser.add_argument("--list", action="store_true", help="print the commands without running them")
    args = parser.parse_args(argv)
    only = {n.strip() for n in args.only.split(",")} if args.only else None
    if only and (unknown := only - set(SCALES["S"])):
        parser.error(f"no benchmark named {', '.join(sorted(unknown))}")
    failed, timings, figures = [], [], []
    for scale in args.scale or ["S", "M"]:
        database = HERE.parent / "var" / "bench" / f"{scale}.db"
        for name, command in commands(scale, args.postgres, only, database):
            if name == "generate" and not args.list:
                database.parent.mkdir(parents=True, exist_ok=True)
                for old in database.parent.glob(f"{scale}.db*"):  # made anew: deterministic
                    old.unlink()
            if args.list:
                print(f"{scale} {name}: {' '.join(command[1:])}")
                continue
            print(f"\n== scale {scale}: {name} ({' '.join(command[2:])})", flush=True)
            start = time.perf_counter()
            returncode, report = run_passing_through(command)
            timings.append((scale, name, time.perf_counter() - start))
            if returncode:
                failed.append(f"{scale} {name}")
            figures += [{"scale": scale, **figure} for figure in figures_of(report)]
    if timings:
        print("\n| scale | benchmark | wall (s) |\n| --- | --- | ---: |")
        for scale, name, seconds in timings:
            print(f"| {scale} | {name} | {seconds:.1f} |")
        print(f"total: {sum(s for *_, s in timings):.1f} s")
    if figures:
        print_summary(figures, timings)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
