"""Invitations: from a roster search (exactly the living people raw SQL finds), picked people,
guests; capacity, duplicates, closed events and county scope refused in the services.

Oracles: plain SQL on registry_person, registry_honour and events_participant.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from core.access.auth import CurrentUser
from core.access.permissions import PermissionDenied
from core.data.db import read_session, session_scope
from core.host.people import PeopleQuery, PersonRef, get_people
from plugins.events import invitations as inv
from plugins.events.models import Event
from plugins.events.queries import EventError, now_wall
from tests.events_data import ADMIN, invite, make_event
from tests.helpers import ACCOUNTS

USERS = {a[0]: CurrentUser(a[0], a[1], a[2], a[3]) for a in ACCOUNTS}
JD, CA = "330182", "330127"


def sql(query: str, **params):
    with read_session() as session:
        return session.execute(text(query), params).all()


def new_event(county: str = CA, days: float = 10, **kw) -> int:
    with session_scope(ADMIN) as s:
        return make_event(s, county=county, starts=now_wall() + dt.timedelta(days=days), **kw).id


def invited(event_id: int) -> list[int]:
    return sorted(p for (p,) in sql("SELECT person_id FROM events_participant WHERE event_id = :e "
                                    "AND person_id IS NOT NULL", e=event_id))


def provincial(county: str, living: bool = True) -> list[int]:
    """Raw SQL: the people of ``county`` holding a 省级 honour, living or dead."""
    status = "p.status != '去世'" if living else "p.status = '去世'"
    return sorted(i for (i,) in sql(
        f"SELECT p.id FROM registry_person p WHERE p.county_code = :c AND {status} AND EXISTS "
        "(SELECT 1 FROM registry_honour h WHERE h.person_id = p.id AND h.level = '省级')", c=county))


def test_inviting_every_living_provincial_honouree_of_chunan(events_db):
    staff = USERS["staff_ca"]
    expected, dead = provincial(CA), provincial(CA, living=False)
    assert len(expected) > 3 and dead, "the demo holds living and dead 省级 honourees in 淳安县"
    event_id = new_event(CA)
    query = PeopleQuery(counties=(CA,), honour_level="省级", include_deceased=True)  # forced off
    with session_scope(staff.actor) as s:
        assert inv.matching_count(s, staff, event_id, query) == len(expected)
        assert inv.invite_matching(s, staff, event_id, query) == len(expected)
    assert invited(event_id) == expected
    assert not set(invited(event_id)) & set(dead)
    # the snapshot is the roster's: name and county of each
    assert sql("SELECT COUNT(*) FROM events_participant e JOIN registry_person p ON p.id = e.person_id "
               "WHERE e.event_id = :e AND (e.name != p.name OR e.county_code != p.county_code "
               "OR e.invited_by != 'staff_ca' OR e.role != '学员')", e=event_id)[0][0] == 0
    # a second time invites nobody more, and the preview says so
    with session_scope(staff.actor) as s:
        assert inv.invite_matching(s, staff, event_id, query) == 0
        assert inv.matching_count(s, staff, event_id, query) == 0
    assert invited(event_id) == expected


def test_a_search_wider_than_the_places_left_is_refused_whole(events_db):
    staff = USERS["staff_ca"]
    expected = provincial(CA)
    event_id = new_event(CA, capacity=len(expected) - 1)
    with session_scope(staff.actor) as s:
        invite(s, s.get(Event, event_id),
               (None, "嘉宾甲", CA))
    with session_scope(staff.actor) as s, pytest.raises(EventError) as refused:
        inv.invite_matching(s, staff, event_id, PeopleQuery(counties=(CA,), honour_level="省级"))
    assert f"还剩 {len(expected) - 2} 个" in str(refused.value)
    assert invited(event_id) == []


def test_picked_people_skip_the_deceased_and_those_already_invited(events_db):
    staff = USERS["staff_ca"]
    alive = provincial(CA)[:2]
    dead = provincial(CA, living=False)[:1]
    event_id = new_event(CA)
    with session_scope(staff.actor) as s:
        refs = list(get_people(s, staff, alive + dead).values())
        assert inv.invite_people(s, staff, event_id, refs) == 2
        assert inv.invite_people(s, staff, event_id, refs[:1]) == 0
        # the caller's copy is not trusted: the roster's name is stored
        forged = PersonRef(id=alive[0], name="伪造的名字", county_code=CA)
        assert inv.invite_people(s, staff, event_id, [forged]) == 0
    assert invited(event_id) == sorted(alive)
    # someone of another county cannot be invited by a county's staff
    other = sql("SELECT id, name FROM registry_person WHERE county_code = :c AND status != '去世' LIMIT 1",
                c=JD)[0]
    with session_scope(staff.actor) as s, pytest.raises(EventError, match="不在您的区县"):
        inv.invite_people(s, staff, event_id, [PersonRef(id=other[0], name=other[1], county_code=JD)])


def test_guests_role_registration_and_removal(events_db):
    staff = USERS["staff_ca"]
    event_id = new_event(CA)
    with session_scope(staff.actor) as s:
        guest = inv.invite_guest(s, staff, event_id, "  李  教授 ", "浙江大学", role="讲师").id
        with pytest.raises(EventError, match="已在邀请名单中"):
            inv.invite_guest(s, staff, event_id, "李 教授")
        with pytest.raises(EventError, match="请填写嘉宾姓名"):
            inv.invite_guest(s, staff, event_id, "   ")
        inv.set_registration(s, staff, guest, True)
    assert sql("SELECT name, employer, role, registration, person_id FROM events_participant "
               "WHERE event_id = :e", e=event_id) == [("李 教授", "浙江大学", "讲师", "已报名", None)]
    with session_scope(staff.actor) as s:
        assert inv.remove_participant(s, staff, guest) == "李 教授"
    assert sql("SELECT COUNT(*) FROM events_participant WHERE event_id = :e", e=event_id)[0][0] == 0


def test_cancelled_and_finished_events_take_no_invitations(events_db):
    staff = USERS["staff_ca"]
    cancelled = new_event(CA, status="取消")
    over = new_event(CA, days=-3)
    for event_id, message in ((cancelled, "已取消"), (over, "已经结束")):
        with session_scope(staff.actor) as s, pytest.raises(EventError, match=message):
            inv.invite_guest(s, staff, event_id, "张三")
    assert sql("SELECT COUNT(*) FROM events_participant WHERE event_id IN (:a, :b)",
               a=cancelled, b=over)[0][0] == 0


def test_county_staff_cannot_invite_to_another_countys_event(events_db):
    staff_jd = USERS["staff_jd"]
    event_id = new_event(CA)
    with session_scope(ADMIN) as s:
        guest = invite(s, s.get(Event, event_id), (None, "嘉宾乙", CA))[0].id
    refusals = (
        lambda s: inv.invite_guest(s, staff_jd, event_id, "张三"),
        lambda s: inv.invite_matching(s, staff_jd, event_id, PeopleQuery(counties=(JD,))),
        lambda s: inv.invite_people(s, staff_jd, event_id, [PersonRef.typed("张三")]),
        lambda s: inv.remove_participant(s, staff_jd, guest),
        lambda s: inv.set_registration(s, staff_jd, guest, True),
        lambda s: inv.participants(s, staff_jd, event_id),
    )
    for refuse in refusals:
        with session_scope(staff_jd.actor) as s, pytest.raises((PermissionDenied, EventError)):
            refuse(s)
    # a reviewer (city, no events.edit) may read but not invite
    with session_scope(USERS["reviewer"].actor) as s:
        assert [r.name for r in inv.participants(s, USERS["reviewer"], event_id)] == ["嘉宾乙"]
        with pytest.raises(PermissionDenied):
            inv.invite_guest(s, USERS["reviewer"], event_id, "张三")
    assert sql("SELECT name, registration FROM events_participant WHERE event_id = :e",
               e=event_id) == [("嘉宾乙", "已邀请")]


def test_staff_invite_to_city_events_only_as_city_users(events_db):
    """A city-wide event ("") is seen by county staff but changed only by city users."""
    event_id = new_event("")
    with session_scope(USERS["staff_jd"].actor) as s, pytest.raises(PermissionDenied):
        inv.invite_guest(s, USERS["staff_jd"], event_id, "张三")
    with session_scope(USERS["admin"].actor) as s:
        inv.invite_guest(s, USERS["admin"], event_id, "张三")
    assert sql("SELECT name FROM events_participant WHERE event_id = :e", e=event_id) == [("张三",)]


# --- 活动详情's participants section, under AppTest ------------------------------------------

def _section(event_id: int, username: str) -> None:
    """A page holding only participants_section, as 活动详情 calls it."""
    import streamlit as st

    from core.access.auth import CurrentUser
    from core.data.db import read_session
    from core.ui import USER_KEY
    from plugins.events.models import Event
    from plugins.events.participants_ui import participants_section
    from tests.helpers import ACCOUNTS

    account = next(a for a in ACCOUNTS if a[0] == username)
    st.session_state[USER_KEY] = CurrentUser(*account)
    with read_session() as s:
        participants_section(s, st.session_state[USER_KEY], s.get(Event, event_id))


def section_app(event_id: int, username: str):
    from streamlit.testing.v1 import AppTest

    return AppTest.from_function(_section, args=(event_id, username), default_timeout=30).run()


def test_the_section_invites_a_roster_search_after_saying_how_many(events_db):
    from tests.helpers import texts

    expected = provincial(CA)
    event_id = new_event(CA)
    at = section_app(event_id, "staff_ca")
    assert not at.exception
    assert "还没有邀请人员" in texts(at)
    group = [k for k in (w.key for w in at.selectbox) if k and k.endswith("_level")][0]
    at.selectbox(key=group).select("省级").run()
    assert f"将邀请 {len(expected)} 人" in texts(at).replace("**", "")
    go = next(b for b in at.button if str(b.key).endswith("_go") and "group" in str(b.key))
    go.click().run()
    assert not at.exception
    assert invited(event_id) == expected
    shown = texts(at)
    assert f"已邀请 {len(expected)} 人" in shown and f"共 {len(expected)} 人" in shown
    ids = ",".join(map(str, expected))
    names = {n for (n,) in sql(f"SELECT name FROM registry_person WHERE id IN ({ids})")}
    listed = list(at.dataframe[0].value["姓名"])
    assert set(listed) <= names and len(listed) == min(50, len(expected))  # 50 a page
    if len(expected) > 50:
        pages = next(w for w in at.selectbox if w.label == "页码")
        assert pages.options[0] == f"第 1 页（共 {-(-len(expected) // 50)} 页）"
    # the group form starts again from nothing (its keys changed)
    assert all(w.value == "不限" for w in at.selectbox if str(w.key).endswith("_level"))


def test_the_section_adds_a_guest_and_clears_the_form(events_db):
    from tests.helpers import texts

    event_id = new_event(CA)
    at = section_app(event_id, "staff_ca")
    form_inputs = [w for w in at.text_input if w.label in ("姓名", "工作单位")]
    form_inputs[0].input("李教授")
    form_inputs[1].input("浙江大学")
    at.button[[b.label for b in at.button].index("添加")].click().run()
    assert not at.exception
    assert sql("SELECT name, employer, role, person_id FROM events_participant WHERE event_id = :e",
               e=event_id) == [("李教授", "浙江大学", "讲师", None)]
    assert "已添加嘉宾李教授" in texts(at)
    assert [w.value for w in at.text_input if w.label in ("姓名", "工作单位")] == ["", ""]
    # the same guest again: a Chinese refusal, nothing written
    form_inputs = [w for w in at.text_input if w.label in ("姓名", "工作单位")]
    form_inputs[0].input("李教授")
    at.button[[b.label for b in at.button].index("添加")].click().run()
    assert "李教授已在邀请名单中" in texts(at)
    assert sql("SELECT COUNT(*) FROM events_participant WHERE event_id = :e", e=event_id)[0][0] == 1


def test_readers_and_other_counties_see_the_list_without_forms(events_db):
    from tests.helpers import texts

    event_id = new_event(CA)
    with session_scope(ADMIN) as s:
        invite(s, s.get(Event, event_id), (None, "嘉宾乙", CA))
    for username in ("manager", "reviewer"):
        at = section_app(event_id, username)
        assert not at.exception
        assert list(at.dataframe[0].value["姓名"]) == ["嘉宾乙"]
        assert not at.expander and not at.button
    # staff of 建德市 do not see a 淳安县 event at all (the page refuses it first); the section
    # itself offers them nothing to change
    at = section_app(event_id, "staff_jd")
    assert not at.button and "添加" not in texts(at)


def test_the_picker_says_who_was_not_invited_and_places_count_learners_only(events_db):
    from plugins.events.participants_ui import invited_message
    from tests.helpers import texts

    # two picked, one of them dead (or already invited): the message says one was left out
    assert invited_message(2, 1) == "已邀请 1 人；另有 1 人已在名单中或已故，未邀请"
    assert invited_message(2, 2) == "已邀请 2 人"
    assert invited_message(1, 0).startswith("所选人员都已在名单中或已故")
    event_id = new_event(CA, capacity=5)
    with session_scope(ADMIN) as s:
        event = s.get(Event, event_id)
        invite(s, event, (None, "李教授", CA), role="讲师")
        invite(s, event, (None, "嘉宾乙", CA))
    (learners,), = sql("SELECT COUNT(*) FROM events_participant WHERE event_id = :e AND role = '学员'", e=event_id)
    at = section_app(event_id, "staff_ca")
    assert not at.exception
    shown = texts(at)
    assert "共 2 人" in shown and f"学员名额 5，还剩 {5 - learners}" in shown


def test_the_section_picker_never_offers_the_deceased(events_db):
    """Searching a dead person's name offers nobody (and says why); a living namesake is offered."""
    from tests.helpers import texts

    (dead_id, name), = sql("SELECT id, name FROM registry_person WHERE county_code = :c AND status = '去世' "
                           "ORDER BY id LIMIT 1", c=CA)
    event_id = new_event(CA)
    at = section_app(event_id, "staff_ca")
    box = next(t for t in at.text_input if str(t.key).endswith("_q") and "pick" in str(t.key))
    box.input(name).run()
    assert not at.exception
    offered = [o for m in at.multiselect if str(m.key).endswith("_pick") for o in m.options]
    living = {n for (n,) in sql("SELECT name FROM registry_person WHERE county_code = :c AND status != '去世' "
                                "AND name LIKE :n", c=CA, n=f"%{name}%")}
    assert not any("已故" in o for o in offered)
    assert len(offered) == len(living)
    if not living:
        assert "找到的人员均已故，不能选择。" in texts(at)
