"""The studios react to the roster: approving a leader's death or transfer (through the roster's
own services) flags the studio 需更换领办人; every approved change refreshes the snapshots of the
person in every studio; reporting the same approval twice changes nothing more.

Oracles: plain SQL and the roster's own records, read here.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from core.access.auth import CurrentUser
from core.data.db import read_session, session_scope
from plugins.registry import changes
from plugins.registry.models import Person
from plugins.workshops.leaders import roster_changed
from tests.helpers import signed_in_app
from tests.workshops_data import ADMIN, make_studio

STAFF_JD = CurrentUser("staff_jd", "建德工作人员", "staff", "330182")
REVIEWER = CurrentUser("reviewer", "审核员乙", "reviewer", None)
JD = "330182"


def living(county: str = JD, n: int = 3) -> list[Person]:
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


def studio_led_by(leader: Person, members: list[Person] = (), **kw) -> int:
    with session_scope(ADMIN) as s:
        return make_studio(s, leader=(leader.id, leader.name), employer=leader.employer or "建德市某单位",
                           members=tuple((m.id, m.name) for m in members), **kw).id


def flag(studio_id: int):
    return sql("SELECT needs_new_leader, leader_issue FROM workshops_studio WHERE id = :i", i=studio_id)[0]


def workshops_audit() -> int:
    return sql("SELECT COUNT(*) FROM core_audit_log WHERE table_name LIKE 'workshops_%'")[0][0]


def leaders_to_replace(user) -> int:
    """The count on the 工作台 to-do 需更换领办人的工作室 of ``user`` (0: no such to-do)."""
    from core.host.todos import collect_todos

    with read_session() as s:
        return next((t.count for t in collect_todos(s, user) if t.key == "workshops-leaders"), 0)


def test_approving_a_leaders_death_flags_the_studio_and_marks_them_deceased(studios_db):
    leader, member, _ = living()
    sid = studio_led_by(leader, [member], name="新安江水电检修工作室")
    removed = studio_led_by(leader, name="已摘牌的工作室", status="摘牌")
    assert flag(sid) == (0, None)
    before = leaders_to_replace(STAFF_JD)
    approve(changes.submit_death, leader.id, dt.date(2026, 10, 1), "家属告知")
    assert flag(sid) == (1, f"领办人{leader.name}已去世")
    # the county's staff have one more studio to find a leader for on their 工作台
    assert leaders_to_replace(STAFF_JD) == before + 1
    assert flag(removed) == (0, None)  # a removed studio needs no leader
    assert sql("SELECT DISTINCT deceased FROM workshops_member WHERE person_id = :p", p=leader.id) == [(1,)]
    assert sql("SELECT deceased FROM workshops_member WHERE person_id = :p AND studio_id = :i",
               p=member.id, i=sid) == [(0,)]

    # reported again (a second notification of the same approval): nothing doubles, nothing is rewritten
    audit = workshops_audit()
    with session_scope(ADMIN) as s:
        roster_changed(s, leader.id, "去世")
    assert flag(sid) == (1, f"领办人{leader.name}已去世") and workshops_audit() == audit

    # the county's staff see it on the studio's page
    at = signed_in_app("staff_jd", page="workshops-list", query={"studio": str(sid)})
    assert not at.exception
    assert any("需更换领办人" in w.value and f"领办人{leader.name}已去世" in w.value for w in at.warning)
    members = at.dataframe[0].value
    assert "已故" in members["状态"].tolist()
    # each member links to their record on the roster
    assert f"registry-people?person={leader.id}" in members["名册"].tolist()


def test_a_transfer_to_another_county_flags_and_a_members_death_does_not(studios_db):
    leader, member, other = living()
    sid = studio_led_by(leader, [member, other])
    approve(changes.submit_death, member.id, dt.date(2026, 9, 1), "家属告知")
    assert flag(sid) == (0, None)
    assert sql("SELECT deceased FROM workshops_member WHERE person_id = :p AND studio_id = :i",
               p=member.id, i=sid) == [(1,)]

    approve(changes.submit_transfer, leader.id, "330127", "淳安县千岛湖旅游集团", "工作调动")
    assert flag(sid) == (1, f"领办人{leader.name}已调至淳安县（淳安县千岛湖旅游集团）")
    with read_session() as s:  # the roster's own record agrees
        assert s.get(Person, leader.id).county_code == "330127"


def test_a_move_to_another_employer_in_the_county_flags_and_a_new_leader_clears_it(studios_db):
    from core.host.people import get_people
    from plugins.workshops import studios as svc

    leader, successor, _ = living()
    sid = studio_led_by(leader)
    approve(changes.submit_transfer, leader.id, JD, "建德市另一家公司", "工作调动")
    assert flag(sid) == (1, f"领办人{leader.name}已调至建德市（建德市另一家公司）")
    with session_scope(STAFF_JD.actor) as s:
        svc.set_leader(s, STAFF_JD, sid, get_people(s, STAFF_JD, [successor.id])[successor.id])
    assert flag(sid) == (0, None)
    assert sorted(sql("SELECT person_id, role FROM workshops_member WHERE studio_id = :i", i=sid)) == sorted(
        [(leader.id, "成员"), (successor.id, "领办人")])


def test_a_corrected_name_reaches_every_studio_of_the_person(studios_db):
    leader, member, _ = living()
    first = studio_led_by(leader, [member], name="甲工作室")
    second = studio_led_by(member, name="乙工作室")
    approve(changes.submit_correction, member.id, {"name": "改名后"}, "姓名录入错误")
    assert sql("SELECT name FROM workshops_member WHERE person_id = :p AND studio_id IN (:a, :b) "
               "ORDER BY studio_id", p=member.id, a=first, b=second) == [("改名后",), ("改名后",)]
    # every studio the person is in, the demo's too
    assert sql("SELECT DISTINCT name FROM workshops_member WHERE person_id = :p", p=member.id) == [("改名后",)]
    assert sql("SELECT leader_name, needs_new_leader FROM workshops_studio WHERE id = :i", i=second) == [
        ("改名后", 0)]
    assert flag(first) == (0, None)


def test_a_picked_person_is_taken_from_the_roster_within_the_users_county(studios_db):
    from core.host.people import PersonRef
    from plugins.workshops import studios as svc
    from plugins.workshops.queries import StudioError

    leader, member, _ = living()
    other = living("330127", 1)[0]
    sid = studio_led_by(leader)
    crafted = PersonRef(id=other.id, name=other.name, county_code="330127")
    with session_scope(STAFF_JD.actor) as s, pytest.raises(StudioError, match="名册中找不到"):
        svc.add_members(s, STAFF_JD, sid, [crafted])
    # a made-up name or honour for a real id: the roster's own are stored
    with session_scope(STAFF_JD.actor) as s:
        svc.add_members(s, STAFF_JD, sid, [PersonRef(id=member.id, name="假名字", county_code=JD,
                                                     honour="大国工匠", honour_level="全国")])
    with read_session() as s:
        honour = s.execute(text("SELECT name FROM registry_honour WHERE person_id = :p ORDER BY id"),
                           {"p": member.id}).scalars().all()
    stored = sql("SELECT name, honour FROM workshops_member WHERE studio_id = :i AND person_id = :p",
                 i=sid, p=member.id)
    assert stored[0][0] == member.name and (stored[0][1] is None) == (not honour)
    assert sql("SELECT COUNT(*) FROM workshops_member WHERE studio_id = :i AND person_id = :p",
               i=sid, p=other.id) == [(0,)]
