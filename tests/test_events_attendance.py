"""Attendance: the service (only once started, never for a cancelled event, the first 出席 makes
the event 已举办, county scope) and the phone page 签到 under AppTest (a big button a person,
the search box, the counts).

Oracles: plain SQL on events_participant, events_event and core_audit_log.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from core.access.auth import CurrentUser
from core.access.permissions import PermissionDenied
from core.data.db import read_session, session_scope
from plugins.events import attendance as att
from plugins.events.queries import EventError, now_wall
from tests.events_data import ADMIN, invite, make_event
from tests.helpers import ACCOUNTS, shown, signed_in_app, texts

USERS = {a[0]: CurrentUser(a[0], a[1], a[2], a[3]) for a in ACCOUNTS}
JD, CA = "330182", "330127"
PEOPLE = ((None, "王建国", CA), (None, "李秀英", CA), (None, "张伟", CA))


def sql(query: str, **params):
    with read_session() as session:
        return session.execute(text(query), params).all()


def event_with_people(county: str = CA, hours_ago: float = 1, status: str = "计划") -> tuple[int, list[int]]:
    """An event that started ``hours_ago`` (negative: in the future) with three guests invited."""
    with session_scope(ADMIN) as s:
        event = make_event(s, title="素质提升班（第一期）", county=county, status=status,
                           starts=now_wall() - dt.timedelta(hours=hours_ago))
        rows = invite(s, event, *((pid, name, county) for pid, name, _ in PEOPLE))
        return event.id, [r.id for r in rows]


def attendance(event_id: int) -> dict[str, str | None]:
    return dict(sql("SELECT name, attendance FROM events_participant WHERE event_id = :e", e=event_id))


def status(event_id: int) -> str:
    return sql("SELECT status FROM events_event WHERE id = :e", e=event_id)[0][0]


# --- the service -------------------------------------------------------------------------------

def test_the_first_present_makes_a_started_event_held_and_is_audited(events_alone):
    staff = USERS["staff_ca"]
    event_id, (first, second, third) = event_with_people()
    since = sql("SELECT COALESCE(MAX(id), 0) FROM core_audit_log")[0][0]
    with session_scope(staff.actor) as s:
        att.record_attendance(s, staff, first, "出席")
    assert status(event_id) == "已举办"
    assert sql("SELECT attendance, attendance_by FROM events_participant WHERE id = :i", i=first) == [
        ("出席", "staff_ca")]
    assert sorted(sql("SELECT table_name, action FROM core_audit_log WHERE id > :s", s=since)) == [
        ("events_event", "update"), ("events_participant", "update")]
    with session_scope(staff.actor) as s:
        att.record_attendance(s, staff, second, "请假")
        assert att.mark_rest_absent(s, staff, event_id) == 1
        assert att.record_attendance(s, staff, first, "出席").attendance == "出席"  # again: nothing
    assert attendance(event_id) == {"王建国": "出席", "李秀英": "请假", "张伟": "缺席"}
    with read_session() as s:
        assert att.attendance_counts(s, event_id) == {"出席": 1, "缺席": 1, "请假": 1, "未签到": 0}
    with session_scope(staff.actor) as s:
        att.record_attendance(s, staff, third, None)
    with read_session() as s:
        assert att.attendance_counts(s, event_id) == {"出席": 1, "缺席": 0, "请假": 1, "未签到": 1}


def test_not_before_it_starts_nor_for_a_cancelled_event(events_alone):
    staff = USERS["staff_ca"]
    future, (person, *_rest) = event_with_people(hours_ago=-24)
    cancelled, (other, *_rest) = event_with_people(status="取消")
    for pid, message in ((person, "还没有开始"), (other, "已取消")):
        with session_scope(staff.actor) as s, pytest.raises(EventError, match=message):
            att.record_attendance(s, staff, pid, "出席")
    with session_scope(staff.actor) as s, pytest.raises(EventError, match="出勤应为"):
        att.record_attendance(s, staff, person, "迟到")
    assert set(attendance(future).values()) == {None} and set(attendance(cancelled).values()) == {None}
    assert status(future) == "计划" and status(cancelled) == "取消"


def test_staff_of_another_county_cannot_take_attendance(events_alone):
    staff_jd = USERS["staff_jd"]
    event_id, (person, *_rest) = event_with_people(CA)
    with session_scope(staff_jd.actor) as s, pytest.raises((PermissionDenied, EventError)):
        att.record_attendance(s, staff_jd, person, "出席")
    with session_scope(staff_jd.actor) as s, pytest.raises((PermissionDenied, EventError)):
        att.mark_rest_absent(s, staff_jd, event_id)
    assert set(attendance(event_id).values()) == {None} and status(event_id) == "计划"


# --- the page ------------------------------------------------------------------------------------

def person_buttons(at) -> list:
    return [b for b in at.button if str(b.key).startswith("events_att_p_")]


def test_pressing_a_persons_button_records_present_and_the_counts_follow(events_alone):
    event_id, ids = event_with_people()
    at = signed_in_app("staff_ca", page="events-attendance", query={"event": str(event_id)})
    assert not at.exception
    shown_text = texts(at)
    assert "素质提升班（第一期）" in shown_text and "出席 0" in shown_text and "未签到 3" in shown_text
    buttons = person_buttons(at)
    assert len(buttons) == 3
    assert all(any(name in shown(b.label) for _, name, _ in PEOPLE) for b in buttons)  # named
    at.button(key=f"events_att_p_{ids[1]}").click().run()
    assert not at.exception
    assert attendance(event_id) == {"王建国": None, "李秀英": "出席", "张伟": None}
    assert status(event_id) == "已举办"
    shown_text = texts(at)
    assert "出席 1" in shown_text and "未签到 2" in shown_text and "李秀英：出席" in shown_text
    assert at.button(key=f"events_att_p_{ids[1]}").disabled  # pressed twice at the door: nothing
    # 请假 from the person's other menu
    at.button(key=f"events_att_请假_{ids[0]}").click().run()
    assert attendance(event_id)["王建国"] == "请假" and "请假 1" in texts(at)
    # the rest absent, once confirmed
    at.button(key="events_att_rest").click().run()
    assert attendance(event_id)["张伟"] is None
    at.button(key="events_att_rest_yes").click().run()
    assert attendance(event_id) == {"王建国": "请假", "李秀英": "出席", "张伟": "缺席"}
    assert "未签到 0" in texts(at)


def test_the_search_box_narrows_the_list(events_alone):
    event_id, ids = event_with_people()
    at = signed_in_app("staff_ca", page="events-attendance", query={"event": str(event_id)})
    at.text_input(key=f"events_att_q_{event_id}").input("秀英").run()
    assert not at.exception
    buttons = person_buttons(at)
    assert [b.key for b in buttons] == [f"events_att_p_{ids[1]}"] and "李秀英" in shown(buttons[0].label)
    assert "找到 1 人" in texts(at)
    at.text_input(key=f"events_att_q_{event_id}").input("无此人").run()
    assert person_buttons(at) == [] and "没有找到符合条件的人员" in texts(at)


def test_staff_of_another_county_see_no_buttons(events_alone):
    event_id, _ids = event_with_people(CA)
    at = signed_in_app("staff_jd", page="events-attendance", query={"event": str(event_id)})
    assert not at.exception
    assert person_buttons(at) == []
    assert "找不到该活动" in texts(at) or "不属于您的区县" in texts(at)
    assert set(attendance(event_id).values()) == {None}


def test_a_future_event_shows_the_list_but_no_sign_in(events_alone):
    event_id, _ids = event_with_people(hours_ago=-24)
    at = signed_in_app("staff_ca", page="events-attendance", query={"event": str(event_id)})
    assert not at.exception
    assert "还没有开始" in texts(at)
    assert len(person_buttons(at)) == 3 and all(b.disabled for b in person_buttons(at))


def test_without_an_event_the_page_offers_the_users_recent_events(events_alone):
    mine, _ids = event_with_people(CA)
    theirs, _ = event_with_people(JD)
    at = signed_in_app("staff_ca", page="events-attendance")
    assert not at.exception
    choice = at.selectbox[0]
    assert choice.label == "选择活动" and choice.options == [choice.format_func(mine)]  # not 建德市's
    choice.select(mine).run()
    assert not at.exception
    assert at.query_params["event"] == [str(mine)] or at.query_params["event"] == str(mine)
    assert len(person_buttons(at)) == 3
    assert theirs != mine
