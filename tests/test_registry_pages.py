"""The change pages under AppTest: staff submit and withdraw, reviewers approve and reject."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.data.db import read_session
from plugins.registry.models import ChangeRequest, Person
from tests.helpers import signed_in_app


def first_living(county: str) -> Person:
    with read_session() as s:
        return s.scalars(select(Person).where(Person.county_code == county, Person.status == "在职")
                         .order_by(Person.id)).first()


def submit_death(person: Person, reason: str = "家属告知"):
    at = signed_in_app("staff_jd", page="registry-submit")
    at.radio(key="change_kind").set_value("去世").run()
    at.text_input(key="change_q").input(person.id_number).run()
    next(t for t in at.text_input if t.label == "去世日期").input("2026-11-01")  # core.ui.dates
    next(t for t in at.text_area if t.label == "变动理由").input(reason)
    at.button(key="FormSubmitter:change_去世-提交").click().run()
    return at


def test_staff_submit_a_death_and_a_reviewer_approves_it(roster_db):
    person = first_living("330182")
    at = submit_death(person)
    assert not at.exception
    assert at.success[0].value.startswith("已提交去世申请")
    with read_session() as s:
        request = s.scalar(select(ChangeRequest).where(ChangeRequest.person_id == person.id))
        assert request.state == "待审核" and s.get(Person, person.id).status == "在职"

    queue = signed_in_app("reviewer", page="registry-review")
    assert f"编号 {request.id} · 去世 · {person.name} · 建德市" in queue.selectbox(key="queue_request").options
    queue.selectbox(key="queue_request").set_value(request.id).run()
    diff = queue.dataframe[1].value
    assert list(diff.iloc[0]) == ["人员状态", "在职", "去世"]
    queue.button(key=f"approve_{request.id}").click().run()
    assert "已通过 1 件。" in [s.value for s in queue.success]
    with read_session() as s:
        assert s.get(Person, person.id).status == "去世"


def test_a_rejection_needs_a_reason(roster_db):
    submit_death(first_living("330182"))
    queue = signed_in_app("reviewer", page="registry-review")
    rid = queue.selectbox(key="queue_request").value
    queue.button(key=f"reject_{rid}").click().run()
    assert any("驳回必须填写理由" in e.value for e in queue.error)
    queue.text_area(key=f"reject_reason_{rid}").input("缺少死亡证明")
    queue.button(key=f"reject_{rid}").click().run()
    assert "已驳回 1 件。" in [s.value for s in queue.success]
    with read_session() as s:
        assert s.get(ChangeRequest, rid).decision_reason == "缺少死亡证明"


def test_staff_see_and_withdraw_their_own_requests(roster_db):
    submit_death(first_living("330182"))
    mine = signed_in_app("staff_jd", page="registry-mine")
    assert list(mine.dataframe[0].value["状态"]) == ["待审核"]
    assert "撤回" not in [b.label for b in mine.button]  # nothing preselected to withdraw at one click
    mine.selectbox(key="mine_request").select_index(0).run()
    mine.button(key="withdraw").click().run()
    assert "已撤回" not in " ".join(s.value for s in mine.success)  # asked first
    mine.button(key="confirm_withdraw").click().run()
    assert mine.success[0].value.startswith("已撤回")
    mine.run()
    assert list(mine.dataframe[0].value["状态"]) == ["已撤回"]
    assert "撤回" not in [b.label for b in mine.button]  # nothing pending any more


def test_staff_cannot_find_people_of_another_county_to_change(roster_db):
    other = first_living("330127")
    at = signed_in_app("staff_jd", page="registry-submit")
    at.radio(key="change_kind").set_value("去世").run()
    at.text_input(key="change_q").input(other.id_number).run()
    assert [i.value for i in at.info] == ["您的区县内没有找到该人员。"]


@pytest.mark.parametrize(("username", "page"), [("manager", "registry-submit"),
                                                ("manager", "registry-review"),
                                                ("staff_jd", "registry-review"),
                                                ("reviewer", "registry-submit")])
def test_pages_outside_a_role_say_no_access(roster_db, username, page):
    at = signed_in_app(username, page=page)
    assert [e.value for e in at.error] == ["无权访问"]


def test_bulk_approval(roster_db):
    with read_session() as s:
        people = s.scalars(select(Person).where(Person.county_code == "330182", Person.status == "在职")
                           .order_by(Person.id).limit(3)).all()
    for person in people:
        submit_death(person)
    with read_session() as s:
        ids = list(s.scalars(select(ChangeRequest.id).where(
            ChangeRequest.person_id.in_([p.id for p in people]), ChangeRequest.state == "待审核")))
    queue = signed_in_app("reviewer", page="registry-review")
    queue.multiselect(key="queue_bulk").set_value(ids).run()
    queue.button(key="approve_bulk").click().run()
    assert not queue.success  # a confirmation first, naming everyone
    queue.button(key="confirm_bulk").click().run()
    assert "已通过 3 件。" in [s.value for s in queue.success]
    with read_session() as s:
        assert {s.get(Person, p.id).status for p in people} == {"去世"}


def test_the_admin_import_export_page(roster_db):
    at = signed_in_app("admin", page="registry-io")
    assert not at.exception
    assert at.title[0].value == "名册导入导出"
    assert [f.label for f in at.file_uploader] == ["上传劳模工匠名册（.xlsx）"]
    assert any(b.label.startswith("导出名册（") for b in at.button)
