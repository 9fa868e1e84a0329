"""Events benchmark: 50,000 sessions and 2,000,000 attendance rows, 日程 and 参与统计 against their bare SQL.

    python bench/events.py                         # 50,000 events, 2,000,000 participants (make bench)
    python bench/events.py --events 600 --participants 24000 --repeat 3   # the test suite's run
    python bench/events.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
                                          # on a scratch database made (and dropped) on that server
    python bench/events.py --keep events.db        # keep the SQLite file (--fill-only: no timing)

The database is migrated by the plugins' own migrations (the events' default kinds with it);
the events and their participants go straight into the plugin's tables in bulk (SQLite: the
driver's ``executemany`` with the participant indexes built after the load; PostgreSQL: ``COPY``),
one audit entry per table. Ten years of events end with this one: the city's academy and every
configured county, the plan kinds and the rest, held (with attendance), cancelled, a few never
signed in, planned ahead; 200,000 people invited from their county's (and the academy from
everyone), some keener than others.

Each figure times the plugin's function (``events.list_events`` for the first page,
``events.month_counts`` for a month, ``stats.person_participation`` for the first page,
``stats.county_participation`` for a year) beside *the same SQL*: the statements the function
sent to the database, captured from the engine on a first call, then run on the DBAPI connection
as they were sent, with nothing in between. Medians of alternate rounds; the goal is each ≤ 1.5 ×.
The last line is the same as JSON.
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

GOAL = 1.5
YEARS = 10  # years of events, ending with this one
PEOPLE = 200_000
COUNTY = "330182"  # 建德市: the county staff member's
PAGE = 50
BATCH = 20_000  # participant rows per executemany / per COPY flush
REPEAT = 15  # rounds per figure (--repeat)
CITY_SHARE = 0.08  # of the events, the academy's (city-wide)

# kind, weight (the plan's sessions are the most frequent)
KINDS = (("事迹宣讲", 14), ("技术培训", 20), ("素质提升班", 8), ("交流活动", 3), ("劳动教育", 10),
         ("书画摄影展", 3), ("展示交流", 5), ("高峰访谈", 2), ("座谈会", 8), ("专场演出", 2),
         ("创新创效市集", 4), ("宣讲", 12), ("金锤子志愿服务", 9))
TRAINING = {"事迹宣讲", "技术培训", "素质提升班", "交流活动"}
TOPICS = ("数控加工", "电力检修", "焊接工艺", "精密装配", "智能制造", "水电运维", "茶叶制作", "汽车维修",
          "电梯维保", "轨道交通", "劳模精神", "工匠精神", "安全生产", "职工创新")
EMPLOYERS = ("供电公司", "水务集团", "公交集团", "地铁集团", "钢铁厂", "机床厂", "人民医院", "技师学院",
             "茶业公司", "电子公司")
HONOURS = (None, None, None, None, "杭州工匠", "杭州市劳动模范", "浙江工匠", "浙江省劳动模范", "全国劳动模范")


def _stamp(value: dt.datetime) -> str:
    """A naive datetime as SQLAlchemy's SQLite DateTime stores it (compared as text)."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _people(rng: random.Random, codes: list[str], url: str) -> tuple[list[tuple], dict[str, range]]:
    """(person id, name, county, employer, honour) snapshots at places 1…, each county's range of
    places: the roster's people where the roster was filled first (bench/generate.py), else
    PEOPLE made up, ids 1…"""
    from generate import roster_people
    from roster import GIVEN, SURNAMES  # bench/roster.py: the roster's names

    known = roster_people(url)  # by county, then id
    if known:
        people, ranges, at = [None], {}, 1
        for code in codes:
            mine = [p for p in known if p.county_code == code]
            people += [(p.id, p.name, p.county_code, p.employer, p.honour) for p in mine]
            ranges[code] = range(at, at + len(mine))
            at += len(mine)
        return people, ranges
    per = PEOPLE // len(codes)
    ranges = {code: range(1 + i * per, 1 + (i + 1) * per) for i, code in enumerate(codes)}
    people = [None]  # ids from 1
    for code in codes:
        for _ in ranges[code]:
            name = rng.choice(SURNAMES)[0] + rng.choice(GIVEN)[0] + rng.choice(GIVEN)[0]
            people.append((len(people), name, code, rng.choice(EMPLOYERS), rng.choice(HONOURS)))
    return people, ranges


def _events(rng: random.Random, n: int, codes: list[str], counties: dict[str, str], now: dt.datetime,
            city: str) -> list[dict]:
    """``n`` events over YEARS years ending this one, in order of time, ids 1…n."""
    first = dt.datetime(now.year - YEARS + 1, 1, 1)
    span = (dt.datetime(now.year + 1, 1, 1) - first).days
    kinds, weights = zip(*KINDS, strict=True)
    days = sorted(rng.randrange(span) for _ in range(n))
    events = []
    for i, day in enumerate(days, 1):
        code = "" if rng.random() < CITY_SHARE else rng.choice(codes)
        kind = rng.choices(kinds, weights)[0]
        start = first + dt.timedelta(days=day, hours=rng.choice((9, 10, 14, 15)))
        hours = rng.choice((2, 3, 3, 4, 6))
        end = start + dt.timedelta(hours=hours)
        if end < now:
            roll = rng.random()
            status = "取消" if roll < 0.03 else "计划" if roll < 0.05 else "已举办"
        else:
            status = "计划"
        where = counties[code] if code else city
        events.append({
            "id": i, "kind": kind, "title": f"{where}{rng.choice(TOPICS)}{kind}（第{i}期）",
            "organiser": f"{where}总工会" if code else f"{city}劳模工匠学院", "county_code": code,
            "place": f"{where}职工服务中心", "starts_at": start, "ends_at": end,
            "capacity": rng.choice((None, 40, 60, 80, 120)), "class_hours": float(hours) if kind in TRAINING else None,
            "series": f"926工匠日 {start.year}" if (start.month, start.day) == (9, 26) else None,
            "status": status, "status_reason": "天气原因取消" if status == "取消" else None,
            "summary": None, "created_by": "bench", "created_at": start - dt.timedelta(days=30)})
    return events


def _participants(rng: random.Random, events: list[dict], total: int, people: list[tuple],
                  ranges: dict[str, range], now: dt.datetime):
    """About ``total`` participant rows (tuples in PARTICIPANT_COLUMNS order), yielded in batches.
    Each event invites from its county's people (the academy's from everyone); attendance for
    held events, none for the rest; a lecturer first for training sessions."""
    # sizes drawn around the mean, then scaled to add up to ``total`` exactly
    drawn = [rng.uniform(0.3, 1.7) for _ in events]
    scale = total / sum(drawn)
    sizes = [int(d * scale) for d in drawn]
    for i in range(total - sum(sizes)):
        sizes[i % len(sizes)] += 1
    everyone = range(1, len(people))
    marks, weights = ("出席", "缺席", "请假", None), (84, 8, 6, 2)
    next_id, batch = 1, []
    for number, (event, size) in enumerate(zip(events, sizes, strict=True)):
        pool = ranges[event["county_code"]] if event["county_code"] else everyone
        size = min(size, len(pool))
        chosen = rng.sample(pool, size)
        held = event["status"] == "已举办"
        attendance = rng.choices(marks, weights, k=size) if held else [None] * size
        invited_at = event["starts_at"] - dt.timedelta(days=10)
        signed = event["starts_at"] + dt.timedelta(minutes=5)
        for j, (pid, mark) in enumerate(zip(chosen, attendance, strict=True)):
            person_id, name, county, employer, honour = people[pid]
            role = "讲师" if j == 0 and event["kind"] in TRAINING else "学员"
            batch.append((next_id, event["id"], person_id, name, county, employer, honour, role,
                          "已报名" if mark else "已邀请", mark, signed if mark else None,
                          "bench" if mark else None, False, "bench", invited_at))
            next_id += 1
        if len(batch) >= BATCH or number == len(events) - 1:
            yield batch
            batch = []


PARTICIPANT_COLUMNS = ("id", "event_id", "person_id", "name", "county_code", "employer", "honour", "role",
                       "registration", "attendance", "attendance_at", "attendance_by", "deceased",
                       "invited_by", "invited_at")
EVENT_COLUMNS = ("id", "kind", "title", "organiser", "county_code", "place", "starts_at", "ends_at",
                 "capacity", "class_hours", "series", "status", "status_reason", "summary", "created_by",
                 "created_at")
DATES = {"starts_at", "ends_at", "created_at", "attendance_at", "invited_at"}


def _write(conn, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Rows straight into ``table``: COPY on PostgreSQL, the driver's executemany on SQLite."""
    raw = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    dated = [i for i, c in enumerate(columns) if c in DATES]
    flag = columns.index("deceased") if "deceased" in columns else None

    def converted(row):
        row = list(row)
        for i in dated:
            if row[i] is not None:
                row[i] = _stamp(row[i])
        if flag is not None:
            row[flag] = int(row[flag])
        return row

    cur = raw.cursor()
    cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                    map(converted, rows))
    cur.close()


def fill(url: str, events: int, participants: int, seed: int = 1414) -> dict[str, int]:
    """Make the database at ``url`` (migrated by the plugins' own migrations) and fill it with
    ``events`` events and ``participants`` participant rows. Deterministic for a seed (and the
    day). Returns the row count of each table."""
    from sqlalchemy import text

    from core.data.audit import Actor, bump_versions, record
    from core.data.db import create_database, get_engine, session_scope
    from core.data.migrate import upgrade
    from core.host.loader import get_host
    from core.settings.counties import city_name, load_counties
    from plugins.events.models import Event, Participant
    from plugins.events.queries import now_wall

    create_database(url)
    engine = get_engine(url)
    upgrade(engine, get_host())
    rng = random.Random(seed)
    counties = {c.code: c.name for c in load_counties()}
    codes = list(counties)
    now = now_wall()
    people, ranges = _people(rng, codes, url)
    event_rows = _events(rng, events, codes, counties, now, city_name())

    table = Participant.__table__
    with session_scope(Actor("bench", "admin"), url=url) as s:
        conn = s.connection()
        _write(conn, "events_event", EVENT_COLUMNS, [tuple(e[c] for c in EVENT_COLUMNS) for e in event_rows])
        for index in table.indexes:  # built once after the load: far faster than row by row
            index.drop(conn)
        made = 0
        for batch in _participants(rng, event_rows, participants, people, ranges, now):
            _write(conn, "events_participant", PARTICIPANT_COLUMNS, batch)
            made += len(batch)
        for index in table.indexes:
            index.create(conn)
        if conn.dialect.name == "postgresql":  # the ids were given: move the sequences past them
            for name in ("events_event", "events_participant"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                  f"(SELECT max(id) FROM {name}))"))
        counts = {"events": len(event_rows), "participants": made}
        for model, n in ((Event, len(event_rows)), (Participant, made)):
            record(s, "import", table=model.__tablename__, after={"rows": n},
                   summary=f"基准测试数据：{model.__table__.info['label']} {n} 条")
        bump_versions(s, {"events_event", "events_participant"})
    with engine.begin() as c:
        c.exec_driver_sql("ANALYZE")
    counts["held"] = sum(e["status"] == "已举办" for e in event_rows)
    return counts


# --- timing -----------------------------------------------------------------------------------------

@contextlib.contextmanager
def capturing(engine):
    """Every statement the engine sends while inside, as (SQL text, parameters) as sent."""
    from sqlalchemy import event

    sent: list[tuple[str, object]] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def bare_replay(conn, sent: list[tuple[str, object]]):
    """The captured statements run on the DBAPI connection as they were sent: the floor."""
    raw = conn.connection.dbapi_connection

    def run():
        rows = []
        for sql, params in sent:
            cur = raw.cursor()
            cur.execute(sql, params)
            rows.append(cur.fetchall())
            cur.close()
        return rows
    return run


def _figure(label: str, plugin, engine, conn, repeat: int) -> dict:
    """One figure: the plugin's call (its statements captured on the first), then its median
    beside the bare replay's, in alternate rounds."""
    from people_search import medians_ms

    with capturing(engine) as sent:
        found = plugin()
    sent = [(sql, params) for sql, params in sent if sql.lstrip().upper().startswith(("SELECT", "WITH"))]
    shown = f"{len(found[0])} of {found[1]:,}" if isinstance(found, tuple) else f"{len(found)}"
    plugin_ms, bare_ms = medians_ms(plugin, bare_replay(conn, sent), repeat=repeat)
    return {"figure": label, "rows": shown, "statements": len(sent), "plugin_ms": plugin_ms,
            "bare_ms": bare_ms, "ratio": plugin_ms / bare_ms if bare_ms else float("nan")}


def measure(repeat: int = REPEAT) -> list[dict]:
    """日程 and 参与统计, each figure through one read session (the plugin) and one connection
    (the bare SQL) of the same engine."""
    from core.access.auth import CurrentUser
    from core.data.db import get_engine, read_session
    from plugins.events import events as ev
    from plugins.events import stats
    from plugins.events.queries import now_wall

    engine = get_engine()
    admin = CurrentUser("bench_admin", "bench", "admin", None)
    staff = CurrentUser("bench_staff", "bench", "staff", COUNTY)
    manager = CurrentUser("bench_manager", "bench", "manager", None)
    now = now_wall()
    year = now.year - 1  # the last whole year
    month = (now.year, now.month)
    everything = ev.EventFilter()
    rows = []
    with engine.connect() as conn, read_session() as s:
        calendar = [
            ("日程: list, first page, whole city (admin)", lambda: ev.list_events(s, admin, everything, 0, PAGE)),
            ("日程: list, first page, one county + city (its staff)",
             lambda: ev.list_events(s, staff, everything, 0, PAGE)),
            ("日程: list, first page, 素质提升班 已举办, whole city",
             lambda: ev.list_events(s, manager, ev.EventFilter(kind="素质提升班", status="已举办"), 0, PAGE)),
            ("日程: list, first page, title contains 焊接, whole city",
             lambda: ev.list_events(s, admin, ev.EventFilter(text="焊接"), 0, PAGE)),
            (f"日程: month {month[0]}-{month[1]:02d}, whole city (admin)",
             lambda: ev.month_counts(s, admin, *month, everything)),
            (f"日程: month {month[0]}-{month[1]:02d}, one county + city (its staff)",
             lambda: ev.month_counts(s, staff, *month, everything)),
        ]
        participation = [
            (f"参与统计: people, first page, {year}, whole city (admin)",
             lambda: stats.person_participation(s, admin, year, None, 0, PAGE)),
            (f"参与统计: people, first page, {year}, one county (its staff)",
             lambda: stats.person_participation(s, staff, year, None, 0, PAGE)),
            (f"参与统计: per county, {year}, whole city (admin)",
             lambda: stats.county_participation(s, admin, year)),
            (f"参与统计: per county, {year}, one county + city (its staff)",
             lambda: stats.county_participation(s, staff, year)),
        ]
        for label, plugin in calendar + participation:
            rows.append(_figure(label, plugin, engine, conn, repeat))
    return rows


def counts_of(url: str) -> dict[str, int]:
    """The rows a database (bench/generate.py's) already holds, as ``fill`` returns them."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        one = lambda sql: conn.execute(text(sql)).scalar_one()  # noqa: E731
        found = {"events": one("SELECT count(*) FROM events_event"),
                 "participants": one("SELECT count(*) FROM events_participant"),
                 "held": one("SELECT count(*) FROM events_event WHERE status = '已举办'")}
    engine.dispose()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--participants", type=int, default=2_000_000)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server to run on instead of SQLite")
    parser.add_argument("--keep", metavar="FILE", help="fill this (new) SQLite file and keep it")
    parser.add_argument("--fill-only", action="store_true", help="make the data, time nothing")
    parser.add_argument("--database", metavar="FILE",
                        help="time on this SQLite file (bench/generate.py's), filling nothing")
    parser.add_argument("--repeat", type=int, default=REPEAT, help="rounds per figure (medians)")
    args = parser.parse_args()

    from people_search import bench_database

    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        url = (f"sqlite:///{Path(args.database).resolve()}" if args.database
               else stack.enter_context(bench_database(args, tmp, "events.db")))
        os.environ.update(JIANGXIN_DATABASE_URL=url, JIANGXIN_VAR_DIR=f"{tmp}/var",
                          JIANGXIN_PLUGIN_PATH="", JIANGXIN_DISABLED_PLUGINS="")
        t0 = time.perf_counter()
        counts = counts_of(url) if args.database else fill(url, args.events, args.participants)
        kind = "PostgreSQL" if args.postgres else "SQLite, WAL"
        print(f"{'read' if args.database else 'filled'} in {time.perf_counter() - t0:.1f} s ({kind}): {counts['events']:,} events "
              f"({counts['held']:,} held), {counts['participants']:,} participants\n")
        if args.fill_only:
            return 0
        rows = measure(args.repeat)
        print(f"| figure (page of {PAGE}, medians of {args.repeat}) | rows | statements | plugin (ms) "
              "| bare SQL (ms) | ratio |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for r in rows:
            print(f"| {r['figure']} | {r['rows']} | {r['statements']} | {r['plugin_ms']:.2f} | "
                  f"{r['bare_ms']:.2f} | {r['ratio']:.2f} |")
        missed = [r["figure"] for r in rows if not r["ratio"] <= GOAL]
        worst = max(r["ratio"] for r in rows)
        print(f"\nworst ratio plugin / bare SQL: {worst:.2f} (goal ≤ {GOAL}): "
              + ("met" if not missed else "missed by " + "; ".join(missed)))
        print(json.dumps({"bench": "events", "database": kind, "events": counts["events"],
                          "participants": counts["participants"], "goal": GOAL, "worst_ratio": round(worst, 3),
                          "figures": [{k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}
                                      for r in rows]}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
