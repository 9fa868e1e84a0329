"""core.host.people.list_people: the roster's people by county, honour level and life, a page at
a time, with a SQL exclusion (what an invitation from a roster search and "never invited" use).
Oracles are raw SQL on registry_person and registry_honour."""

from __future__ import annotations

from sqlalchemy import text

from core.access.auth import CurrentUser
from core.data.db import get_engine, read_session
from core.host.people import PeopleQuery, list_people
from tests.helpers import ACCOUNTS

USERS = {a[0]: CurrentUser(a[0], a[1], a[2], a[3]) for a in ACCOUNTS}


def _oracle(url, county=None, level=None, living=True) -> list[int]:
    sql = "SELECT p.id FROM registry_person p WHERE 1=1"
    params = {}
    if county:
        sql += " AND p.county_code = :county"
        params["county"] = county
    if living:
        sql += " AND p.status != '去世'"
    if level:
        sql += " AND EXISTS (SELECT 1 FROM registry_honour h WHERE h.person_id = p.id AND h.level = :level)"
        params["level"] = level
    with get_engine(url).connect() as conn:
        return sorted(conn.execute(text(sql), params).scalars())


def test_living_provincial_honourees_of_one_county_page_by_page(roster_db):
    expected = _oracle(roster_db, county="330127", level="省级")
    with get_engine(roster_db).connect() as conn:
        dead = conn.execute(text("SELECT count(*) FROM registry_person WHERE county_code='330127' AND status='去世' "
                                 "AND id IN (SELECT person_id FROM registry_honour WHERE level='省级')")).scalar()
    assert len(expected) > 3 and dead, "the demo should hold living and dead 省级 honourees in 淳安县"
    query = PeopleQuery(counties=("330127",), honour_level="省级")
    seen = []
    with read_session() as s:
        first = list_people(s, USERS["admin"], query, 0, 3)
        assert first.total == len(expected)
        for offset in range(0, first.total, 3):
            seen += list_people(s, USERS["admin"], query, offset, 3).people
    assert sorted(p.id for p in seen) == expected
    assert all(p.county_code == "330127" and not p.deceased and p.source == "registry" for p in seen)
    assert [p.name for p in seen] == sorted(p.name for p in seen)  # one county: by name


def test_county_staff_list_only_their_county_whatever_they_ask(roster_db):
    with read_session() as s:
        own = list_people(s, USERS["staff_jd"], PeopleQuery(), 0, 200)
        other = list_people(s, USERS["staff_jd"], PeopleQuery(counties=("330127",)), 0, 200)
    assert own.total == len(_oracle(roster_db, county="330182"))
    assert {p.county_code for p in own.people} == {"330182"}
    assert other.total == 0 and other.people == []


def test_excluding_is_applied_in_sql(roster_db):
    from sqlalchemy import column, select, table

    everyone = _oracle(roster_db, county="330182")
    ids = column("id")
    excluded = select(ids).select_from(table("registry_person")).where(ids % 3 == 0)  # any SQL of ids
    with read_session() as s:
        page = list_people(s, USERS["admin"], PeopleQuery(counties=("330182",), excluding=excluded), 0, 200)
    kept = [i for i in everyone if i % 3]
    assert 0 < len(kept) < len(everyone)
    assert sorted(p.id for p in page.people) == kept and page.total == len(kept)


def test_the_deceased_only_when_asked(roster_db):
    with read_session() as s:
        living = list_people(s, USERS["admin"], PeopleQuery(), 0, 0).total
        everyone = list_people(s, USERS["admin"], PeopleQuery(include_deceased=True), 0, 0).total
    assert living == len(_oracle(roster_db)) < everyone == len(_oracle(roster_db, living=False))


def test_no_people_plugin_gives_an_empty_page(events_alone):
    with read_session() as s:
        page = list_people(s, USERS["admin"], PeopleQuery(), 0, 50)
    assert page.total == 0 and page.people == []


def test_no_user_is_every_county_for_the_command_line(roster_db):
    expected = _oracle(roster_db, level="全国")
    with read_session() as s:
        total = list_people(s, None, PeopleQuery(honour_level="全国"), 0, 0).total
        found = [p.id for offset in range(0, total, 200)
                 for p in list_people(s, None, PeopleQuery(honour_level="全国"), offset, 200).people]
    assert total == len(expected) and sorted(found) == expected
