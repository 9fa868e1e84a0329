"""The events react to the roster through its real approval flow: a death drops the person from
events not yet begun exactly once and marks them 已故 on past lists; a transfer moves their
future invitations to the new county; a correction reaches every list.

Oracles: plain SQL on events_participant and core_audit_log, and the roster's own records.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from core.access.auth import CurrentUser
from core.data.db import read_session, session_scope
from core.settings import clock
from plugins.events.queries import now_wall
from plugins.events.roster import roster_changed
from plugins.registry import changes
from plugins.registry.models import Person
from tests.events_data import ADMIN, invite, make_event

STAFF_JD = CurrentUser("staff_jd", "建德工作人员", "staff", "330182")
REVIEWER = CurrentUser("reviewer", "审核员乙", "reviewer", None)
JD, CA = "330182", "330127"


def living(county: str = JD, n: int = 2) -> list[Person]:
    with read_session() as s:
        return list(s.scalars(select(Person).where(Person.county_code == county, Person.status == "在职")
                              .order_by(Person.id).limit(n)))


def approve(fn, *args) -> None:
    """Submit a change as county staff and approve it as the reviewer: the roster's real path."""
    with session_scope(STAFF_JD.actor) as s:
        request_id = fn(s, STAFF_JD, *args).id
    with session_scope(REVIEWER.actor) as s:
        changes.decide(s, REVIEWER, request_id, True)


def sql(query: str, **params):
    with read_session() as session:
        return session.execute(text(query), params).all()


def last_audit() -> int:
    return sql("SELECT COALESCE(MAX(id), 0) FROM core_audit_log")[0][0]


def audit_of(ids: list[int], since: int) -> list[tuple]:
    """The audit entries written about these participant rows after entry ``since``: (action, row id)."""
    rows = sql("SELECT action, row_id FROM core_audit_log WHERE table_name = 'events_participant' "
               "AND id > :since", since=since)
    wanted = {str(i) for i in ids}
    return sorted((a, r) for a, r in rows if r in wanted)


def three_events(person: Person, other: Person) -> dict[str, int]:
    """A past held event, a future planned one and a future cancelled one, all inviting both;
    returns participant ids of ``person`` by event and the events' ids."""
    now = now_wall()
    with session_scope(ADMIN) as s:
        past = make_event(s, title="已举办的培训", starts=now - dt.timedelta(days=20), status="已举办")
        future = make_event(s, title="下月的培训", starts=now + dt.timedelta(days=20))
        later = make_event(s, title="下下月的培训", starts=now + dt.timedelta(days=50))
        ids = {}
        for name, event in (("past", past), ("future", future), ("later", later)):
            mine, _ = invite(s, event, (person.id, person.name, person.county_code),
                             (other.id, other.name, other.county_code))
            ids[name] = mine.id
            ids[f"{name}_event"] = event.id
    return ids


@pytest.fixture
def roster_no_events(events_db):
    """The demo roster with no events: each test counts the invitations of its own events."""
    with session_scope(ADMIN) as s:
        s.execute(text("DELETE FROM events_participant"))
        s.execute(text("DELETE FROM events_event"))
    return events_db


def test_approving_a_death_drops_future_invitations_once_and_marks_past_lists(roster_no_events):
    person, other = living()
    ids = three_events(person, other)
    since = last_audit()
    approve(changes.submit_death, person.id, clock.today() - dt.timedelta(days=1), "家属告知")

    # future invitations are gone; the past list keeps them, marked 已故
    assert sql("SELECT event_id FROM events_participant WHERE person_id = :p", p=person.id) == [
        (ids["past_event"],)]
    assert sql("SELECT COUNT(*) FROM events_participant WHERE person_id = :p AND deceased = :t",
               p=person.id, t=True)[0][0] == 1
    # the other person is untouched everywhere
    assert sql("SELECT COUNT(*) FROM events_participant WHERE person_id = :p AND deceased = :f",
               p=other.id, f=False)[0][0] == 3
    # audited once each: two deletions and one update
    entries = audit_of([ids["past"], ids["future"], ids["later"]], since)
    assert entries == sorted([("delete", str(ids["future"])), ("delete", str(ids["later"])),
                              ("update", str(ids["past"]))])
    # whoever approved is the one the audit names
    assert {a for (a,) in sql("SELECT DISTINCT actor FROM core_audit_log WHERE table_name = "
                              "'events_participant' AND action = 'delete' AND id > :since", since=since)} == {"reviewer"}

    # the same notification again changes nothing and writes nothing
    before = sql("SELECT COUNT(*) FROM core_audit_log")[0][0]
    with session_scope(ADMIN) as s:
        roster_changed(s, person.id, "去世")
    assert sql("SELECT COUNT(*) FROM core_audit_log")[0][0] == before
    assert audit_of([ids["past"], ids["future"], ids["later"]], since) == entries
    assert sql("SELECT COUNT(*) FROM events_participant WHERE person_id = :p", p=person.id)[0][0] == 1


def test_a_transfer_moves_future_invitations_to_the_new_county(roster_no_events):
    person, other = living()
    ids = three_events(person, other)
    approve(changes.submit_transfer, person.id, CA, "淳安县千岛湖旅游集团", "工作调动")
    with read_session() as s:  # the roster's own record agrees
        assert s.get(Person, person.id).county_code == CA
    rows = dict((r[0], r[1:]) for r in sql(
        "SELECT id, county_code, employer FROM events_participant WHERE person_id = :p", p=person.id))
    assert rows[ids["future"]] == (CA, "淳安县千岛湖旅游集团")
    assert rows[ids["later"]] == (CA, "淳安县千岛湖旅游集团")
    assert rows[ids["past"]][0] == JD  # a past list keeps where they were
    assert {c for (c,) in sql("SELECT county_code FROM events_participant WHERE person_id = :p",
                              p=other.id)} == {other.county_code}


def test_a_corrected_name_reaches_every_list(roster_no_events):
    person, other = living()
    three_events(person, other)
    approve(changes.submit_correction, person.id, {"name": "改名后"}, "姓名录入错误")
    assert sql("SELECT DISTINCT name FROM events_participant WHERE person_id = :p", p=person.id) == [("改名后",)]
    assert sql("SELECT COUNT(*) FROM events_participant WHERE person_id = :p", p=person.id)[0][0] == 3
