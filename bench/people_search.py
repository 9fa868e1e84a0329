"""People picker benchmark: searching 200,000 roster people through the hooks costs about its SQL.

    python bench/people_search.py                 # 200,000 people (make bench)
    python bench/people_search.py --people 5000   # the small run the test suite may do
    python bench/people_search.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
                                        # on a scratch database made (and dropped) on that server

For each search a person picker makes, it prints the median time of
``core.host.people.search_people`` (the host, the roster's hook, the statement, the PersonRefs)
beside the median of the same compiled statement run bare on the DBAPI connection, and their
ratio. The roster is built as bench/roster.py builds it (SQLite, WAL, or PostgreSQL).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

REPEAT = 21
LIMIT = 20  # what core.ui.people asks for


def medians_ms(*fns, repeat: int = REPEAT) -> list[float]:
    """The median time of each of ``fns``, run in turns (one of each per round), so a busy
    machine slows them alike."""
    for fn in fns:
        fn()  # warm: the host, the statement cache, the pages of the file
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, spent in zip(fns, times, strict=True):
            t0 = time.perf_counter()
            fn()
            spent.append(time.perf_counter() - t0)
    return [statistics.median(spent) * 1000 for spent in times]


def bare_runner(conn, stmt):
    """The statement compiled once, run straight on the DBAPI connection (the floor)."""
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    sql, params = str(compiled), compiled.params
    args = [params[name] for name in compiled.positiontup] if conn.dialect.name == "sqlite" else params
    raw = conn.connection.dbapi_connection

    def run():
        cur = raw.cursor()
        cur.execute(sql, args)
        rows = cur.fetchall()
        cur.close()
        return rows
    return run


@contextlib.contextmanager
def scratch_postgres(admin_url: str):
    """A new database on ``admin_url``'s server for the run, dropped afterwards."""
    import psycopg
    from sqlalchemy import make_url

    parsed = make_url(admin_url)
    name = f"jx_bench_people_{uuid.uuid4().hex[:8]}"
    conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        from core.data.db import dispose_engines

        dispose_engines()
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def bench_database(args, tmp: str, filename: str):
    """The URL a benchmark fills: a scratch PostgreSQL database (``--postgres``), the ``--keep``
    file, or ``filename`` in the temporary folder ``tmp``."""
    if args.postgres:
        with scratch_postgres(args.postgres) as url:
            yield url
    else:
        path = Path(args.keep).resolve() if args.keep else Path(tmp) / filename
        if path.exists():
            raise SystemExit(f"{path} exists: give a new file")
        yield f"sqlite:///{path}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server to run on instead of SQLite")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        url = stack.enter_context(scratch_postgres(args.postgres)) if args.postgres \
            else f"sqlite:///{tmp}/roster.db"
        os.environ.update(JIANGXIN_DATABASE_URL=url, JIANGXIN_VAR_DIR=f"{tmp}/var",
                          JIANGXIN_PLUGIN_PATH="", JIANGXIN_DISABLED_PLUGINS="")
        from roster import fill  # bench/roster.py: the same 200,000 people
        from sqlalchemy import select

        from core.access.auth import CurrentUser
        from core.data.db import get_engine, read_session
        from core.host.people import search_people
        from plugins.registry.models import Person
        from plugins.registry.people import search_statement

        t0 = time.perf_counter()
        fill(url, args.people)
        engine = get_engine()
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        kind = "PostgreSQL" if args.postgres else "SQLite, WAL"
        print(f"filled {args.people:,} people in {time.perf_counter() - t0:.1f} s ({kind})\n")
        city = CurrentUser("bench_city", "bench", "manager", None)
        county = CurrentUser("bench_county", "bench", "staff", "330182")
        full = CurrentUser("bench_admin", "bench", "admin", None)
        with read_session() as s:
            sample = s.scalars(select(Person).order_by(Person.id).limit(1)).one()
        searches = [
            ("name fragment 建国, whole city", city, "建国"),
            ("surname 王, whole city", city, "王"),
            ("full name 王建国, whole city", city, "王建国"),
            ("pinyin initials wjg, whole city", city, "wjg"),
            ("pinyin initials w, whole city", city, "w"),
            ("name fragment 建国, one county", county, "建国"),
            ("pinyin initials zj, one county", county, "zj"),
            ("no match 龘, whole city", city, "龘"),
            ("last 4 of an ID number (audited write)", full, sample.id_number[-4:]),
            ("whole ID number (audited write)", full, sample.id_number),
        ]
        print(f"| search (limit {LIMIT}) | found | search_people (ms) | bare SQL (ms) | ratio |")
        print("| --- | ---: | ---: | ---: | ---: |")
        ratios, figures = [], []
        with get_engine().connect() as conn, read_session() as s:
            for label, user, text in searches:
                found = search_people(s, user, text, LIMIT)
                hooks_ms, bare_ms = medians_ms(lambda u=user, t=text: search_people(s, u, t, LIMIT),
                                               bare_runner(conn, search_statement(user, text, LIMIT)))
                ratio = hooks_ms / bare_ms if bare_ms else float("nan")
                if "audited" not in label:
                    ratios.append(ratio)
                print(f"| {label} | {len(found)} | {hooks_ms:.2f} | {bare_ms:.2f} | {ratio:.2f} |")
                figures.append({"label": label, "found": len(found), "ms": round(hooks_ms, 3),
                                "floor_ms": round(bare_ms, 3), "ratio": round(ratio, 3)})
        print(f"\nmedian ratio search_people / bare SQL (searches that write nothing): "
              f"{statistics.median(ratios):.2f}")
        print(json.dumps({"bench": "people_search", "people": args.people, "figures": figures},
                         ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
