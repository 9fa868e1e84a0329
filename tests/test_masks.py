"""Masks that cannot be searched around (issue #9): a role that sees ID numbers masked searches
them only by their last 4 characters or in full, a limited number of times, audited; and a
masked phone stays masked in the 信息更正 form."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, select

from core.access.auth import CurrentUser
from core.data.db import read_session, session_scope, utcnow
from core.data.models import AuditEntry
from plugins.registry import changes
from plugins.registry.models import ChangeRequest, Person
from plugins.registry.queries import (
    ID_SEARCH_LIMIT,
    ID_SEARCH_TOO_OFTEN,
    MASKED_ID_HINT,
    SEARCH_ID,
    PersonFilter,
    count_people,
    find_people,
    record_id_search,
)
from tests.helpers import ACCOUNTS, signed_in_app, texts

USERS = {a[0]: CurrentUser(a[0], a[1], a[2], a[3]) for a in ACCOUNTS}


def person_in(county: str, *, with_phone: bool = False) -> Person:
    stmt = select(Person).where(Person.county_code == county, Person.status == "在职")
    if with_phone:
        stmt = stmt.where(Person.phone.is_not(None), Person.phone != "")
    with read_session() as s:
        return s.scalars(stmt.order_by(Person.id)).first()


def found(user: CurrentUser | None, text: str) -> list[int]:
    flt = PersonFilter(text=text, viewer=user, counties=user.visible_counties() if user else None)
    with read_session() as s:
        people = find_people(s, flt, page_size=500)
        assert count_people(s, flt) == len(people)
    return [p.id for p in people]


def search_entries() -> list[AuditEntry]:
    with read_session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == SEARCH_ID)
                              .order_by(AuditEntry.id)))


@pytest.mark.parametrize("username", ["manager", "staff_jd"])
def test_a_masking_role_finds_by_the_end_or_the_whole_number_only(roster_db, username):
    user, person = USERS[username], person_in("330182")
    number = person.id_number
    for fragment in (number[6:14], number[6:13], number[:10], number[3:15], number[:17], number[-5:],
                     number[-6:]):  # the 5th and 6th from the end would tell the birth day
        assert found(user, fragment) == [], fragment  # the start or the middle: nobody at all
        assert PersonFilter(text=fragment, viewer=user).refusal == MASKED_ID_HINT
    for fragment in (number[6:10], number[10:14]):  # 4 long, not its end
        assert person.id not in found(user, fragment), fragment
    for fragment in (number[-4:], number, number.lower()):
        assert person.id in found(user, fragment), fragment
        assert PersonFilter(text=fragment, viewer=user).refusal is None
    assert found(None, number[6:14]) == []  # no viewer: searched as masked
    with read_session() as s:  # the last four as the mask shows them, X included
        ends_in_x = s.scalar(select(Person).where(Person.county_code == "330182", Person.status == "在职",
                                                  Person.id_number.endswith("X")).limit(1))
    assert ends_in_x.id in found(user, ends_in_x.id_number[-4:].lower())


@pytest.mark.parametrize("username", ["reviewer", "admin"])
def test_roles_that_see_full_numbers_still_search_any_part(roster_db, username):
    user, person = USERS[username], person_in("330182")
    for fragment in (person.id_number[6:14], person.id_number[:10], person.id_number[-5:]):
        assert person.id in found(user, fragment), fragment
        assert PersonFilter(text=fragment, viewer=user).refusal is None


def test_the_people_page_gives_the_hint_and_finds_nothing_for_a_middle_fragment(roster_db):
    person = person_in("330182")
    at = signed_in_app("manager", page="registry-people")
    at.text_input(key="registry_q").input(person.id_number[6:14]).run()
    assert not at.exception
    assert [w.value for w in at.warning] == [MASKED_ID_HINT]
    assert not at.dataframe and person.name not in texts(at)
    at.text_input(key="registry_q").input(person.id_number[-4:]).run()
    assert not at.warning and person.name in set(at.dataframe[0].value["姓名"])
    at.run()  # a rerun of the same search
    assert [e.after["fragment"] for e in search_entries()] == ["****" + person.id_number[10:14],
                                                               person.id_number[-4:]]


def test_staff_picking_a_person_to_change_get_the_hint_too(roster_db):
    person = person_in("330182")
    at = signed_in_app("staff_jd", page="registry-submit")
    at.radio(key="change_kind").set_value("去世").run()
    at.text_input(key="change_q").input(person.id_number[6:14]).run()
    assert [w.value for w in at.warning] == [MASKED_ID_HINT] and "人员" not in [b.label for b in at.selectbox]
    at.text_input(key="change_q").input(person.id_number[-4:]).run()
    assert not at.warning and at.selectbox(key="change_person").options


def test_the_21st_id_search_in_ten_minutes_is_refused_and_each_is_audited_masked(roster_db):
    manager = USERS["manager"]
    with read_session() as s:
        numbers = list(s.scalars(select(Person.id_number).order_by(Person.id).limit(ID_SEARCH_LIMIT + 1)))
    seen: set = set()
    for number in numbers[:ID_SEARCH_LIMIT]:
        assert record_id_search(manager, PersonFilter(text=number, viewer=manager), seen) is None
    assert record_id_search(manager, PersonFilter(text=numbers[0], viewer=manager), seen) is None  # a rerun
    refused = record_id_search(manager, PersonFilter(text=numbers[-1], viewer=manager), seen)
    assert refused == ID_SEARCH_TOO_OFTEN == "身份证号码查找过于频繁，请 10 分钟后再试"
    assert record_id_search(manager, PersonFilter(text="0123", viewer=manager)) == ID_SEARCH_TOO_OFTEN
    assert record_id_search(manager, PersonFilter(text="张三", viewer=manager)) is None  # no ID search

    entries = search_entries()
    assert len(entries) == ID_SEARCH_LIMIT and {e.actor for e in entries} == {"manager"}
    for entry, number in zip(entries, numbers, strict=False):
        assert entry.after["fragment"] == "*" * 14 + number[-4:]
        stored = f"{entry.summary} {entry.after} {entry.before}"
        assert not any(n in stored or n[:-4] in stored for n in numbers)  # never in clear
    # another user, and a role that sees full numbers, are not held by the manager's searches
    staff = USERS["staff_jd"]
    assert record_id_search(staff, PersonFilter(text=numbers[0][-4:], viewer=staff)) is None
    reviewer = USERS["reviewer"]
    for _ in range(2):
        assert record_id_search(reviewer, PersonFilter(text=numbers[0][6:14], viewer=reviewer)) is None
    # the page refuses too, and the count is the database's: a new browser session is held
    at = signed_in_app("manager", page="registry-people")
    at.text_input(key="registry_q").input(numbers[0][-4:]).run()
    assert [w.value for w in at.warning] == [ID_SEARCH_TOO_OFTEN] and not at.dataframe


def test_searches_older_than_the_window_do_not_count_and_refused_fragments_do(roster_db):
    manager = USERS["manager"]
    with session_scope(manager.actor) as s:
        s.execute(insert(AuditEntry), [dict(at=utcnow() - dt.timedelta(minutes=11), actor="manager",
                                            action=SEARCH_ID, summary="") for _ in range(ID_SEARCH_LIMIT)])
    for i in range(ID_SEARCH_LIMIT):  # refused fragments are counted and audited as well
        assert record_id_search(manager, PersonFilter(text=f"3301{i:04d}", viewer=manager)) == MASKED_ID_HINT
    assert record_id_search(manager, PersonFilter(text="1234", viewer=manager)) == ID_SEARCH_TOO_OFTEN
    recent = [e for e in search_entries() if e.after]
    assert len(recent) == ID_SEARCH_LIMIT and all(e.after["refused"] for e in recent)
    assert recent[0].after["fragment"] == "****0000"


def _everything_shown(at, but: str) -> str:
    """Every element's message (labels, values, defaults, placeholders, help, options) and every
    widget's current value, as text, but for the widget keyed ``but``."""
    parts = [texts(at)]
    for node in at._tree:
        if getattr(node, "key", None) == but:
            continue
        parts.append(str(getattr(node, "proto", "")))
        for attr in ("value", "placeholder", "help", "label", "options"):
            try:
                parts.append(str(getattr(node, attr, "")))
            except Exception:  # noqa: BLE001 - a node without that attribute
                pass
    return "\n".join(parts)


def _correction_form(person: Person):
    at = signed_in_app("staff_jd", page="registry-submit")
    at.radio(key="change_kind").set_value("信息更正").run()
    at.text_input(key="change_q").input(person.id_number).run()
    assert not at.exception
    return at


def _box(at, label: str):
    return next(t for t in at.text_input if t.label == label)


def test_the_correction_form_never_shows_a_masked_phone_and_blank_keeps_it(roster_db):
    person = person_in("330182", with_phone=True)
    at = _correction_form(person)
    phone = _box(at, "联系电话")
    assert phone.value == "" and phone.placeholder == f"现为 {person.phone[:3]}****{person.phone[-4:]}，不改请留空"
    shown = _everything_shown(at, but="change_q")  # where the staff typed the ID number
    assert person.phone not in shown and person.id_number not in shown
    assert phone.placeholder in shown and person.name in shown  # what it reads is all there is

    _box(at, "学历").input("博士研究生")
    next(t for t in at.text_area if t.label == "变动理由").input("学历提升")
    at.button(key="FormSubmitter:change_信息更正-提交").click().run()
    assert not at.exception and at.success[0].value.startswith("已提交信息更正申请")
    with read_session() as s:
        request = s.scalar(select(ChangeRequest).where(ChangeRequest.person_id == person.id))
    assert request.payload == {"education": "博士研究生"}
    with session_scope(USERS["reviewer"].actor) as s:
        changes.decide(s, USERS["reviewer"], request.id, True)
    with read_session() as s:
        after = s.get(Person, person.id)
    assert (after.education, after.phone) == ("博士研究生", person.phone)


def test_staff_may_type_a_new_phone_without_reading_the_old_one(roster_db):
    person = person_in("330182", with_phone=True)
    at = _correction_form(person)
    _box(at, "联系电话").input("13900001111")
    next(t for t in at.text_area if t.label == "变动理由").input("换号")
    at.button(key="FormSubmitter:change_信息更正-提交").click().run()
    assert at.success[0].value.startswith("已提交信息更正申请")
    with read_session() as s:
        request = s.scalar(select(ChangeRequest).where(ChangeRequest.person_id == person.id))
    assert request.payload == {"phone": "13900001111"}


def test_a_role_that_sees_full_numbers_still_empties_a_phone(roster_db):
    person, admin = person_in("330182", with_phone=True), USERS["admin"]
    with session_scope(admin.actor) as s:
        request = changes.submit_correction(s, admin, person.id, {"phone": ""}, "号码已停用")
        assert request.payload == {"phone": None}
    staff = USERS["staff_jd"]
    with session_scope(staff.actor) as s, pytest.raises(changes.ChangeError, match="没有需要更正的内容"):
        changes.submit_correction(s, staff, person.id, {"phone": "", "education": person.education},
                                  "理由")
