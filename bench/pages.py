"""Pages benchmark: 总览 under AppTest cold and warm, 审核队列 and a person's record, each beside its floor.

    python bench/pages.py --people 200000 --studios 10000 --events 50000 --participants 2000000   # M
    python bench/pages.py --people 300 --studios 20 --events 30 --participants 300 --repeat 3  # the test's
    python bench/pages.py --database m.db          # a database bench/generate.py made (kept as it is)
    python bench/pages.py ... --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
                                          # on a scratch database made (and dropped) on that server

The data is bench/generate.py's (every plugin's, through the plugins' own code). Figures:

- **总览, cold**: the real app (dashboard/app.py) under ``streamlit.testing.v1.AppTest``, signed in
  as the administrator (whole city, all years), ``st.cache_data`` cleared before the run, a new
  session each round. Its floor: every tile's ``Metric.compute`` for the same counties and year,
  called directly in one read session. Goal ≤ 1.5 × the floor. Also shown: the tiles' SQL alone
  (their statements captured and run bare), and AppTest's fixed cost (a one-line script), which
  is Streamlit's own and in every AppTest figure.
- **总览, warm**: the same session run again (every tile cached). Goal ≤ 100 ms.
- **审核队列** (plugins.registry.pages_review ``queue_data`` then ``card_data`` for the first
  request, as the page loads them: the oldest 200 with whom each is about, the total and
  overdue counts, the reviewer's own, the submitters' names, the first request's card and
  history), whole city, one county, overdue only; and **a person's record**
  (plugins.registry.pages ``person_data``: the person, honours, change history): the page's
  data through the plugin against the statements it sent, captured on a first call and
  replayed bare on the DBAPI connection. Goal ≤ 1.5 ×. On SQLite each statement's plan is
  read too: a table read in full (``SCAN t`` without an index) is named in the last column.

Medians of interleaved rounds (``--repeat``); the last line is the same as JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
# the floor calls Streamlit's caches outside a running app: not a warning per call in the report
os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")

GOAL = 1.5
WARM_GOAL_MS = 100.0
REPEAT = 9
COUNTY = "330182"  # 建德市
APP = ROOT / "dashboard" / "app.py"


def _ms(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def _median(values) -> float:
    return statistics.median(values)


def figure(label: str, ms: float, floor_ms: float | None, goal: str, holds: bool, **extra) -> dict:
    return {"label": label, "ms": round(ms, 6), "floor_ms": None if floor_ms is None else round(floor_ms, 6),
            "ratio": round(ms / floor_ms, 3) if floor_ms else None, "goal": goal, "holds": holds, **extra}


# --- 总览 ----------------------------------------------------------------------------------------------

def _admin():
    from generate import ADMIN

    from core.access.auth import CurrentUser

    return CurrentUser(ADMIN, "基准测试管理员", "admin", None)


def overview_app():
    """The app under AppTest, signed in as the administrator, opening 总览 (not yet run)."""
    from generate import ADMIN
    from streamlit.testing.v1 import AppTest

    from core.access import auth
    from core.data.db import read_session

    at = AppTest.from_file(str(APP), default_timeout=600)
    with read_session() as s:
        generation = auth.session_generation(s, ADMIN)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = ADMIN
    at.session_state["name"] = ADMIN
    at.session_state["roles"] = ["admin"]
    at.session_state["jiangxin_session_generation"] = generation
    at.session_state["jiangxin_start_page"] = "core-overview"
    return at


def bare_app():
    from streamlit.testing.v1 import AppTest

    return AppTest.from_string("import streamlit as st\nst.write('匠心')", default_timeout=60)


def overview_metrics(user):
    from core.ui import host

    return [m for m in host().metrics.values() if host().allowed(user, m.permission)]


def overview_floor(user, counties=None, year=None):
    """Every tile's ``Metric.compute`` for ``counties`` and ``year``, in one read session."""
    from core.data.db import read_session
    from core.host.metrics import MetricContext

    metrics = overview_metrics(user)

    def run():
        with read_session() as s:
            return [m.compute(MetricContext(session=s, counties=counties, year=year)) for m in metrics]
    return run


def tiles_shown(at) -> list[tuple[str, str]]:
    """(title, value) of each tile the run drew."""
    return [(m.label, str(m.value)) for m in at.metric]


def overview_figures(repeat: int) -> tuple[list[dict], list[tuple[str, str]]]:
    import streamlit as st
    from events import bare_replay, capturing  # bench/events.py
    from people_search import medians_ms

    from core.data.db import get_engine

    user = _admin()
    floor = overview_floor(user)
    engine = get_engine()
    floor()  # warm the host, the plugins' imports, the file's pages
    with capturing(engine) as sent:
        floor()
    selects = [(q, p) for q, p in sent if q.lstrip().upper().startswith(("SELECT", "WITH"))]
    bare_app().run()
    first = overview_app()
    st.cache_data.clear()
    first.run()  # the imports every later run finds done
    if first.exception:
        raise SystemExit(f"总览 failed under AppTest: {first.exception[0].value}")
    shown = tiles_shown(first)
    if len(shown) != len(overview_metrics(user)):
        raise SystemExit(f"总览 drew {len(shown)} tiles of {len(overview_metrics(user))}: {shown}")
    cold, warm, floors, fixed, fixed_again = [], [], [], [], []
    with engine.connect() as conn:
        sql = bare_replay(conn, selects)
        sql_ms = medians_ms(sql, repeat=repeat)[0]
        for _ in range(repeat):
            bare = bare_app()
            fixed.append(_ms(bare.run))
            fixed_again.append(_ms(bare.run))
            at = overview_app()
            st.cache_data.clear()
            cold.append(_ms(at.run))
            warm.append(_ms(at.run))
            floors.append(_ms(floor))
    if at.exception or tiles_shown(at) != shown:
        raise SystemExit("总览 drew other numbers warm than cold")
    cold_ms, warm_ms, floor_ms, fixed_ms, again_ms = map(_median, (cold, warm, floors, fixed, fixed_again))
    where = f"{len(shown)} tiles, whole city, all years (admin)"
    return [
        figure(f"总览 cold: {where}", cold_ms, floor_ms, f"≤ {GOAL} × floor", cold_ms <= GOAL * floor_ms,
               floor="every tile's Metric.compute, called directly", statements=len(selects)),
        figure(f"总览 cold, less AppTest's fixed cost: {where}", cold_ms - fixed_ms, floor_ms,
               f"(≤ {GOAL} × floor)", cold_ms - fixed_ms <= GOAL * floor_ms,
               floor="every tile's Metric.compute, called directly"),
        figure(f"总览 warm: {where}", warm_ms, None, f"≤ {WARM_GOAL_MS:.0f} ms", warm_ms <= WARM_GOAL_MS),
        figure("总览: the tiles' SQL alone (captured, run bare)", sql_ms, None, "", True),
        figure("AppTest fixed cost: a one-line script, first run (beside cold)", fixed_ms, None, "", True),
        figure("AppTest fixed cost: the same script run again (beside warm)", again_ms, None, "", True),
    ], shown


# --- 审核队列 and a person's record -----------------------------------------------------------------------

def scans(conn, sent) -> list[str]:
    """The tables a statement reads in full (SQLite's plan: ``SCAN t`` with no index)."""
    if conn.dialect.name != "sqlite":
        return []
    raw = conn.connection.dbapi_connection
    found = []
    for sql, params in sent:
        for *_, detail in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall():
            words = detail.split()
            if words[:1] == ["SCAN"] and "INDEX" not in words and not words[1].startswith(("(", "CONSTANT")):
                found.append(words[1])
    return sorted(set(found))


def data_figure(label: str, plugin, engine, conn, repeat: int, shown) -> dict:
    """The page's data through the plugin beside its statements run bare (alternate rounds)."""
    from events import bare_replay, capturing
    from people_search import medians_ms

    plugin()
    with capturing(engine) as sent:
        found = plugin()
    sent = [(sql, params) for sql, params in sent if sql.lstrip().upper().startswith(("SELECT", "WITH"))]
    plugin_ms, bare_ms = medians_ms(plugin, bare_replay(conn, sent), repeat=repeat)
    return figure(label, plugin_ms, bare_ms, f"≤ {GOAL} × floor", plugin_ms <= GOAL * bare_ms,
                  floor="its statements, captured, run bare", statements=len(sent), rows=shown(found),
                  scans=scans(conn, sent))


def queue_person_figures(repeat: int) -> list[dict]:
    from sqlalchemy import select

    from core.data.db import get_engine, read_session
    from plugins.registry.models import ChangeRequest
    from plugins.registry.pages import person_data
    from plugins.registry.pages_review import QUEUE_LIMIT, card_data, queue_data
    from plugins.registry.vocab import PENDING

    user = _admin()
    engine = get_engine()
    with read_session() as s:  # the person of the oldest pending request about someone on the roster
        person_id = s.scalar(select(ChangeRequest.person_id).where(
            ChangeRequest.state == PENDING, ChangeRequest.person_id.is_not(None))
            .order_by(ChangeRequest.submitted_at).limit(1))

    def queue_page(scope, overdue):
        """The list, then the first request's card (what the page loads by default)."""
        queue, total, late, _mine, names = queue_data(s, user, scope, None, overdue)
        card = card_data(s, queue[0].id, names) if queue else None
        return queue, total, late, card

    def queue_rows(found):
        queue, total, late, card = found
        return f"{len(queue)} of {total:,} ({late:,} overdue)" + (f", card: {len(card[1])} steps" if card else "")

    def person_rows(found):
        person, honours, history, _names = found
        return f"{person.name}: {len(honours)} honours, {len(history)} requests"

    rows = []
    with engine.connect() as conn, read_session() as s:
        for where, scope, overdue in (("whole city", None, None), ("one county", (COUNTY,), None),
                                      ("whole city, overdue only", None, True)):
            rows.append(data_figure(f"审核队列: {where}, oldest {QUEUE_LIMIT} + first card (admin)",
                                    lambda sc=scope, o=overdue: queue_page(sc, o), engine, conn,
                                    repeat, queue_rows))
        if person_id is not None:
            rows.append(data_figure(f"人员详情: person {person_id} (admin)",
                                    lambda: person_data(s, user, str(person_id)), engine, conn, repeat,
                                    person_rows))
    return rows


# --- the run ------------------------------------------------------------------------------------------

def main() -> int:
    # the floor calls Streamlit's caches outside a running app: not a warning per call
    logging.disable(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--studios", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--participants", type=int, default=2_000_000)
    parser.add_argument("--database", metavar="FILE", help="a SQLite file bench/generate.py made (not changed)")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server to run on instead of SQLite")
    parser.add_argument("--repeat", type=int, default=REPEAT, help="rounds per figure (medians)")
    args = parser.parse_args()

    from generate import counts, environment, generate
    from people_search import scratch_postgres

    with tempfile.TemporaryDirectory() as tmp:
        import contextlib

        with contextlib.ExitStack() as stack:
            if args.database:
                path = Path(args.database).resolve()
                if not path.exists():
                    parser.error(f"{path} does not exist")
                url = f"sqlite:///{path}"
            elif args.postgres:
                url = stack.enter_context(scratch_postgres(args.postgres))
            else:
                url = f"sqlite:///{tmp}/pages.db"
            environment(url, f"{tmp}/var")
            kind = "PostgreSQL" if args.postgres else "SQLite, WAL"
            t0 = time.perf_counter()
            found = counts(url) if args.database else generate(
                url, args.people, args.studios, args.events, args.participants)
            said = "read" if args.database else f"generated in {time.perf_counter() - t0:.1f} s"
            print(f"{said} ({kind}): {found['registry_person']:,} people, {found['workshops_studio']:,} studios, "
                  f"{found['events_event']:,} events, {found['events_participant']:,} participants, "
                  f"{found['pending']:,} pending requests\n")
            overview, tiles = overview_figures(args.repeat)
            rows = overview + queue_person_figures(args.repeat)
            print("总览 tiles: " + "; ".join(f"{title} {value}" for title, value in tiles) + "\n")
            print(f"| figure (medians of {args.repeat}) | rows | ms | floor (ms) | ratio | goal | holds | scans |")
            print("| --- | --- | ---: | ---: | ---: | --- | --- | --- |")
            for r in rows:
                floor = f"{r['floor_ms']:.2f}" if r["floor_ms"] is not None else ""
                ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else ""
                print(f"| {r['label']} | {r.get('rows', '')} | {r['ms']:.2f} | {floor} | {ratio} | {r['goal']} | "
                      f"{'yes' if r['holds'] else 'NO'} | {', '.join(r.get('scans', []))} |")
            missed = [r["label"] for r in rows if not r["holds"]]
            print("\ngoals: " + ("all met" if not missed else "missed by " + "; ".join(missed)))
            print(json.dumps({"bench": "pages", "database": kind, "counts": found, "figures": rows},
                             ensure_ascii=False))
            from core.data.db import dispose_engines

            dispose_engines()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("JIANGXIN_STRICT_PLUGINS", "1")
    raise SystemExit(main())
