"""The studios' demo data: consistent with the roster's demo people, 建德市 like 长兴 (12 studios,
17 national honourees), reviews scored per criterion, the same for the same seed, and loading
with the roster disabled. Checked in raw SQL on the database file."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from zoneinfo import ZoneInfo

from sqlalchemy import make_url

from core.data.audit import Actor

JIANDE = "330182"
# the demo's years count back from this year (as the demo template was made)
THIS_YEAR = dt.datetime.now(ZoneInfo("Asia/Shanghai")).year
LAST, BEFORE = THIS_YEAR - 1, THIS_YEAR - 2
TABLES = ("workshops_studio", "workshops_member", "workshops_status_change", "workshops_funding",
          "workshops_standard", "workshops_criterion", "workshops_review", "workshops_score", "workshops_output")


def path_of(url: str) -> str:
    return make_url(url).database


def sql(path: str, query: str, *args):
    with sqlite3.connect(path) as conn:
        return conn.execute(query, args).fetchall()


def one(path: str, query: str, *args):
    return sql(path, query, *args)[0][0]


def dump(path: str) -> dict[str, list[tuple]]:
    """Every studio table's rows, in id order."""
    return {t: sql(path, f"SELECT * FROM {t} ORDER BY id") for t in TABLES}


def load_demo(url: str, seed: int = 7) -> float:
    """The studios' demo hook called on ``url`` as the app calls it; the seconds it took."""
    from faker import Faker

    from core.data.db import session_scope
    from plugins.workshops import jiangxin_demo_data

    faker = Faker("zh_CN")
    faker.seed_instance(seed)
    started = time.perf_counter()
    with session_scope(Actor("fixture", "admin"), url=url) as session:
        jiangxin_demo_data(session=session, faker=faker, seed=seed)
    return time.perf_counter() - started


def test_jiande_has_12_studios_with_17_national_honourees_from_the_roster(studios_db):
    db = path_of(studios_db)
    assert one(db, "SELECT count(*) FROM workshops_studio WHERE county_code = ?", JIANDE) == 12
    honourees = one(db, """SELECT count(DISTINCT m.person_id) FROM workshops_member m
                           JOIN workshops_studio s ON s.id = m.studio_id
                           JOIN registry_honour h ON h.person_id = m.person_id
                           WHERE s.county_code = ? AND h.level = '全国'""", JIANDE)
    assert honourees == 17
    # they are 建德's own people, living, and their snapshots say 全国
    rows = sql(db, """SELECT p.county_code, p.status, m.honour_level FROM workshops_member m
                      JOIN workshops_studio s ON s.id = m.studio_id JOIN registry_person p ON p.id = m.person_id
                      WHERE s.county_code = ? AND EXISTS (SELECT 1 FROM registry_honour h
                      WHERE h.person_id = p.id AND h.level = '全国')""", JIANDE)
    assert {(c, lv) for c, _, lv in rows} == {(JIANDE, "全国")}
    assert all(status != "去世" for _, status, _ in rows)


def test_studios_are_made_of_the_rosters_people(studios_db):
    db = path_of(studios_db)
    counties = {c for (c,) in sql(db, "SELECT DISTINCT county_code FROM workshops_studio")}
    from core.settings.counties import load_counties

    assert counties == {c.code for c in load_counties()}
    assert 200 <= one(db, "SELECT count(*) FROM workshops_studio") <= 400
    # a leader and 3 to 10 members each
    sizes = sql(db, "SELECT sum(role = '领办人'), sum(role = '成员') FROM workshops_member GROUP BY studio_id")
    assert all(leaders == 1 and 3 <= members <= 10 for leaders, members in sizes)
    # the snapshot is the roster's name; members are of the studio's county; the host is the leader's employer
    assert one(db, """SELECT count(*) FROM workshops_member m JOIN registry_person p ON p.id = m.person_id
                      WHERE p.name != m.name""") == 0
    assert one(db, "SELECT count(*) FROM workshops_member WHERE person_id IS NULL") == 0
    assert one(db, """SELECT count(*) FROM workshops_member m JOIN workshops_studio s ON s.id = m.studio_id
                      JOIN registry_person p ON p.id = m.person_id WHERE p.county_code != s.county_code""") == 0
    assert one(db, """SELECT count(*) FROM workshops_studio s JOIN registry_person p ON p.id = s.leader_id
                      WHERE s.host_employer != p.employer""") == 0
    # one studio's leader died (the roster says so): flagged 需更换领办人
    flagged = sql(db, """SELECT s.county_code, p.status, s.leader_issue FROM workshops_studio s
                         JOIN registry_person p ON p.id = s.leader_id WHERE s.needs_new_leader = 1""")
    assert flagged == [(JIANDE, "去世", "领办人已去世")]
    assert one(db, "SELECT count(*) FROM workshops_member m JOIN registry_person p ON p.id = m.person_id "
                   "WHERE m.deceased != (p.status = '去世')") == 0


def test_reviews_are_scored_per_criterion_against_their_years_standard(studios_db):
    db = path_of(studios_db)
    standards = sql(db, "SELECT year, county_code FROM workshops_standard ORDER BY year, county_code")
    assert standards == [(BEFORE, ""), (LAST, ""), (THIS_YEAR, ""), (THIS_YEAR, JIANDE)]
    assert {w for (w,) in sql(db, "SELECT sum(weight) FROM workshops_criterion GROUP BY standard_id")} == {100.0}
    # the totals are the scores' sums, each score within its weight, the grade by the thresholds
    bad = sql(db, """SELECT r.id FROM workshops_review r JOIN workshops_score s ON s.review_id = r.id
                     GROUP BY r.id HAVING abs(sum(s.score) - r.total) > 0.001 OR max(s.score > s.weight) = 1
                     OR min(s.score) < 0 OR count(*) != 10""")
    assert bad == []
    assert one(db, """SELECT count(*) FROM workshops_review WHERE grade != CASE WHEN total >= excellent_min
                      THEN '优秀' WHEN total >= good_min THEN '良好' WHEN total >= pass_min THEN '合格'
                      ELSE '不合格' END""") == 0
    # 建德's reviews of this year use 建德's own standard; everyone else's the city's of their year
    assert one(db, """SELECT count(*) FROM workshops_review r JOIN workshops_standard st ON st.id = r.standard_id
                      WHERE st.year != r.year OR st.county_code != CASE WHEN r.county_code = '330182'
                      AND r.year = ? THEN '330182' ELSE '' END""", THIS_YEAR) == 0
    # most studios reviewed the last two years, about half this year: the rest are due
    running = one(db, "SELECT count(*) FROM workshops_studio WHERE status = '运行' AND named_year <= ?", THIS_YEAR)
    this_year = one(db, "SELECT count(*) FROM workshops_review WHERE year = ?", THIS_YEAR)
    assert 0.3 * running < this_year < 0.7 * running
    assert one(db, "SELECT count(*) FROM workshops_review WHERE year = ?", LAST) > 0.9 * running
    # every grade occurs; a few studios failed two years running (摘牌 proposed, or done)
    assert {g for (g,) in sql(db, "SELECT DISTINCT grade FROM workshops_review")} == {"优秀", "良好", "合格", "不合格"}
    twice = sql(db, """SELECT s.status FROM workshops_studio s WHERE (SELECT grade FROM workshops_review
                       WHERE studio_id = s.id AND year = ?) = '不合格' AND (SELECT grade FROM workshops_review
                       WHERE studio_id = s.id AND year = ?) = '不合格'""", BEFORE, LAST)
    assert sorted(s for (s,) in twice) == ["摘牌"] * 3 + ["运行"] * 4


def test_statuses_output_and_funding(studios_db):
    db = path_of(studios_db)
    statuses = dict(sql(db, "SELECT status, count(*) FROM workshops_studio GROUP BY status"))
    assert statuses["暂停"] > 0 and statuses["摘牌"] > 0
    # every studio suspended or removed has the change recorded, with the studio's date and reason
    assert one(db, """SELECT count(*) FROM workshops_studio s WHERE s.status != '运行' AND NOT EXISTS (SELECT 1
                      FROM workshops_status_change c WHERE c.studio_id = s.id AND c.status = s.status
                      AND c."on" = s.status_since AND c.reason = s.status_reason)""") == 0
    years = dict(sql(db, "SELECT year, count(*) FROM workshops_output GROUP BY year"))
    assert set(years) == {BEFORE, LAST, THIS_YEAR}
    assert one(db, "SELECT count(*) FROM workshops_output o JOIN workshops_studio s ON s.id = o.studio_id "
                   "WHERE o.county_code != s.county_code OR o.year < s.named_year") == 0
    assert one(db, "SELECT count(*) FROM workshops_output WHERE apprentices_technician > apprentices") == 0
    assert one(db, "SELECT count(*) FROM workshops_funding") > 0
    # the load is one audit entry
    [(summary,)] = sql(db, "SELECT summary FROM core_audit_log WHERE table_name = 'workshops_studio' AND action = 'import'")
    assert summary.startswith("演示数据：")


def test_it_loads_with_the_roster_disabled_the_same_for_the_same_seed(studios_alone, tmp_path):
    from core.data.db import create_database, get_engine
    from core.data.migrate import upgrade
    from core.host.loader import get_host
    from core.host.people import people_available

    assert not people_available()
    seconds = load_demo(studios_alone)
    assert seconds < 3
    db = path_of(studios_alone)
    # typed people, no ids; 建德 still like 长兴 by their own honours
    assert one(db, "SELECT count(*) FROM workshops_member WHERE person_id IS NOT NULL") == 0
    assert one(db, "SELECT count(*) FROM workshops_studio WHERE county_code = ?", JIANDE) == 12
    assert one(db, """SELECT count(DISTINCT m.name) FROM workshops_member m JOIN workshops_studio s
                      ON s.id = m.studio_id WHERE s.county_code = ? AND m.honour_level = '全国'""", JIANDE) == 17
    assert one(db, "SELECT count(*) FROM workshops_studio WHERE needs_new_leader = 1") == 1
    # a second database, the same seed: the same studios, people, reviews, output
    other = f"sqlite:///{tmp_path / 'second.db'}"
    create_database(other)
    upgrade(get_engine(other), get_host())
    load_demo(other)
    assert dump(path_of(other)) == dump(db)
    # another seed: other data
    third = f"sqlite:///{tmp_path / 'third.db'}"
    create_database(third)
    upgrade(get_engine(third), get_host())
    load_demo(third, seed=8)
    assert dump(path_of(third))["workshops_studio"] != dump(db)["workshops_studio"]


def test_a_second_load_over_the_roster_gives_the_same_studios(studios_db):
    db = path_of(studios_db)
    before = dump(db)
    with sqlite3.connect(db) as conn:
        for table in reversed(TABLES):
            conn.execute(f"DELETE FROM {table}")
    load_demo(studios_db)
    assert dump(db) == before
