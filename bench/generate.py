"""Every plugin's data for one scale, in ONE database, through the plugins' own code.

    python bench/generate.py --people 20000 --studios 1000 --events 5000 --participants 200000 --out s.db
    python bench/generate.py --people 300 --studios 20 --events 30 --participants 300 \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/jx_bench   # an existing, empty database

One after another on the same URL (each migrates the database by the plugins' own migrations,
which do nothing the second time):

1. the roster: bench/roster.py ``fill`` (people and their honours);
2. the studios: bench/workshops.py ``fill``, their leaders and members taken from the roster's
   people of the studio's county (ids, names and honours as the roster has them);
3. the events: bench/events.py ``fill``, each event inviting the roster's people of its county
   (the academy's: anyone's), with their roster ids;
4. accounts (password PASSWORD): the administrator ADMIN the benchmarks sign in as, and each
   county's staff member who files its requests;
5. change requests, filed by each county's staff through ``plugins.registry.changes.submit_*``
   with the clock set back to each one's day: pending ones (待审核) for the reviewer queue, over
   the last three weeks (so some wait more than 7 days), PENDING_PER_COUNTY_PER_1000 per 1,000
   people in each county, at least one (S: 5 a county, 65 in all; M: 54 a county, 702 in all); and
   twice as many from the past year, decided by REVIEWER through ``changes.decide`` a few days
   after (80 % approved: applied to the roster as any approval is). The four kinds in turn,
   each request about a different person.

Deterministic for a seed (and the day). ``generate(url, people, studios, events, participants)``
is what the other benchmarks import (bench/pages.py); it returns the row count of each table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

ADMIN = "bench_admin"
PASSWORD = "bench-password-926"
PENDING_PER_COUNTY_PER_1000 = 3.5  # S (20,000 people, 13 counties): about 5 a county
PENDING_DAYS = 21  # the pending requests were filed over the last three weeks
DECIDED_PER_PENDING = 2  # requests of the past year, decided (the reviewer's and people's history)
APPROVED_SHARE = 0.8
REVIEWER = "bench_reviewer"
SEED = 1515
# what the benchmarks' tables hold, by plugin (counted after the fill)
TABLES = ("registry_person", "registry_honour", "registry_change", "registry_change_event",
          "workshops_studio", "workshops_member", "workshops_output", "workshops_review",
          "events_event", "events_participant", "core_user")


class RosterPerson(NamedTuple):
    id: int
    name: str
    county_code: str
    employer: str | None
    honour: str | None
    honour_level: str | None


def roster_people(url: str) -> list[RosterPerson]:
    """The roster's people at ``url`` (the living and the dead), by county then id, each with
    their first honour (by name): what the studios' and the events' snapshots copy. Empty when
    the roster is (a benchmark run alone makes people of its own)."""
    from sqlalchemy import func, inspect, select

    from core.data.db import get_engine

    engine = get_engine(url)
    if not inspect(engine).has_table("registry_person"):
        return []
    from plugins.registry.models import Honour, Person

    first = (select(Honour.person_id, func.min(Honour.name).label("honour"))
             .group_by(Honour.person_id).subquery())
    stmt = (select(Person.id, Person.name, Person.county_code, Person.employer, first.c.honour)
            .outerjoin(first, first.c.person_id == Person.id).order_by(Person.county_code, Person.id))
    from plugins.registry.vocab import HONOURS

    with engine.connect() as conn:
        return [RosterPerson(pid, name, county, employer, honour, HONOURS.get(honour) if honour else None)
                for pid, name, county, employer, honour in conn.execute(stmt)]


def _requests(url: str, seed: int) -> int:
    """File the change requests through the plugin's own functions, each on its day (the clock
    set back): the pending ones (over the last PENDING_DAYS days) by each county's staff, and
    DECIDED_PER_PENDING times as many from the past year, each decided a few days after by the
    reviewer (REVIEWER; APPROVED_SHARE approved, applied to the roster as any approval is).
    Each request is about a different person. Returns how many are pending."""
    from sqlalchemy import select

    from core.access.auth import CurrentUser
    from core.data.db import read_session, session_scope
    from core.settings import clock
    from core.settings.counties import load_counties
    from core.spreadsheet.cells import id_check_char
    from plugins.registry import changes
    from plugins.registry.models import Person
    from plugins.registry.vocab import DECEASED, HONOURS

    rng = random.Random(seed)
    counties = [c.code for c in load_counties()]
    now = clock.utcnow()
    with read_session(url) as s:
        living = {}
        for pid, county in s.execute(select(Person.id, Person.county_code).where(Person.status != DECEASED)
                                     .order_by(Person.county_code, Person.id)):
            living.setdefault(county, []).append(pid)
    honours = list(HONOURS)
    steps = []  # (when, step, plan number); plans: (county, kind, person id, decision or None)
    plans = []
    for county in counties:
        pool = living.get(county, [])
        pending = max(1, round(len(pool) * PENDING_PER_COUNTY_PER_1000 / 1000)) if pool else 0
        chosen = rng.sample(pool, min(pending * (1 + DECIDED_PER_PENDING), len(pool)))
        for i, pid in enumerate(chosen):
            kind = changes.KINDS[len(plans) % len(changes.KINDS)]  # the kinds in turn
            if i < pending:
                when, decision = now - dt.timedelta(days=rng.uniform(0.1, PENDING_DAYS)), None
            else:
                when = now - dt.timedelta(days=rng.uniform(PENDING_DAYS, 365))
                decision = (when + dt.timedelta(days=rng.uniform(0.2, 12)), rng.random() < APPROVED_SHARE)
                steps.append((decision[0], "decide", len(plans)))
            steps.append((when, "submit", len(plans)))
            plans.append((county, kind, pid, decision))
    steps.sort()
    real_now = clock._utc_now
    reviewer = CurrentUser(REVIEWER, "基准测试审核员", "reviewer", None)
    filed = {}  # plan number -> request id
    try:
        for when, step, number in steps:
            clock._utc_now = lambda when=when: when  # on its day
            county, kind, pid, decision = plans[number]
            if step == "decide":
                with session_scope(reviewer.actor, url=url) as s:
                    changes.decide(s, reviewer, filed[number], decision[1],
                                   None if decision[1] else "材料不全，请补充后重新提交")
                continue
            staff = CurrentUser(staff_of(county), f"{county} 工作人员", "staff", county)
            reason = f"基准测试：{kind}申请（{number + 1}）"
            with session_scope(staff.actor, url=url) as s:
                if kind == "新增":  # a new person, with a valid ID number never on the roster (born
                    # after everyone bench/roster.py makes: 1940 to 1994)
                    first = f"{county}{dt.date(1995, 1, 1) + dt.timedelta(days=number):%Y%m%d}{number % 1000:03d}"
                    request = changes.submit_addition(
                        s, staff, {"name": f"新人{number}", "id_number": first + id_check_char(first),
                                   "county_code": county, "employer": "基准测试单位"},
                        rng.choice(honours), 2025, reason)
                elif kind == "关系转移":
                    to = rng.choice([c for c in counties if c != county] or [county])
                    request = changes.submit_transfer(s, staff, pid, to, "调入单位", reason)
                elif kind == "去世":
                    request = changes.submit_death(s, staff, pid, (when - dt.timedelta(days=3)).date(), reason)
                else:
                    request = changes.submit_correction(s, staff, pid, {"employer": f"更正后的单位{number}"},
                                                        reason)
                filed[number] = request.id
    finally:
        clock._utc_now = real_now
    return sum(decision is None for *_, decision in plans)


def _accounts(url: str) -> None:
    """The administrator the benchmarks sign in as, and each county's staff member who filed
    the requests (as ``jiangxin users add`` makes them; one bcrypt hash for all: it costs a
    quarter of a second each, and they share the password anyway)."""
    from core.access import auth
    from core.data.audit import Actor
    from core.data.db import session_scope
    from core.settings.counties import load_counties

    hashed, real = auth.hash_password(PASSWORD), auth.hash_password
    auth.hash_password = lambda password: hashed
    try:
        with session_scope(Actor("bench", "admin"), url=url) as s:
            auth.create_user(s, ADMIN, "基准测试管理员", "admin", None, PASSWORD)
            auth.create_user(s, REVIEWER, "基准测试审核员", "reviewer", None, PASSWORD)
            for county in load_counties():
                auth.create_user(s, staff_of(county.code), f"{county.name}工作人员", "staff", county.code,
                                 PASSWORD)
    finally:
        auth.hash_password = real


def staff_of(county: str) -> str:
    return f"bench_staff_{county}"


def counts(url: str) -> dict[str, int]:
    """Rows of each of TABLES, and of them the pending requests."""
    from sqlalchemy import text

    from core.data.db import get_engine

    with get_engine(url).connect() as conn:
        found = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
        found["pending"] = conn.execute(
            text("SELECT count(*) FROM registry_change WHERE state = '待审核'")).scalar_one()
    return found


def generate(url: str, people: int, studios: int, events: int, participants: int,
             seed: int = SEED) -> dict[str, int]:
    """Fill the (new, empty) database at ``url`` with every plugin's data for one scale;
    the row count of each table. Needs JIANGXIN_DATABASE_URL (and the plugin settings) set
    as the app would have them for ``url``: the plugins' code reads the database it names."""
    import events as events_bench  # bench/events.py
    import roster as roster_bench  # bench/roster.py
    import workshops as workshops_bench  # bench/workshops.py

    from core.data.db import get_engine

    roster_bench.fill(url, people)
    if studios:
        workshops_bench.fill(url, studios)
    if events:
        events_bench.fill(url, events, participants)
    _accounts(url)
    _requests(url, seed)
    with get_engine(url).begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return counts(url)


def environment(url: str, var_dir: str) -> None:
    """The settings the plugins read for ``url``: the built-in plugins, no others."""
    os.environ.update(JIANGXIN_DATABASE_URL=url, JIANGXIN_VAR_DIR=var_dir, JIANGXIN_PLUGIN_PATH="",
                      JIANGXIN_DISABLED_PLUGINS="")
    os.environ.setdefault("JIANGXIN_COOKIE_KEY", "bench-cookie-key-0123456789abcdefghijklmnopqrstuvwxyz")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, required=True)
    parser.add_argument("--studios", type=int, default=0)
    parser.add_argument("--events", type=int, default=0)
    parser.add_argument("--participants", type=int, default=0)
    parser.add_argument("--seed", type=int, default=SEED)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", metavar="FILE", help="a new SQLite file")
    where.add_argument("--postgres", metavar="URL", help="an existing, empty PostgreSQL database")
    args = parser.parse_args()
    if args.out:
        path = Path(args.out).resolve()
        if path.exists():
            parser.error(f"{path} exists: give a new file")
        url, var_dir = f"sqlite:///{path}", str(path.parent / f"{path.stem}-var")
    else:
        url, var_dir = args.postgres, str(Path.cwd() / "var")
    environment(url, var_dir)
    t0 = time.perf_counter()
    found = generate(url, args.people, args.studios, args.events, args.participants, args.seed)
    seconds = time.perf_counter() - t0
    print(f"generated in {seconds:.1f} s: " + ", ".join(f"{t} {n:,}" for t, n in found.items()))
    print(json.dumps({"bench": "generate", "url": url if args.out else "postgresql", "seconds": round(seconds, 1),
                      "counts": found}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
