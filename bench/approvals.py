"""Approval throughput: 8 reviewers deciding distinct pending change requests at once, none lost.

    python bench/approvals.py                          # 2,000 decisions by 8 threads (+ 2,000 by one)
    python bench/approvals.py --requests 40 --people 400 --rounds 1   # the test suite's run
    python bench/approvals.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
                                       # on a scratch database made (and dropped) on that server
    python bench/approvals.py --keep approvals.db      # keep the SQLite file
    python bench/approvals.py --database m.db          # decide in a copy of bench/generate.py's file

The data is bench/generate.py's (``--people``, and ``--studios``, ``--events``, ``--participants``
for the plugins that react to an approval), or bench/roster.py's fill where that is missing
(or with ``--roster-only``). Then county staff file 2 × ``--requests`` (+ 2 × ``--threads``)
pending requests (待审核) through ``plugins.registry.changes.submit_*``: new people with an
honour, a new honour for someone on the roster, transfers, deaths, corrections, each about a
different person (none with a request open already). The threads first decide
2 × ``--threads`` of them untimed (the pool's connections opened, as a running server has them).
Then half the rest are decided by ``--threads`` threads at once (each thread a reviewer of its
own, each decision in its own ``session_scope`` as 审核队列 does it) and the other half, the
floor, by one thread, in alternate rounds. Most are approved; some are sent back (退回修改) and
some rejected. A decision that meets 'database is locked' (or a PostgreSQL deadlock or
serialization failure) is retried and counted; any other exception is a failure.

Then every request is checked: decided exactly once (its state, one decision step in its history,
one decision entry in the audit log, by the reviewer who took it), each approval applied (the new
person and their honour, the honour, the county, the death, the correction) and audited once
(registry_person create or update, registry_honour create), nothing applied or audited for the
rest. Goal: ≥ 200 decisions a second on SQLite with the threads, none lost. The last line is
the same as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

GOAL_PER_S = 200  # decisions a second with the threads, on SQLite
THREADS = 8
RETRIES = 20  # attempts a decision gets when the database says it is busy
KINDS = ("新增人员", "新增荣誉", "关系转移", "去世", "信息更正")
KIND_WEIGHTS = (3, 1, 2, 1, 3)
APPROVE, SEND_BACK, REJECT = "通过", "退回修改", "驳回"
DECISION_WEIGHTS = ((APPROVE, 8), (SEND_BACK, 1), (REJECT, 1))


def _transient(exc: BaseException) -> bool:
    """The database was busy (SQLite's lock, a PostgreSQL deadlock or serialization failure):
    the decision may be tried again."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    return any(words in text for words in ("database is locked", "deadlock detected",
                                           "could not serialize", "database table is locked"))


def fill(url: str, args) -> str:
    """The data: a copy of ``--database`` (an SQLite file bench/generate.py made, copied with
    SQLite's backup, so it is left as it was), or bench/generate.py's ``generate`` (every
    plugin's, through their own code: the roster, ``--studios``, ``--events`` with
    ``--participants``, accounts, its own requests) when it is there, else bench/roster.py's
    ``fill`` (the roster alone). Says which."""
    if args.database:
        import sqlite3

        from core.data.db import sqlite_file

        source = Path(args.database).resolve()
        if not source.exists():
            raise SystemExit(f"{source} does not exist")
        with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, \
                contextlib.closing(sqlite3.connect(sqlite_file(url))) as dst:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
        return f"a copy of {source}"
    try:
        from generate import generate
    except ImportError:
        generate = None
    if generate is None or args.roster_only:
        from roster import fill as fill_roster

        fill_roster(url, args.people)
        return "bench/roster.py fill"
    os.environ.setdefault("JIANGXIN_COOKIE_KEY", "bench-cookie-key-0123456789abcdefghijklmnopqrstuvwxyz")
    generate(url, args.people, args.studios, args.events, args.participants)
    return (f"bench/generate.py: {args.studios:,} studios, {args.events:,} events, "
            f"{args.participants:,} participants")


def make_requests(count: int, seed: int = 15) -> list[dict]:
    """File ``count`` pending requests through the plugin's own submit functions, each about a
    different person, by the staff of that person's county; what each asks, for the checks."""
    from sqlalchemy import select

    from core.access.auth import CurrentUser
    from core.data.db import read_session, session_scope
    from core.settings import clock
    from core.settings.counties import load_counties
    from core.spreadsheet.cells import id_check_char
    from plugins.registry import changes
    from plugins.registry.models import ChangeRequest, Honour, Person
    from plugins.registry.vocab import HONOURS, OPEN_STATES

    rng = random.Random(seed)
    codes = [c.code for c in load_counties()]
    staff = {code: CurrentUser(f"staff_{code}", f"{code}工作人员", "staff", code) for code in codes}
    kinds = rng.choices(KINDS, KIND_WEIGHTS, k=count)
    known = Counter(k for k in kinds if k != "新增人员")
    with read_session() as s:  # the living people the requests are about, one request each
        busy = select(ChangeRequest.person_id).where(ChangeRequest.state.in_(OPEN_STATES),
                                                     ChangeRequest.person_id.is_not(None))
        people = list(s.execute(select(Person.id, Person.county_code, Person.birth_date)
                                .where(Person.status == "在职", Person.id.not_in(busy)).order_by(Person.id)
                                .limit(sum(known.values()))))
        if len(people) < sum(known.values()):
            raise SystemExit(f"the roster has {len(people)} living people: give --people at least "
                             f"{2 * sum(known.values())}")
        held: dict[int, set[str]] = {}
        for pid, name in s.execute(select(Honour.person_id, Honour.name)
                                   .where(Honour.person_id.in_([p.id for p in people]))):
            held.setdefault(pid, set()).add(name)
    people.reverse()
    today = clock.today()
    made, batch = [], 500
    for start in range(0, count, batch):
        with session_scope(staff[codes[0]].actor) as s:
            for i in range(start, min(count, start + batch)):
                kind = kinds[i]
                if kind == "新增人员":
                    code = codes[i % len(codes)]
                    birth = dt.date(1960, 1, 1) + dt.timedelta(days=i % 15000)
                    # 8xx: neither the roster's fill (0xx) nor bench/generate.py's requests (9xx)
                    first = f"{code}{birth:%Y%m%d}{800 + i // 15000 % 100:03d}"
                    number = first + id_check_char(first)
                    honour = rng.choice(list(HONOURS))
                    fields = {"name": f"新人{i}", "id_number": number, "county_code": code,
                              "employer": f"新单位{i % 300}"}
                    user = staff[code]
                    s.info["actor"] = user.actor
                    rid = changes.submit_addition(s, user, fields, honour, 2026, "新评选").id
                    made.append({"id": rid, "kind": kind, "number": number, "honour": honour,
                                 "county": code})
                    continue
                person = people.pop()
                user = staff[person.county_code]
                s.info["actor"] = user.actor
                if kind == "新增荣誉":
                    honour = rng.choice([h for h in HONOURS if h not in held.get(person.id, ())])
                    number = s.scalar(select(Person.id_number).where(Person.id == person.id))
                    rid = changes.submit_addition(s, user, {"id_number": number}, honour, 2026, "又获评").id
                    made.append({"id": rid, "kind": kind, "person": person.id, "honour": honour})
                elif kind == "关系转移":
                    to = rng.choice([c for c in codes if c != person.county_code])
                    rid = changes.submit_transfer(s, user, person.id, to, f"转入单位{i}", "工作调动").id
                    made.append({"id": rid, "kind": kind, "person": person.id, "county": to,
                                 "employer": f"转入单位{i}", "was": person.county_code})
                elif kind == "去世":
                    died = max(person.birth_date, today - dt.timedelta(days=1 + i % 300))
                    rid = changes.submit_death(s, user, person.id, died, "家属告知").id
                    made.append({"id": rid, "kind": kind, "person": person.id, "died": died})
                else:
                    rid = changes.submit_correction(s, user, person.id, {"employer": f"更正单位{i}"},
                                                    "单位名称有误").id
                    made.append({"id": rid, "kind": kind, "person": person.id, "employer": f"更正单位{i}"})
    decisions = rng.choices([d for d, _ in DECISION_WEIGHTS], [w for _, w in DECISION_WEIGHTS], k=count)
    for request, decision in zip(made, decisions, strict=True):
        request["decision"] = decision
    return made


class Tally:
    """What the threads did: decisions made (by whom), retries, failures (never swallowed)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.decided: dict[int, str] = {}  # request id -> reviewer who decided it
        self.retries = 0
        self.failures: list[str] = []


def _decide_all(reviewer, requests: list[dict], tally: Tally, start: threading.Barrier | None) -> None:
    from core.data.db import session_scope
    from plugins.registry import changes

    if start is not None:
        start.wait()
    for request in requests:
        for attempt in range(RETRIES):
            try:
                with session_scope(reviewer.actor) as s:
                    if request["decision"] == SEND_BACK:
                        changes.send_back(s, reviewer, request["id"], "请补充证明材料")
                    else:
                        changes.decide(s, reviewer, request["id"], request["decision"] == APPROVE,
                                       None if request["decision"] == APPROVE else "材料不全，不予通过")
            except Exception as exc:  # noqa: BLE001 - every one is counted, none dropped
                if _transient(exc) and attempt + 1 < RETRIES:
                    with tally.lock:
                        tally.retries += 1
                    time.sleep(0.001 * (attempt + 1))
                    continue
                with tally.lock:
                    tally.failures.append(f"request {request['id']}: {type(exc).__name__}: {exc}")
                break
            with tally.lock:
                tally.decided[request["id"]] = reviewer.username
            break


def run_threads(requests: list[dict], threads: int, tally: Tally, tag: str) -> float:
    """Decide ``requests`` with ``threads`` threads (request i goes to thread i mod threads), each
    its own reviewer; the seconds from the start signal until the last is done."""
    from core.access.auth import CurrentUser

    reviewers = [CurrentUser(f"reviewer_{tag}{n}", f"审核员{n}", "reviewer", None) for n in range(threads)]
    start = threading.Barrier(threads + 1)
    workers = [threading.Thread(target=_decide_all, args=(reviewers[n], requests[n::threads], tally, start))
               for n in range(threads)]
    for w in workers:
        w.start()
    start.wait()
    t0 = time.perf_counter()
    for w in workers:
        w.join()
    return time.perf_counter() - t0


def check(requests: list[dict], tally: Tally) -> list[str]:
    """Every way a decision could be lost or doubled: each problem found, in words."""
    from sqlalchemy import func, select

    from core.data.db import read_session
    from core.data.models import AuditEntry
    from plugins.registry.models import ChangeEvent, ChangeRequest, Honour, Person
    from plugins.registry.vocab import APPROVED, DECEASED, REJECTED, RETURNED

    state_of = {APPROVE: APPROVED, SEND_BACK: RETURNED, REJECT: REJECTED}
    audit_of = {APPROVE: "approve", SEND_BACK: "return", REJECT: "reject"}
    problems = []
    ids = [r["id"] for r in requests]
    with read_session() as s:
        rows = {r.id: r for r in s.execute(select(ChangeRequest.id, ChangeRequest.state, ChangeRequest.decided_by,
                                                  ChangeRequest.person_id).where(ChangeRequest.id.in_(ids)))}
        steps = Counter(s.execute(select(ChangeEvent.request_id, ChangeEvent.action)
                                  .where(ChangeEvent.request_id.in_(ids),
                                         ChangeEvent.action.in_((APPROVE, SEND_BACK, REJECT)))).all())
        entries = Counter(s.execute(select(AuditEntry.row_id, AuditEntry.action, AuditEntry.actor)
                                    .where(AuditEntry.table_name == "registry_change",
                                           AuditEntry.row_id.in_([str(i) for i in ids]),
                                           AuditEntry.action.in_(tuple(audit_of.values())))).all())
        people = {p.id: p for p in s.execute(select(Person.id, Person.county_code, Person.employer,
                                                    Person.status, Person.death_date, Person.id_number)
                                             .where(Person.id.in_([r.get("person") for r in requests
                                                                   if r.get("person")])))}
        numbers = {r["number"] for r in requests if r["kind"] == "新增人员"}
        new_people = {p.id_number: p.id for p in s.execute(select(Person.id, Person.id_number)
                                                           .where(Person.id_number.in_(numbers)))}
        honour_ids = {(h.person_id, h.name): h.id for h in s.execute(select(Honour.id, Honour.person_id, Honour.name).where(
            Honour.person_id.in_([r.get("person") for r in requests if r.get("person")]
                                 + list(new_people.values()))))}
        honours = set(honour_ids)
        # the roster's own writes, audited as the ORM made them: a new person, an honour, an update
        writes = Counter(s.execute(select(AuditEntry.table_name, AuditEntry.action, AuditEntry.row_id).where(
            AuditEntry.table_name.in_(("registry_person", "registry_honour")),
            AuditEntry.row_id.in_([str(i) for i in [*people, *new_people.values(), *honour_ids.values()]]),
            AuditEntry.at >= s.scalar(select(func.min(ChangeRequest.submitted_at))
                                      .where(ChangeRequest.id.in_(ids))))).all())
        total_steps = s.scalar(select(func.count()).select_from(ChangeEvent).where(
            ChangeEvent.request_id.in_(ids), ChangeEvent.action.in_((APPROVE, SEND_BACK, REJECT))))
        total_entries = sum(entries.values())
    if len(tally.decided) != len(requests):
        problems.append(f"{len(requests) - len(tally.decided)} decisions not made")
    if total_steps != len(requests):
        problems.append(f"{total_steps} decision steps in the history for {len(requests)} requests")
    if total_entries != len(requests):
        problems.append(f"{total_entries} decision entries in the audit log for {len(requests)} requests")
    for r in requests:
        rid, decision, row = r["id"], r["decision"], rows.get(r["id"])
        who = tally.decided.get(rid)
        if row is None or row.state != state_of[decision] or row.decided_by != who:
            problems.append(f"request {rid}: {row and row.state} by {row and row.decided_by}, "
                            f"expected {state_of[decision]} by {who}")
            continue
        if steps[(rid, decision)] != 1:
            problems.append(f"request {rid}: {steps[(rid, decision)]} {decision} steps in its history")
        if entries[(str(rid), audit_of[decision], who)] != 1:
            problems.append(f"request {rid}: {entries[(str(rid), audit_of[decision], who)]} audit entries")
        approved = decision == APPROVE
        person = people.get(r.get("person"))
        if r["kind"] == "新增人员":
            pid = new_people.get(r["number"])
            applied = pid is not None and (pid, r["honour"]) in honours and row.person_id == pid
        elif r["kind"] == "新增荣誉":
            applied = (r["person"], r["honour"]) in honours
        elif r["kind"] == "关系转移":
            applied = (person.county_code, person.employer) == (r["county"], r["employer"])
        elif r["kind"] == "去世":
            applied = person.status == DECEASED and person.death_date == r["died"]
        else:
            applied = person.employer == r["employer"]
        if r["kind"] in ("新增人员", "新增荣誉"):
            pid = new_people.get(r["number"]) if r["kind"] == "新增人员" else r["person"]
            audited = [("registry_honour", "create", str(honour_ids.get((pid, r["honour"]))))]
            if r["kind"] == "新增人员":
                audited.append(("registry_person", "create", str(pid)))
        else:
            audited = [("registry_person", "update", str(r["person"]))]
        if approved and any(writes[w] != 1 for w in audited) or not approved and any(writes[w] for w in audited):
            problems.append(f"request {rid} ({r['kind']}, {decision}): audit entries of its writes "
                            + ", ".join(f"{w[0]} {w[1]} ×{writes[w]}" for w in audited))
        if applied != approved:
            problems.append(f"request {rid} ({r['kind']}, {decision}): "
                            + ("not applied" if approved else "applied though not approved"))
    return problems


def measure(requests: list[dict], threads: int, rounds: int, warm: int = 0) -> dict:
    """First ``warm`` requests decided by the threads, untimed (the pool's connections opened, as a
    running server has them); then alternate rounds: a share of the rest decided by ``threads``
    threads, an equal share by one thread."""
    warming, requests = requests[:warm], requests[warm:]
    half = len(requests) // 2
    many, one = requests[:half], requests[half:]
    tallies = {"many": Tally(), "one": Tally()}
    run_threads(warming, threads, tallies["many"], "warm_")
    many = warming + many  # checked with the rest, timed not
    seconds = {"many": 0.0, "one": 0.0}
    size = -(-half // rounds)
    for n in range(rounds):
        chunks = {"many": many[warm + n * size:warm + (n + 1) * size], "one": one[n * size:(n + 1) * size]}
        for run in (("many", "one") if n % 2 == 0 else ("one", "many")):
            seconds[run] += run_threads(chunks[run], threads if run == "many" else 1,
                                        tallies[run], f"{run}{n}_")
    return {run: {"decisions": len(tallies[run].decided) - (warm if run == "many" else 0), "seconds": seconds[run],
                  "retries": tallies[run].retries, "failures": tallies[run].failures,
                  "problems": check(many if run == "many" else one, tallies[run]),
                  "requests": len(many) - warm if run == "many" else len(one)} for run in ("many", "one")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000,
                        help="decisions the threads make (one thread makes as many more: the floor)")
    parser.add_argument("--people", type=int, default=20_000,
                        help="the roster's size (bench/generate.py, or bench/roster.py's fill)")
    parser.add_argument("--studios", type=int, default=0, help="studios (bench/generate.py)")
    parser.add_argument("--events", type=int, default=0, help="events (bench/generate.py)")
    parser.add_argument("--participants", type=int, default=0, help="their participants (bench/generate.py)")
    parser.add_argument("--roster-only", action="store_true", help="bench/roster.py's fill, not generate")
    parser.add_argument("--database", metavar="FILE",
                        help="decide in a copy of this SQLite file (bench/generate.py's), not a new fill")
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--rounds", type=int, default=3, help="alternate rounds of threads and one thread")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server to run on instead of SQLite")
    parser.add_argument("--keep", metavar="FILE", help="fill this (new) SQLite file and keep it")
    args = parser.parse_args()
    if args.database and args.postgres:
        parser.error("--database is an SQLite file: not with --postgres")

    from people_search import bench_database

    with tempfile.TemporaryDirectory() as tmp, bench_database(args, tmp, "approvals.db") as url:
        os.environ.update(JIANGXIN_DATABASE_URL=url, JIANGXIN_VAR_DIR=f"{tmp}/var",
                          JIANGXIN_PLUGIN_PATH="", JIANGXIN_DISABLED_PLUGINS="")
        from sqlalchemy import func, select

        from core.data.db import get_engine, read_session
        from plugins.registry.models import Person

        kind = "PostgreSQL" if args.postgres else "SQLite, WAL"
        t0 = time.perf_counter()
        how = fill(url, args)
        if get_engine().dialect.name == "postgresql":
            with get_engine().begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        filled = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm = 2 * args.threads
        requests = make_requests(2 * args.requests + warm)
        made = time.perf_counter() - t0
        mix = Counter(r["kind"] for r in requests)
        decisions = Counter(r["decision"] for r in requests)
        with read_session() as s:
            people = s.scalar(select(func.count()).select_from(Person))
        print(f"{people:,} people ({how}) in {filled:.1f} s ({kind}); filed {len(requests):,} pending "
              f"requests through changes.submit_* in {made:.1f} s: "
              + ", ".join(f"{k} {mix[k]:,}" for k in KINDS) + "; to be "
              + ", ".join(f"{d} {decisions[d]:,}" for d, _ in DECISION_WEIGHTS) + "\n")
        result = measure(requests, args.threads, args.rounds, warm)
        many, one = result["many"], result["one"]
        print("| reviewers at once | decisions | seconds | decisions/s | ms a decision | retries | failures "
              "| lost or doubled |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for label, run in ((f"{args.threads} threads", many), ("1 thread (floor)", one)):
            run["per_s"] = run["decisions"] / run["seconds"] if run["seconds"] else 0.0
            run["ms"] = 1000 * run["seconds"] / max(run["decisions"], 1)
            print(f"| {label} | {run['decisions']:,} of {run['requests']:,} | {run['seconds']:.2f} | "
                  f"{run['per_s']:.0f} | {run['ms']:.2f} | {run['retries']} | {len(run['failures'])} "
                  f"| {len(run['problems'])} |")
        for run in (many, one):
            for line in (run["failures"] + run["problems"])[:10]:
                print(f"- {line}")
        none_lost = not (many["failures"] or many["problems"] or one["failures"] or one["problems"])
        ratio = many["ms"] / one["ms"] if one["ms"] else float("nan")
        fast = many["per_s"] >= GOAL_PER_S
        holds = none_lost and (fast or bool(args.postgres))
        goal = (f"≥ {GOAL_PER_S} decisions/s (SQLite), none lost" if not args.postgres
                else "none lost (the rate goal is SQLite's)")
        print(f"\n| figure | ms a decision | floor: one thread (ms) | ratio | goal | holds |\n"
              "| --- | ---: | ---: | ---: | --- | --- |\n"
              f"| approval decisions, {args.threads} threads ({kind}) | {many['ms']:.2f} | {one['ms']:.2f} "
              f"| {ratio:.2f} | {goal} | {'yes' if holds else 'no'} |")
        print(f"\n{args.threads} threads: {many['per_s']:.0f} decisions/s against one thread's "
              f"{one['per_s']:.0f} ({ratio:.2f} × its time a decision); none lost: "
              f"{'yes' if none_lost else 'NO'}; goal {goal}: {'met' if holds else 'missed'}")
        print(json.dumps({"bench": "approvals", "database": kind, "people": people,
                          "requests": len(requests), "threads": args.threads, "figures": [{
                              "label": f"approval decisions, {args.threads} threads ({kind})",
                              "ms": round(many["ms"], 3), "floor_ms": round(one["ms"], 3),
                              "ratio": round(ratio, 3), "goal": goal, "holds": holds,
                              "decisions": many["decisions"], "per_s": round(many["per_s"], 1),
                              "floor_per_s": round(one["per_s"], 1), "retries": many["retries"] + one["retries"],
                              "failures": len(many["failures"]) + len(one["failures"]),
                              "lost": len(many["problems"]) + len(one["problems"]), "none_lost": none_lost}]},
                         ensure_ascii=False))
    return 0 if none_lost else 1


if __name__ == "__main__":
    raise SystemExit(main())
