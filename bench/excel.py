"""Spreadsheet benchmark: import (with every check and the database write) and export of one
generated roster-style file, beside pandas reading it (openpyxl and calamine engines) and
DataFrame.to_excel writing it.

    python bench/excel.py                        # 100,000 rows, each step 3 times (make bench)
    python bench/excel.py --rows 300 --repeat 1  # the small run the test suite does

Each measured step runs in its own process, so the import's peak memory (max RSS) is its own;
each import writes into an empty table. Prints a table of medians and the ratios the goals are
stated in. ``DataFrame.to_excel`` uses pandas' default engine, which is XlsxWriter when it is
installed and openpyxl otherwise (as here: Jiangxin does not depend on XlsxWriter).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PLUGINS = ROOT / "tests" / "plugins"
COUNTIES = ("上城区", "拱墅区", "西湖区", "滨江区", "萧山区", "余杭区", "富阳区", "临安区", "临平区",
            "钱塘区", "桐庐县", "淳安县", "建德市")
HONOURS = ("全国劳动模范", "浙江省劳动模范", "杭州市劳动模范", "杭州工匠", "建德金匠")
HEADER = ["序号", "姓名", "性别", "身份证号", "出生日期", "参加工作时间", "联系电话", "所属区县",
          "荣誉", "授予年份", "奖金（万元）", "工作单位"]
GOALS = {"import / calamine read": 1.5, "export / to_excel": 0.4}  # issue #15 (import was 2.0)
MEMORY_GOAL_MB = 250


def generate(path: Path, rows: int) -> None:
    """A roster file as a county's Excel would save it (openpyxl, shared strings): a title row,
    then the header, then ``rows`` valid people."""
    from openpyxl import Workbook

    from core.spreadsheet.cells import id_check_char

    start = dt.date(1950, 1, 1)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("名册")
    ws.append(["杭州市劳动模范和工匠名册"])
    ws.append(HEADER)
    for i in range(rows):
        birth = start + dt.timedelta(days=i % 18000)
        seq = i // 18000 * 2 + 1  # odd: male, unique per birth date
        first = f"330182{birth:%Y%m%d}{seq:03d}"
        ws.append([i + 1, f"劳模{i:06d}", "男", first + id_check_char(first),
                   dt.datetime.combine(birth, dt.time()), f"{birth.year + 20}.0{1 + i % 9}",
                   f"138{i:08d}", COUNTIES[i % 13], HONOURS[i % 5], 2000 + i % 25,
                   round((i % 100) / 4, 2), f"杭州市第{i % 500}机械厂"])
    wb.save(path)


def _env(db: Path) -> dict:
    return {**os.environ, "JIANGXIN_DATABASE_URL": f"sqlite:///{db}",
            "JIANGXIN_PLUGIN_PATH": str(PLUGINS), "JIANGXIN_VAR_DIR": str(db.parent / "var"),
            "JIANGXIN_DISABLED_PLUGINS": "registry"}  # the test plugin's roster-like table


def step(name: str, *args: str, env: dict | None = None) -> dict:
    """Run one measured step in a fresh process; return its seconds and peak memory."""
    out = subprocess.run([sys.executable, __file__, "--step", name, *args], env=env or os.environ,
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"step {name} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def run_step(name: str, args: list[str]) -> dict:
    baseline = 0.0
    if name == "import":
        from core.data.audit import Actor
        from core.host.loader import get_host
        from core.spreadsheet import import_file

        table = get_host().spreadsheet_tables["testkit_people"]
        baseline = _rss_mb()  # the interpreter and its imports, before any row is read
        t0 = time.perf_counter()
        result = import_file(table, args[0], Actor("bench", "admin"))
        seconds = time.perf_counter() - t0
        if not result.ok:
            raise SystemExit(f"import refused: {result.problems[:5]}")
        info = {"rows": result.written}
    elif name == "export":
        from core.data.audit import Actor
        from core.host.loader import get_host
        from core.spreadsheet import export_file

        table = get_host().spreadsheet_tables["testkit_people"]
        t0 = time.perf_counter()
        info = {"rows": export_file(table, args[0], Actor("bench", "admin"), None)}
        seconds = time.perf_counter() - t0
    elif name in ("read_openpyxl", "read_calamine"):
        import pandas as pd

        t0 = time.perf_counter()
        df = pd.read_excel(args[0], engine="openpyxl" if name == "read_openpyxl" else "calamine",
                           header=1)
        seconds = time.perf_counter() - t0
        info = {"rows": len(df)}
    elif name == "to_excel":
        import pandas as pd

        df = pd.read_excel(args[0], engine="calamine", header=1)
        t0 = time.perf_counter()
        with pd.ExcelWriter(args[1]) as writer:  # what to_excel(path) opens: the default engine
            df.to_excel(writer, index=False)
            engine = writer.engine
        seconds = time.perf_counter() - t0
        info = {"rows": len(df), "engine": engine}
    elif name == "migrate":
        from core.data.db import create_database, get_engine
        from core.data.migrate import upgrade
        from core.host.loader import get_host
        from core.settings.config import load_settings

        create_database(load_settings().database_url)
        upgrade(get_engine(), get_host())
        return {"seconds": 0, "peak_mb": 0}
    else:
        raise SystemExit(f"unknown step {name}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": round(seconds, 3), "peak_mb": round(peak, 1),
            "baseline_mb": round(baseline, 1), **info}


def _median(runs: list[dict]) -> dict:
    """The run with the median time, with the highest peak memory of all runs."""
    middle = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    return {**middle, "peak_mb": max(r["peak_mb"] for r in runs)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each step (median shown)")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.step:
        print(json.dumps(run_step(args.step, rest)))
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        source, db = tmp / "roster.xlsx", tmp / "bench.db"
        t0 = time.perf_counter()
        generate(source, args.rows)
        print(f"generated {args.rows:,} rows x {len(HEADER)} columns "
              f"({source.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s")
        env = _env(db)
        runs: dict[str, list[dict]] = {}
        for _ in range(args.repeat):
            db.unlink(missing_ok=True)  # each import writes into an empty table
            step("migrate", env=env)
            for name, result in {
                "import (checks + SQLite write)": step("import", str(source), env=env),
                "export (streamed)": step("export", str(tmp / "export.xlsx"), env=env),
                "pandas read_excel openpyxl": step("read_openpyxl", str(source)),
                "pandas read_excel calamine": step("read_calamine", str(source)),
                "pandas DataFrame.to_excel": step("to_excel", str(source), str(tmp / "pandas.xlsx")),
            }.items():
                runs.setdefault(name, []).append(result)
    results = {name: _median(r) for name, r in runs.items()}
    print(f"\nmedian of {args.repeat} run(s), each step in a process of its own; "
          f"DataFrame.to_excel used the {results['pandas DataFrame.to_excel']['engine']} engine")
    print("\n| step | seconds | peak memory (MB) |\n| --- | ---: | ---: |")
    for name, r in results.items():
        print(f"| {name} | {r['seconds']:.2f} | {r['peak_mb']:.0f} |")
    ratios = {
        "import / calamine read": results["import (checks + SQLite write)"]["seconds"]
        / results["pandas read_excel calamine"]["seconds"],
        "export / to_excel": results["export (streamed)"]["seconds"]
        / results["pandas DataFrame.to_excel"]["seconds"],
    }
    print()
    for name, ratio in ratios.items():
        verdict = "meets" if ratio <= GOALS[name] else "misses"
        print(f"{name}: {ratio:.2f} ({verdict} the goal of {GOALS[name]})")
    imp = results["import (checks + SQLite write)"]
    peak = imp["peak_mb"]
    print(f"import peak memory: {peak:.0f} MB for the whole process, of which "
          f"{imp['baseline_mb']:.0f} MB before the first row was read "
          f"({'meets' if peak <= MEMORY_GOAL_MB else 'misses'} the goal of {MEMORY_GOAL_MB} MB)")
    figures = [{"label": name, "ratio": round(ratio, 3), "goal": f"≤ {GOALS[name]}",
                "holds": ratio <= GOALS[name]} for name, ratio in ratios.items()]
    figures.append({"label": "import peak memory (MB)", "mb": round(peak), "goal": f"≤ {MEMORY_GOAL_MB}",
                    "holds": peak <= MEMORY_GOAL_MB})
    print(json.dumps({"bench": "excel", "rows": args.rows, "steps": results, "figures": figures},
                     ensure_ascii=False))
    assert results["import (checks + SQLite write)"]["rows"] == args.rows
    assert results["export (streamed)"]["rows"] == args.rows
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
