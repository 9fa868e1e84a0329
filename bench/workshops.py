"""Studios benchmark: 10,000 studios and 50,000 output rows, 工作室一览 and 成果统计 against their bare SQL.

    python bench/workshops.py                      # 10,000 studios, 50,000 output rows (make bench)
    python bench/workshops.py --studios 200        # the small run the test suite does
    python bench/workshops.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
                                          # on a scratch database made (and dropped) on that server
    python bench/workshops.py --keep studios.db    # keep the SQLite file (--fill-only: no timing)

The studios are made through the plugin's own tables (its models' metadata, SQLAlchemy Core bulk
inserts, one audit entry per table, the city's standard through ``standards.new_default_standard``):
studios across the configured counties with their leaders and members (honours as the roster
would snapshot them), funding, status changes, the city's standard and reviews for the last three
years, and five years of output for every studio.

For each query of the two pages it prints the median time through the plugin's function
(``studios.list_studios``, ``stats.output_by_county``, ``stats.ranking``,
``stats.honoured_people``) beside the median of the plugin's own statement for it
(``list_statement``, ``*_statement``), compiled once and run bare on the DBAPI connection,
in alternate rounds, and their ratio against the goal (≤ 1.5 ×). The last line is the same as JSON.
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
YEARS = 5  # years of output per studio: 10,000 studios give 50,000 output rows
REVIEW_YEARS = 3
PAGE = 50
COUNTY = "330182"  # 建德市: the county staff member's
BATCH = 5000
REPEAT = 51  # rounds per figure (--repeat)

EMPLOYERS = ("供电公司", "水务集团", "公交集团", "地铁集团", "燃气集团", "钢铁厂", "汽车零部件厂", "机床厂",
             "电机厂", "化工厂", "纺织厂", "造纸厂", "建工集团", "路桥公司", "港航公司", "人民医院",
             "中医院", "职业技术学院", "技师学院", "酒店集团", "茶业公司", "食品公司", "电子公司", "阀门厂")
TRADES = ("电气检修", "数控加工", "焊接", "钳工", "汽车维修", "电力调度", "水质检测", "管网抢修", "模具",
          "精密装配", "化工操作", "纺织工艺", "烹饪", "护理", "中药炮制", "茶艺", "软件测试", "桥梁养护",
          "隧道施工", "设备点检")
HONOURS = {"全国": ("全国劳动模范", "全国五一劳动奖章", "大国工匠", "全国先进工作者"),
           "省级": ("浙江省劳动模范", "浙江工匠", "浙江省五一劳动奖章", "浙江省先进工作者"),
           "市级": ("杭州市劳动模范", "杭州工匠", "杭州市先进工作者"),
           "区县级": ("建德金匠", "淳安工匠", "萧山工匠", "余杭工匠")}
# (honour level or None, weight): leaders are honoured more often than members
LEADER_HONOURS = (("全国", 8), ("省级", 25), ("市级", 35), ("区县级", 20), (None, 12))
MEMBER_HONOURS = (("全国", 1), ("省级", 4), ("市级", 8), ("区县级", 10), (None, 77))
KIND_WEIGHTS = (30, 30, 25, 15)  # vocab.KINDS
LEVEL_WEIGHTS = (3, 15, 32, 50)  # vocab.LEVELS: 国家级 … 区县级
LEVEL_SCALE = {"国家级": 3.0, "省级": 2.0, "市级": 1.3, "区县级": 1.0}


def _pick(rng: random.Random, pairs):
    return rng.choices([value for value, _ in pairs], weights=[weight for _, weight in pairs])[0]


def _insert(session, table, rows: list[dict]) -> None:
    from sqlalchemy import insert

    for start in range(0, len(rows), BATCH):
        session.execute(insert(table), rows[start:start + BATCH])


def fill(url: str, studios: int, seed: int = 1313) -> dict[str, int]:
    """Make the database at ``url`` (migrated by the plugins' own migrations) and fill it with
    ``studios`` studios and their people, funding, standards, reviews and ``YEARS`` years of
    output. Deterministic for a seed. Returns the row count of each table."""
    from roster import GIVEN, SURNAMES  # bench/roster.py: the roster's names
    from sqlalchemy import select

    from core.data.audit import Actor, bump_versions, record
    from core.data.db import create_database, get_engine, session_scope
    from core.data.migrate import upgrade
    from core.host.loader import get_host
    from core.settings.clock import this_year
    from core.settings.counties import load_counties
    from plugins.workshops.models import (
        Funding,
        Member,
        Output,
        Review,
        Score,
        StatusChange,
        Studio,
    )
    from plugins.workshops.standards import grade_for, new_default_standard
    from plugins.workshops.vocab import (
        ACTIVE,
        KINDS,
        LEADER,
        LEVELS,
        MEMBER,
        REMOVED,
        SUSPENDED,
    )

    create_database(url)
    upgrade(get_engine(url), get_host())
    rng = random.Random(seed)
    counties = {c.code: c.name for c in load_counties()}
    codes = list(counties)
    year = this_year()
    first_output, first_review = year - YEARS + 1, year - REVIEW_YEARS + 1
    person = iter(range(1, 10**9))
    # on a database the roster filled first (bench/generate.py): its people of the studio's county
    from generate import roster_people

    pools: dict[str, list] = {}
    for known in roster_people(url):
        pools.setdefault(known.county_code, []).append(known)
    turns = dict.fromkeys(pools, 0)

    def name() -> str:
        return rng.choice(SURNAMES)[0] + rng.choice(GIVEN)[0] + rng.choice(GIVEN)[0]

    def someone(county: str):
        """(id, name, honour, level): the county's next roster person (round the county again
        once all are taken), or a made-up one (no roster, or none in the county)."""
        if not pools.get(county):
            return next(person), name(), None, None
        pool = pools[county]
        turns[county] += 1
        known = pool[(turns[county] - 1) % len(pool)]
        return known.id, known.name, known.honour, known.honour_level

    studio_rows, plans = [], []
    for i in range(studios):
        county, kind = codes[i % len(codes)], rng.choices(KINDS, weights=KIND_WEIGHTS)[0]
        level = rng.choices(LEVELS, weights=LEVEL_WEIGHTS)[0]
        employer = f"{counties[county]}{rng.choice(EMPLOYERS)}"
        status = rng.choices((ACTIVE, SUSPENDED, REMOVED), weights=(88, 7, 5))[0]
        named = rng.randint(2005, year - 1) if status == REMOVED else rng.randint(2005, year)
        leader_id, leader_name, *leader_honour = someone(county)
        moved = status == ACTIVE and rng.random() < 0.01
        studio_rows.append({
            "name": f"{employer}{leader_name}{rng.choice(TRADES)}{kind[:-3]}工作室{i}", "kind": kind,
            "level": level, "host_employer": employer, "county_code": county, "named_year": named,
            "named_doc": f"杭工〔{named}〕{rng.randint(1, 99)}号", "status": status,
            "status_since": None if status == ACTIVE else dt.date(year - 1, 6, 30),
            "status_reason": {ACTIVE: None, SUSPENDED: "依托单位改制，暂停运行",
                              REMOVED: "连续两年评审不合格"}[status],
            "leader_id": leader_id, "leader_name": leader_name, "needs_new_leader": moved,
            "leader_issue": "领办人已调往其他区县" if moved else None})
        plans.append((leader_id, leader_name, tuple(leader_honour), rng.randint(2, 9)))

    actor = Actor("bench", "admin")
    with session_scope(actor) as s:
        _insert(s, Studio.__table__, studio_rows)
        ids = {(c, n): sid for sid, c, n in s.execute(select(Studio.id, Studio.county_code, Studio.name))}
        studio_ids = [ids[r["county_code"], r["name"]] for r in studio_rows]

        members, changes, funding, outputs = [], [], [], []
        for sid, row, (leader_id, leader_name, known, size) in zip(studio_ids, studio_rows, plans, strict=True):
            people = [(leader_id, leader_name, known, LEADER, LEADER_HONOURS)]
            people += [(pid, pname, tuple(honour), MEMBER, MEMBER_HONOURS)
                       for pid, pname, *honour in (someone(row["county_code"]) for _ in range(size))]
            seen = set()
            for pid, pname, (roster_honour, roster_level), role, honours in people:
                if pid in seen:  # a county with fewer roster people than the studio has members
                    continue
                seen.add(pid)
                level = _pick(rng, honours)
                honour = rng.choice(HONOURS[level]) if level else None
                if roster_honour:  # the roster's own honour, as the plugin snapshots it
                    honour, level = roster_honour, roster_level
                members.append({"studio_id": sid, "person_id": pid, "name": pname, "role": role,
                                "honour": honour, "honour_level": level, "deceased": rng.random() < 0.02,
                                "joined_year": rng.randint(row["named_year"], year)})
            if row["status"] != ACTIVE:
                changes.append({"studio_id": sid, "status": row["status"], "on": row["status_since"],
                                "reason": row["status_reason"], "by": actor.username})
            for y in range(year - 2, year):
                if rng.random() < 0.5:
                    funding.append({"studio_id": sid, "year": y, "amount": rng.choice((2, 3, 5, 8, 10, 20)),
                                    "note": None})
            scale = LEVEL_SCALE[row["level"]]
            for y in range(first_output, first_output + YEARS):
                apprentices = int(rng.randint(0, 12) * scale)
                technician = rng.randint(0, apprentices)
                outputs.append({
                    "studio_id": sid, "year": y, "county_code": row["county_code"],
                    "patents_invention": int(rng.randint(0, 3) * scale),
                    "patents_utility": int(rng.randint(0, 6) * scale),
                    "patents_design": rng.randint(0, 2), "innovations": int(rng.randint(0, 10) * scale),
                    "proposals_adopted": rng.randint(0, 20), "apprentices": apprentices,
                    "apprentices_technician": technician, "apprentices_senior": rng.randint(0, technician),
                    "awards": rng.randint(0, 4), "benefit": round(rng.uniform(0, 300) * scale, 1)})
        _insert(s, Member.__table__, members)
        _insert(s, StatusChange.__table__, changes)
        _insert(s, Funding.__table__, funding)
        _insert(s, Output.__table__, outputs)

        # the city's standard of each review year, through the plugin (ORM: audited as any write)
        standards = {y: new_default_standard(y) for y in range(first_review, year + 1)}
        s.add_all(standards.values())
        s.flush()
        reviews, review_scores = [], {}
        for sid, row in zip(studio_ids, studio_rows, strict=True):
            for y, std in standards.items():
                removed = row["status"] == REMOVED
                if row["named_year"] > y or (removed and y == year) or rng.random() > (0.6 if y == year else 0.9):
                    continue
                quality = 0.35 if removed else rng.uniform(0.62, 1.0)
                scores = [(c, min(c.weight, round(c.weight * rng.uniform(quality - 0.1, quality + 0.05) * 2) / 2))
                          for c in std.criteria]
                total = sum(score for _, score in scores)
                grade = grade_for(total, std.excellent_min, std.good_min, std.pass_min)
                reviews.append({"studio_id": sid, "year": y, "county_code": row["county_code"],
                                "standard_id": std.id, "standard_title": std.title,
                                "excellent_min": std.excellent_min, "good_min": std.good_min,
                                "pass_min": std.pass_min, "total": total,
                                "full_marks": sum(c.weight for c in std.criteria),
                                "grade": grade, "note": None, "reviewer": "bench_reviewer"})
                review_scores[sid, y] = scores
        _insert(s, Review.__table__, reviews)
        score_rows = [{"review_id": rid, "criterion_id": c.id, "part": c.part, "title": c.title,
                       "weight": c.weight, "score": score}
                      for rid, sid, y in s.execute(select(Review.id, Review.studio_id, Review.year))
                      for c, score in review_scores[sid, y]]
        _insert(s, Score.__table__, score_rows)

        counts = {"studios": len(studio_rows), "members": len(members), "output rows": len(outputs),
                  "reviews": len(reviews), "scores": len(score_rows), "funding": len(funding),
                  "status changes": len(changes)}
        written = {Studio: studio_rows, Member: members, StatusChange: changes, Funding: funding,
                   Output: outputs, Review: reviews, Score: score_rows}
        for model, rows in written.items():  # bulk Core inserts: one audit entry per table
            record(s, "import", table=model.__tablename__, after={"rows": len(rows)},
                   summary=f"基准测试数据：{model.__table__.info['label']} {len(rows)} 条")
        bump_versions(s, {model.__tablename__ for model in written})
    engine = get_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return counts


def count_of(stmt):
    """``SELECT count(*)`` of a statement's rows (for a list whose module has no count statement)."""
    from sqlalchemy import func, select

    return select(func.count()).select_from(stmt.order_by(None).subquery())


def paged_runner(conn, stmt, count_stmt, offset: int, limit: int):
    """The floor of one page of a list: its count and the page, each compiled once, run bare."""
    from people_search import bare_runner

    count = bare_runner(conn, count_stmt)
    page = bare_runner(conn, stmt.offset(offset).limit(limit))

    def run():
        return count(), page()
    return run


def _figure(label: str, plugin, floor, repeat: int) -> dict:
    """One figure: what ``plugin()`` finds, then its median time beside ``floor``'s (alternate rounds)."""
    from people_search import medians_ms

    found = plugin()
    shown = f"{len(found[0])} of {found[1]:,}" if isinstance(found, tuple) else f"{len(found)}"
    plugin_ms, bare_ms = medians_ms(plugin, floor, repeat=repeat)
    return {"figure": label, "rows": shown, "plugin_ms": plugin_ms, "bare_ms": bare_ms,
            "ratio": plugin_ms / bare_ms if bare_ms else float("nan")}


def list_figures(conn, s, repeat: int = REPEAT) -> list[dict]:
    """工作室一览: ``list_studios`` (count + a page of 50) against ``count_statement`` +
    ``list_statement`` run bare."""
    from core.access.auth import CurrentUser
    from core.settings.clock import this_year
    from plugins.workshops.studios import (
        ANY_STATUS,
        StudioFilter,
        count_statement,
        list_statement,
        list_studios,
    )
    from plugins.workshops.vocab import GOOD

    year = this_year()
    admin = CurrentUser("bench_admin", "bench", "admin", None)
    staff = CurrentUser("bench_staff", "bench", "staff", COUNTY)
    manager = CurrentUser("bench_manager", "bench", "manager", None)
    one = (COUNTY,)
    lists = [
        # every status (摘牌 too), so the count is every studio generated
        ("whole city (admin)", admin, StudioFilter(status=ANY_STATUS), 0),
        ("whole city, page 20", admin, StudioFilter(status=ANY_STATUS), 19 * PAGE),
        ("one county (its staff)", staff, StudioFilter(counties=one), 0),
        ("劳模创新工作室 + 良好 this year, whole city", manager,
         StudioFilter(kind="劳模创新工作室", grade=GOOD, year=year), 0),
        ("劳模创新工作室 + 良好 this year, one county", staff,
         StudioFilter(counties=one, kind="劳模创新工作室", grade=GOOD, year=year), 0),
        ("name contains 电气检修, whole city", admin, StudioFilter(text="电气检修"), 0),
    ]
    return [_figure(f"工作室一览: {label}", lambda u=user, f=flt, o=offset: list_studios(s, u, f, o, PAGE),
                    paged_runner(conn, list_statement(flt), count_statement(flt), offset, PAGE), repeat)
            for label, user, flt, offset in lists]


def stats_figures(conn, s, repeat: int = REPEAT) -> list[dict]:
    """成果统计: ``output_by_county``, ``output_by_year``, ``ranking`` and ``honoured_people``
    against their ``*_statement`` run bare (for the honoured people: the count and the page)."""
    from people_search import bare_runner

    from core.settings.clock import this_year
    from plugins.workshops import stats

    year = this_year() - 1  # the last whole year
    rows = []
    for where, counties in (("whole city", None), ("one county", (COUNTY,))):
        rows.append(_figure(f"成果统计: output by county, {year}, {where}",
                            lambda c=counties: stats.output_by_county(s, c, year),
                            bare_runner(conn, stats.output_by_county_statement(counties, year)), repeat))
        rows.append(_figure(f"成果统计: output by year, {YEARS} years, {where}",
                            lambda c=counties: stats.output_by_year(s, c),
                            bare_runner(conn, stats.output_by_year_statement(counties)), repeat))
        for measure in ("patents", "benefit"):
            rows.append(_figure(f"成果统计: ranking by {measure}, top 20, {where}",
                                lambda c=counties, m=measure: stats.ranking(s, c, year, m),
                                bare_runner(conn, stats.ranking_statement(counties, year, measure)), repeat))
        for level in (None, "全国"):
            rows.append(_figure(f"成果统计: honoured people{', 全国' if level else ''}, {where}",
                                lambda c=counties, lv=level: stats.honoured_people(s, c, lv, 0, PAGE),
                                paged_runner(conn, stats.honoured_people_statement(counties, level),
                                             stats.count_honoured_statement(counties, level), 0, PAGE), repeat))
    return rows


def measure(repeat: int = REPEAT) -> list[dict]:
    """Each query of 工作室一览 and 成果统计, on one connection for the bare SQL and one read
    session for the plugin."""
    from core.data.db import get_engine, read_session

    with get_engine().connect() as conn, read_session() as s:
        return list_figures(conn, s, repeat) + stats_figures(conn, s, repeat)


def counts_of(url: str) -> dict[str, int]:
    """The rows a database (bench/generate.py's) already holds, as ``fill`` returns them."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        found = {"studios": conn.execute(text("SELECT count(*) FROM workshops_studio")).scalar_one(),
                 "output rows": conn.execute(text("SELECT count(*) FROM workshops_output")).scalar_one()}
    engine.dispose()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studios", type=int, default=10_000)
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
               else stack.enter_context(bench_database(args, tmp, "studios.db")))
        os.environ.update(JIANGXIN_DATABASE_URL=url, JIANGXIN_VAR_DIR=f"{tmp}/var",
                          JIANGXIN_PLUGIN_PATH="", JIANGXIN_DISABLED_PLUGINS="")
        t0 = time.perf_counter()
        counts = counts_of(url) if args.database else fill(url, args.studios)
        kind = "PostgreSQL" if args.postgres else "SQLite, WAL"
        print(f"{'read' if args.database else 'filled'} in {time.perf_counter() - t0:.1f} s ({kind}): "
              + ", ".join(f"{n:,} {what}" for what, n in counts.items()) + "\n")
        if args.fill_only:
            return 0
        rows = measure(args.repeat)
        print(f"| figure (page of {PAGE}, medians) | rows | plugin (ms) | bare SQL (ms) | ratio |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for r in rows:
            print(f"| {r['figure']} | {r['rows']} | {r['plugin_ms']:.2f} | {r['bare_ms']:.2f} | {r['ratio']:.2f} |")
        missed = [r["figure"] for r in rows if not r["ratio"] <= GOAL]
        worst = max(r["ratio"] for r in rows)
        print(f"\nworst ratio plugin / bare SQL: {worst:.2f} (goal ≤ {GOAL}): "
              + ("met" if not missed else "missed by " + "; ".join(missed)))
        print(json.dumps({"bench": "workshops", "database": kind, "studios": counts["studios"],
                          "output_rows": counts["output rows"], "goal": GOAL, "worst_ratio": round(worst, 3),
                          "figures": [{k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}
                                      for r in rows]}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
