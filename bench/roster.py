"""Roster search benchmark: every search the 人员名册 offers, at one or more roster sizes.

    python bench/roster.py --people 200000            # one size
    python bench/roster.py --people 20000,1000000     # the growth curve: L against S (goal ≤ 2)

For each search (count, page 2 of 50, that page's honours) it prints the matches, the time
through the plugin's query functions and the floor: the same compiled count and page SQL run
bare on the DBAPI connection. With two sizes or more, the last against the first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SURNAMES = [("王", "w"), ("李", "l"), ("张", "z"), ("刘", "l"), ("陈", "c"), ("杨", "y"), ("黄", "h"),
            ("赵", "z"), ("吴", "w"), ("周", "z"), ("徐", "x"), ("孙", "s"), ("马", "m"), ("朱", "z"),
            ("胡", "h"), ("郭", "g"), ("何", "h"), ("林", "l"), ("罗", "l"), ("高", "g")]
GIVEN = [("建", "j"), ("国", "g"), ("华", "h"), ("明", "m"), ("秀", "x"), ("英", "y"), ("伟", "w"),
         ("芳", "f"), ("强", "q"), ("军", "j"), ("平", "p"), ("红", "h"), ("敏", "m"), ("杰", "j"),
         ("丽", "l"), ("涛", "t"), ("峰", "f"), ("霞", "x"), ("斌", "b"), ("波", "b")]
REPEAT = 7


def fill(url: str, people: int) -> None:
    from sqlalchemy import insert, select

    from core.data.db import create_database, get_engine
    from core.data.migrate import upgrade
    from core.host.loader import get_host
    from core.settings.counties import load_counties
    from core.spreadsheet.cells import id_check_char
    from plugins.registry.models import Honour, Person
    from plugins.registry.vocab import HONOURS

    create_database(url)
    upgrade(get_engine(url), get_host())
    rng = random.Random(926)
    codes = [c.code for c in load_counties()]
    honours = list(HONOURS)
    rows = []
    for i in range(people):
        (s, si), (g1, i1), (g2, i2) = rng.choice(SURNAMES), rng.choice(GIVEN), rng.choice(GIVEN)
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=i % 20000)
        # distinct (birth day, sequence) pairs, the sequence spread like real ones'
        first = f"{rng.choice(codes)}{birth:%Y%m%d}{(i // 20000 * 17 + i % 20000 * 7) % 1000:03d}"
        rows.append({"name": s + g1 + g2, "name_initials": si + i1 + i2, "gender": "男",
                     "birth_date": birth, "id_number": first + id_check_char(first),
                     "county_code": rng.choice(codes), "employer": f"单位{i % 900}",
                     "phone": f"138{i:08d}", "status": "去世" if rng.random() < 0.04 else "在职"})
    engine = get_engine(url)
    with engine.begin() as conn:
        for start in range(0, people, 20000):
            conn.execute(insert(Person.__table__), rows[start:start + 20000])
        ids = conn.execute(select(Person.id)).scalars().all()
        awards = [{"person_id": pid, "name": name, "level": HONOURS[name],
                   "year_awarded": rng.randint(1985, 2026), "awarding_body": None}
                  for pid in ids  # dict, not set: the same order in every process (hash seeds)
                  for name in dict.fromkeys(rng.choices(honours, k=rng.choice((1, 1, 2))))]
        for start in range(0, len(awards), 20000):
            conn.execute(insert(Honour.__table__), awards[start:start + 20000])
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")


def bare(conn, stmt):
    """The same statement, compiled once, run straight on the DBAPI connection (the floor)."""
    from people_search import bare_runner

    return bare_runner(conn, stmt)


def searches(sample_number: str) -> dict:
    """Every search the 人员名册 offers, by what staff type or choose."""
    from core.access.auth import CurrentUser
    from plugins.registry.queries import PersonFilter

    staff = CurrentUser("bench_staff", "bench", "staff", "330182")  # sees numbers masked
    admin = CurrentUser("bench_admin", "bench", "admin", None)  # sees them in full
    return {
        "default list (living, by name)": PersonFilter(),
        "one county": PersonFilter(counties=("330182",)),
        "surname 王 (1 character)": PersonFilter(text="王"),
        "name fragment 建国": PersonFilter(text="建国"),
        "full name 王建国": PersonFilter(text="王建国"),
        "name fragment 建国, one county": PersonFilter(text="建国", counties=("330182",)),
        "pinyin initials zj": PersonFilter(text="zj"),
        "last 4 of an ID number (masked viewer)": PersonFilter(
            text=sample_number[-4:], viewer=staff, counties=("330182",)),
        "8 of an ID number, anywhere (view_sensitive)": PersonFilter(text=sample_number[6:14], viewer=admin),
        "whole ID number": PersonFilter(text=sample_number, viewer=admin),
        "county + national level": PersonFilter(counties=("330182",), level="全国"),
        "deceased only": PersonFilter(status="去世"),
    }


def measure(people: int, tmp: str) -> dict[str, dict]:
    """Fill ``people`` into a new SQLite file and time every search: {label: figures}."""
    from people_search import medians_ms
    from sqlalchemy import func, select

    from core.data.db import dispose_engines, get_engine, read_session
    from plugins.registry.models import Person
    from plugins.registry.queries import count_people, find_people, honours_of

    url = f"sqlite:///{tmp}/roster-{people}.db"
    os.environ.update(JIANGXIN_DATABASE_URL=url, JIANGXIN_VAR_DIR=f"{tmp}/var",
                      JIANGXIN_PLUGIN_PATH="", JIANGXIN_DISABLED_PLUGINS="")
    dispose_engines()
    t0 = time.perf_counter()
    fill(url, people)
    print(f"filled {people:,} people in {time.perf_counter() - t0:.1f} s (SQLite, WAL)", flush=True)
    figures = {}
    with get_engine().connect() as conn, read_session() as s:
        sample = s.scalars(select(Person.id_number).where(
            Person.status == "在职", Person.county_code == "330182").limit(1)).one()
        for label, flt in searches(sample).items():
            def page(flt=flt):
                count_people(s, flt)
                honours_of(s, [p.id for p in find_people(s, flt, page=2)])

            count_sql = bare(conn, flt.apply(select(func.count()).select_from(Person)))
            page_sql = bare(conn, flt.apply(select(Person)).order_by(Person.name, Person.id)
                            .offset(50).limit(50))
            plugin_ms, count_ms, page_ms = medians_ms(page, count_sql, page_sql, repeat=REPEAT)
            figures[label] = {"matches": count_people(s, flt), "ms": plugin_ms,
                              "floor_ms": count_ms + page_ms}
    dispose_engines()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", default="200000",
                        help="roster sizes, comma-separated (e.g. 20000,1000000: the growth curve)")
    args = parser.parse_args()
    sizes = [int(n) for n in args.people.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        runs = {n: measure(n, tmp) for n in sizes}
    first, last = sizes[0], sizes[-1]
    grows = len(sizes) > 1
    head = " | ".join(f"{n:,}: matches, page (ms), SQL floor (ms)" for n in sizes)
    print(f"\n| search | {head} |" + (f" {last:,} / {first:,} | goal ≤ 2 |" if grows else ""))
    print("| --- |" + " ---: |" * (3 * len(sizes)) + (" ---: | --- |" if grows else ""))
    rows = []
    for label in runs[first]:
        cells = " | ".join(f"{runs[n][label]['matches']:,} | {runs[n][label]['ms']:.2f} | "
                           f"{runs[n][label]['floor_ms']:.2f}" for n in sizes)
        row = {"label": label, **{f"{n}": runs[n][label] for n in sizes}}
        line = f"| {label} | {cells} |"
        if grows:
            ratio = runs[last][label]["ms"] / runs[first][label]["ms"]
            row.update(ratio=round(ratio, 2), goal="L ≤ 2 × S", holds=ratio <= 2)
            line += f" {ratio:.2f} | {'holds' if ratio <= 2 else 'misses'} |"
        rows.append(row)
        print(line)
    print(json.dumps({"bench": "roster", "sizes": sizes, "figures": rows}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
