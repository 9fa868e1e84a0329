"""Finding part of a name or of an ID number through the roster's piece index (registry_0004):
the same people a plain substring match finds, on SQLite and PostgreSQL, kept in step by the
transaction that writes the person, and without reading the whole roster."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, func, insert, select, text, update

from core.access.auth import CurrentUser
from core.data.audit import Actor
from core.data.db import get_engine, read_session, session_scope
from plugins.registry.models import Person, PersonGram, initials
from plugins.registry.queries import PersonFilter, count_people, find_people
from tests.sheets import make_id

ADMIN = Actor("admin", "admin", None)
REVIEWER = CurrentUser("reviewer", "审核员乙", "reviewer", None)  # sees full numbers
STAFF = CurrentUser("staff", "区县用户", "staff", "330182")  # sees them masked
# names that trip a naive index: one character, a repeated one, a middle dot, Latin letters
NAMES = ["王", "林林", "王建国", "建国", "欧阳建国华", "买买提·艾力", "Anna王", "张国", "李国建"]


@pytest.fixture(params=["roster_db", "pg_roster"])
def roster(request):
    """The roster on SQLite (with its 3,000 demo people) and on PostgreSQL, plus NAMES."""
    request.getfixturevalue(request.param)
    with session_scope(ADMIN) as s:
        for i, name in enumerate(NAMES):
            s.add(Person(name=name, name_initials=initials(name), gender="男",
                         birth_date=dt.date(1970, 1, 1), id_number=make_id("19700101", 700 + i),
                         county_code="330182", status="在职"))
    return request.param


def oracle(where) -> set[int]:
    """Every living person matching ``where(name, id_number)``, compared in Python."""
    with read_session() as s:
        rows = s.execute(select(Person.id, Person.name, Person.id_number).where(Person.status != "去世"))
        return {pid for pid, name, number in rows if where(name, number)}


def found(flt: PersonFilter) -> set[int]:
    with read_session() as s:
        people = find_people(s, flt, page_size=10_000)
        assert count_people(s, flt) == len(people)
        return {p.id for p in people}


def test_a_name_fragment_finds_exactly_who_has_it(roster):
    with read_session() as s:
        demo = s.scalars(select(Person.name).where(Person.status != "去世").limit(40)).all()
    fragments = {"王", "国", "林林", "建国", "建国华", "·", "阳建国华", "anna", "提·艾", "龘", "国建"}
    fragments |= {name[:2] for name in demo} | {name[-1] for name in demo}
    for fragment in sorted(fragments):
        want = oracle(lambda name, _, f=fragment: f.lower() in name.lower())
        assert found(PersonFilter(text=fragment)) == want, fragment
    assert found(PersonFilter(text="建国")) >= oracle(lambda name, _: name in {"王建国", "建国", "欧阳建国华"})


def test_id_fragments_find_the_numbers_that_hold_them(roster):
    with read_session() as s:
        numbers = s.scalars(select(Person.id_number).where(Person.status != "去世").limit(15)).all()
    for number in numbers:
        for fragment in (number[-4:], number[6:14], number[3:9], number[-7:], number):
            want = oracle(lambda _, n, f=fragment: f in n)
            assert found(PersonFilter(text=fragment, viewer=REVIEWER)) == want, fragment
        # a masked viewer: the last four and the whole number only
        assert found(PersonFilter(text=number[-4:], viewer=STAFF, counties=("330182",))) == oracle(
            lambda _, n, f=number[-4:]: n.endswith(f)) & county_ids("330182")
        assert found(PersonFilter(text=number[6:14], viewer=STAFF)) == set()


def county_ids(code: str) -> set[int]:
    with read_session() as s:
        return set(s.scalars(select(Person.id).where(Person.county_code == code)))


def test_the_index_follows_every_write_in_its_own_transaction(roster):
    number = make_id("19800202", 901)
    with session_scope(ADMIN) as s:  # the ORM
        person = Person(name="钱塘潮", name_initials="qtc", gender="男", birth_date=dt.date(1980, 2, 2),
                        id_number=number, county_code="330182", status="在职")
        s.add(person)
        s.flush()
        pid = person.id
        # seen inside the transaction that wrote it
        assert pid in {p.id for p in find_people(s, PersonFilter(text="塘潮"))}
    assert pid in found(PersonFilter(text="钱塘"))
    assert pid in found(PersonFilter(text=number[-4:], viewer=REVIEWER))

    with session_scope(ADMIN) as s:  # a rename drops the old pieces
        s.execute(update(Person).where(Person.id == pid).values(name="钱江潮"))
    assert pid not in found(PersonFilter(text="塘潮")) and pid in found(PersonFilter(text="江潮"))

    with pytest.raises(RuntimeError), session_scope(ADMIN) as s:  # rolled back: nothing left behind
        s.execute(insert(Person), [dict(name="余杭塘", name_initials="yht", gender="女",
                                        birth_date=dt.date(1990, 1, 1), id_number=make_id("19900101", 902),
                                        county_code="330182", status="在职")])
        assert found_in(s, "余杭塘")
        raise RuntimeError("give up")
    assert found(PersonFilter(text="余杭")) == oracle(lambda name, _: "余杭" in name)

    with session_scope(ADMIN) as s:  # a delete takes its pieces with it
        s.execute(delete(Person).where(Person.id == pid))
    with read_session() as s:
        assert s.scalar(select(func.count()).select_from(PersonGram).where(PersonGram.person_id == pid)) == 0
        orphans = select(func.count()).select_from(PersonGram).where(
            PersonGram.person_id.not_in(select(Person.id)))
        assert s.scalar(orphans) == 0


def found_in(session, name: str) -> bool:
    return bool(find_people(session, PersonFilter(text=name)))


def test_a_fragment_search_reads_the_index_not_the_roster(roster_db):
    flt = PersonFilter(text="建国", counties=("330182",))
    stmt = flt.apply(select(Person.id)).order_by(Person.name, Person.id).limit(50)
    with get_engine().connect() as conn:  # no ANALYZE: a database as init-db leaves it
        compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
        plan = " | ".join(row[-1] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "registry_person_gram" in plan, plan
    assert "SCAN registry_person " not in plan + " " and not plan.startswith("SCAN registry_person"), plan
