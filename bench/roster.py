"""Roster search benchmark: 200,000 people, the 人员名册 page's queries against their bare SQL.

    python bench/roster.py                 # 200,000 people (make bench)
    python bench/roster.py --people 5000   # the small run the test suite does

For each search the page does (count, one page of 50, that page's honours) it prints the time
through the plugin's query functions beside the time of the same compiled SQL run directly on
the database connection, and the query plan's use of indexes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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
        first = f"{rng.choice(codes)}{birth:%Y%m%d}{i // 20000:03d}"
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
                  for pid in ids for name in set(rng.choices(honours, k=rng.choice((1, 1, 2))))]
        for start in range(0, len(awards), 20000):
            conn.execute(insert(Honour.__table__), awards[start:start + 20000])
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")


def timed(fn) -> float:
    times = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def bare(conn, stmt) -> float:
    """The same statement, compiled once, run straight on the DBAPI connection."""
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    sql, params = str(compiled), compiled.params
    raw = conn.connection.dbapi_connection
    if conn.dialect.name == "sqlite":
        args = [params[name] for name in compiled.positiontup]
    else:
        args = params

    def run():
        cur = raw.cursor()
        cur.execute(sql, args)
        cur.fetchall()
        cur.close()
    return timed(run)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200_000)
    args = parser.parse_args()

    from sqlalchemy import func, select

    from core.access.auth import CurrentUser
    from core.data.db import get_engine, read_session
    from plugins.registry.models import Person
    from plugins.registry.queries import PersonFilter, count_people, find_people, honours_of

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/roster.db"
        os.environ.update(JIANGXIN_DATABASE_URL=url, JIANGXIN_VAR_DIR=f"{tmp}/var",
                          JIANGXIN_PLUGIN_PATH="", JIANGXIN_DISABLED_PLUGINS="")
        t0 = time.perf_counter()
        fill(url, args.people)
        print(f"filled {args.people:,} people in {time.perf_counter() - t0:.1f} s (SQLite, WAL)\n")
        with read_session() as s:
            sample = s.scalars(select(Person).where(Person.status == "在职").limit(1)).one()
        searches = {
            "default list (living, by name)": PersonFilter(),
            "one county": PersonFilter(counties=("330182",)),
            "name fragment 建国": PersonFilter(text="建国"),
            "pinyin initials zj": PersonFilter(text="zj"),
            "last 6 of an ID number": PersonFilter(text=sample.id_number[-6:]),  # no viewer: masked
            "6 of an ID number, anywhere (view_sensitive)": PersonFilter(
                text=sample.id_number[-6:], viewer=CurrentUser("bench", "bench", "admin", None)),
            "county + national level": PersonFilter(counties=("330182",), level="全国"),
            "deceased only": PersonFilter(status="去世"),
        }
        print("| search | matches | page via plugin (ms) | bare SQL: count + page (ms) |")
        print("| --- | ---: | ---: | ---: |")
        with get_engine().connect() as conn, read_session() as s:
            for label, flt in searches.items():
                total = count_people(s, flt)

                def page(flt=flt):
                    count_people(s, flt)
                    people = find_people(s, flt, page=2)
                    honours_of(s, [p.id for p in people])

                plugin_ms = timed(page)
                count_stmt = flt.apply(select(func.count()).select_from(Person))
                page_stmt = flt.apply(select(Person)).order_by(Person.name, Person.id).offset(50).limit(50)
                sql_ms = bare(conn, count_stmt) + bare(conn, page_stmt)
                print(f"| {label} | {total:,} | {plugin_ms:.1f} | {sql_ms:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
