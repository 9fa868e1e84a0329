"""Changes to the roster: submitted, withdrawn, approved or rejected; one decision only."""

from __future__ import annotations

import datetime as dt
import textwrap
import threading

import pytest
from sqlalchemy import func, select

from core.access.auth import CurrentUser
from core.data.db import read_session, session_scope
from core.data.models import AuditEntry
from plugins.registry import changes
from plugins.registry.models import ChangeRequest, Honour, Person
from tests.sheets import make_id

STAFF_JD = CurrentUser("staff_jd", "建德工作人员", "staff", "330182")
STAFF_CA = CurrentUser("staff_ca", "淳安工作人员", "staff", "330127")
REVIEWER = CurrentUser("reviewer", "审核员乙", "reviewer", None)


def living_in(county: str) -> Person:
    with read_session() as s:
        return s.scalars(select(Person).where(Person.county_code == county, Person.status == "在职")
                         .order_by(Person.id)).first()


def submit(fn, user, *args, **kw):
    with session_scope(user.actor) as s:
        return fn(s, user, *args, **kw).id


def decide(request_id, approve=True, reason=None, user=REVIEWER):
    with session_scope(user.actor) as s:
        return changes.decide(s, user, request_id, approve, reason)


def test_a_death_changes_nothing_until_approved_then_the_person_leaves_counts(roster_db):
    person = living_in("330182")
    rid = submit(changes.submit_death, STAFF_JD, person.id, dt.date(2026, 10, 1), "家属告知，附死亡证明")
    with read_session() as s:
        assert s.get(Person, person.id).status == "在职"
    decide(rid)
    with read_session() as s:
        after = s.get(Person, person.id)
        assert (after.status, after.death_date) == ("去世", dt.date(2026, 10, 1))
        actions = list(s.scalars(select(AuditEntry.action).where(
            AuditEntry.table_name.in_(["registry_change", "registry_person"]))
            .order_by(AuditEntry.id)))
    assert actions[-3:] == ["create", "approve", "update"]  # request, decision, change


def test_a_transfer_moves_the_person_to_the_receiving_county(roster_db):
    person = living_in("330182")
    rid = submit(changes.submit_transfer, STAFF_JD, person.id, "330127", "淳安县千岛湖旅游集团", "工作调动")
    decide(rid)
    with read_session() as s:
        moved = s.get(Person, person.id)
        from plugins.registry.queries import PersonFilter, find_people

        chunan = find_people(s, PersonFilter(text=person.id_number, counties=("330127",)))
        jiande = find_people(s, PersonFilter(text=person.id_number, counties=("330182",)))
    assert (moved.county_code, moved.employer) == ("330127", "淳安县千岛湖旅游集团")
    assert [p.id for p in chunan] == [person.id] and jiande == []  # the receiving county sees it


def test_an_addition_creates_a_person_and_a_second_one_adds_an_honour(roster_db):
    number = make_id("19900101", 111)
    rid = submit(changes.submit_addition, STAFF_JD, {"name": "新劳模", "id_number": number,
                                                     "employer": "建德某厂"}, "建德金匠", 2025, "新评选")
    decide(rid)
    rid = submit(changes.submit_addition, STAFF_JD, {"id_number": number}, "杭州工匠", 2026, "又获评")
    decide(rid)
    with read_session() as s:
        person = s.scalar(select(Person).where(Person.id_number == number))
        names = set(s.scalars(select(Honour.name).where(Honour.person_id == person.id)))
    assert (person.county_code, person.gender, names) == ("330182", "男", {"建德金匠", "杭州工匠"})


def test_a_correction_sets_only_the_fields_it_names(roster_db):
    person = living_in("330182")
    rid = submit(changes.submit_correction, STAFF_JD, person.id, {"education": "硕士研究生"}, "学历提升")
    decide(rid)
    with read_session() as s:
        after = s.get(Person, person.id)
    assert after.education == "硕士研究生" and after.name == person.name


def test_staff_cannot_submit_outside_their_county_and_reasons_are_required(roster_db):
    other = living_in("330127")
    with session_scope(STAFF_JD.actor) as s:
        with pytest.raises(changes.ChangeError, match="^找不到该人员$"):  # not "淳安县 ..."
            changes.submit_death(s, STAFF_JD, other.id, dt.date(2026, 1, 1), "理由")
        with pytest.raises(changes.ChangeError, match="请填写变动理由"):
            changes.submit_death(s, STAFF_JD, living_in("330182").id, dt.date(2026, 1, 1), " ")
    rid = submit(changes.submit_death, STAFF_JD, living_in("330182").id, dt.date(2026, 1, 1), "理由")
    with pytest.raises(changes.ChangeError, match="驳回必须填写理由"):
        decide(rid, approve=False)
    decide(rid, approve=False, reason="缺少证明材料")
    with read_session() as s:
        request = s.get(ChangeRequest, rid)
        assert (request.state, request.decision_reason) == ("已驳回", "缺少证明材料")
        assert s.get(Person, request.person_id).status == "在职"


def test_a_pending_request_can_be_withdrawn_by_its_submitter_only(roster_db):
    rid = submit(changes.submit_death, STAFF_JD, living_in("330182").id, dt.date(2026, 1, 1), "理由")
    with session_scope(STAFF_CA.actor) as s, pytest.raises(changes.AlreadyDecided):
        changes.withdraw(s, STAFF_CA, rid)
    with session_scope(STAFF_JD.actor) as s:
        changes.withdraw(s, STAFF_JD, rid)
    with pytest.raises(changes.AlreadyDecided):
        decide(rid)


def test_an_approval_is_announced_to_other_plugins(roster_db, tmp_path, monkeypatch):
    (tmp_path / "studios_listener.py").write_text(textwrap.dedent('''
        from core.host.hookspecs import hookimpl
        SEEN = []
        @hookimpl
        def jiangxin_notification(event, payload, session):
            SEEN.append((event, payload["kind"], payload["person_id"]))
    '''))
    monkeypatch.setenv("JIANGXIN_PLUGIN_PATH", str(tmp_path))
    from core.host.loader import get_host

    person = living_in("330182")
    decide(submit(changes.submit_death, STAFF_JD, person.id, dt.date(2026, 1, 1), "理由"))
    listener = get_host().pm.get_plugin("studios_listener")
    assert listener.SEEN == [("registry.change_approved", "去世", person.id)]


def race(request_id: int, threads: int = 8) -> list[str]:
    """``threads`` reviewers decide the same request at the same moment."""
    barrier, outcomes = threading.Barrier(threads), []

    def reviewer(i):
        user = CurrentUser(f"reviewer{i}", "审核员", "reviewer", None)
        barrier.wait()
        try:
            with session_scope(user.actor) as s:
                changes.decide(s, user, request_id, approve=True)
            outcomes.append("decided")
        except changes.AlreadyDecided:
            outcomes.append("already")

    workers = [threading.Thread(target=reviewer, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return outcomes


def test_many_reviewers_at_once_exactly_one_decision_counts(roster_db):
    person = living_in("330182")
    rid = submit(changes.submit_correction, STAFF_JD, person.id, {"post": "首席技师"}, "晋升")
    outcomes = race(rid)
    assert sorted(outcomes) == ["already"] * 7 + ["decided"]
    with read_session() as s:
        assert s.scalar(select(func.count()).where(AuditEntry.action == "approve",
                                                   AuditEntry.row_id == str(rid))) == 1
        assert s.scalar(select(func.count()).where(AuditEntry.table_name == "registry_person",
                                                   AuditEntry.action == "update",
                                                   AuditEntry.row_id == str(person.id))) == 1
        assert s.get(Person, person.id).post == "首席技师"


def test_many_reviewers_at_once_on_postgresql(pg_roster):
    number = make_id("19700101", 111)
    with session_scope(REVIEWER.actor) as s:
        person = Person(name="并发测试", name_initials="bfcs", gender="男", id_number=number,
                        birth_date=dt.date(1970, 1, 1), county_code="330182", status="在职")
        s.add(person)
    rid = submit(changes.submit_death, STAFF_JD, person.id, dt.date(2026, 1, 1), "理由")
    assert sorted(race(rid)) == ["already"] * 7 + ["decided"]
    with read_session() as s:
        assert s.get(Person, person.id).status == "去世"
        assert s.scalar(select(func.count()).where(AuditEntry.action == "approve")) == 1


def test_the_overview_counts_pending_and_approved_changes_live(roster_db):
    from tests.helpers import signed_in_app

    def pending_now():
        with read_session() as s:
            return s.scalar(select(func.count()).where(ChangeRequest.state == "待审核"))

    at = signed_in_app("manager")
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["待审核变动"] == str(pending_now()) and pending_now() > 0
    approved_before = tiles["本年度通过变动"]
    with read_session() as s:
        rid = s.scalar(select(ChangeRequest.id).where(ChangeRequest.state == "待审核",
                                                      ChangeRequest.kind != "新增"))
    decide(rid)
    at.run()
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["待审核变动"] == str(pending_now())
    assert int(tiles["本年度通过变动"]) == int(approved_before) + 1


def test_staff_bulk_additions_become_pending_requests_not_roster_rows(roster_db, tmp_path):
    from core.host.loader import get_host
    from core.spreadsheet import import_file
    from tests.sheets import county_workbook, save

    header = ["姓名", "身份证号", "工作单位", "荣誉", "授予年份"]
    rows = [["批量甲", make_id("19910101", 111), "建德某厂", "建德金匠", 2025],
            ["批量乙", make_id("19920202", 222), "建德某校", "杭州工匠", 2026]]
    path = save(county_workbook(rows, header), tmp_path / "新增.xlsx")
    table = get_host().spreadsheet_tables["roster_additions"]
    result = import_file(table, path, STAFF_JD.actor, counties=("330182",))
    assert result.ok and result.written == 2
    with read_session() as s:
        assert not s.scalar(select(Person).where(Person.id_number == make_id("19910101", 111)))
        requests = s.scalars(select(ChangeRequest).where(ChangeRequest.reason == "批量导入")).all()
    assert {(r.kind, r.state, r.county_code, r.submitted_by) for r in requests} == {
        ("新增", "待审核", "330182", "staff_jd")}

    again = import_file(table, path, STAFF_JD.actor, counties=("330182",))
    assert again.written == 0 and len(again.already_present) == 2  # already asked for

    decide(requests[0].id)
    with read_session() as s:
        person = s.scalar(select(Person).where(Person.id_number == requests[0].payload["person"]["id_number"]))
        assert person.county_code == "330182" and person.status == "在职"
        assert [h.name for h in s.scalars(select(Honour).where(Honour.person_id == person.id))] == [
            requests[0].payload["honour"]]


def test_a_persons_page_shows_the_full_change_history(roster_db):
    from tests.helpers import signed_in_app

    person = living_in("330182")
    rid = submit(changes.submit_correction, STAFF_JD, person.id, {"post": "高级技师"}, "晋升")
    decide(rid)
    at = signed_in_app("reviewer", page="registry-people", query={"person": str(person.id)})
    history = at.dataframe[-1].value
    assert rid in list(history["编号"])
    row = history[history["编号"] == rid].iloc[0]
    assert (row["类型"], row["状态"], row["审核人"]) == ("信息更正", "已通过", "审核员乙")  # by name, not login


def test_bulk_additions_refuse_a_known_person_of_another_county_and_two_honours_approve(roster_db, tmp_path):
    from core.host.loader import get_host
    from core.spreadsheet import import_file
    from tests.sheets import county_workbook, save

    header = ["姓名", "身份证号", "荣誉", "授予年份"]
    table = get_host().spreadsheet_tables["roster_additions"]
    other = living_in("330127")
    path = save(county_workbook([[other.name, other.id_number, "建德银匠", 2026]], header), tmp_path / "a.xlsx")
    result = import_file(table, path, STAFF_JD.actor, counties=("330182",))
    # refused without a word about the person: neither the name nor the status
    assert result.written == 0 and result.problems[0].reason == "该身份证号无法在本区县登记，请联系市协会"
    assert other.name not in str(result.problems) and other.status not in str(result.problems)
    with read_session() as s:
        assert not s.scalar(select(ChangeRequest).where(ChangeRequest.reason == "批量导入"))

    number = make_id("19930303", 111)  # one new person, two honours: two rows, two requests
    rows = [["双荣誉", number, "建德金匠", 2025], ["双荣誉", number, "杭州工匠", 2026]]
    assert import_file(table, save(county_workbook(rows, header), tmp_path / "b.xlsx"), STAFF_JD.actor,
                       counties=("330182",)).written == 2
    with read_session() as s:
        ids = s.scalars(select(ChangeRequest.id).where(ChangeRequest.reason == "批量导入")).all()
    for rid in ids:
        decide(rid)
    with read_session() as s:
        person = s.scalar(select(Person).where(Person.id_number == number))
        assert {h.name for h in s.scalars(select(Honour).where(Honour.person_id == person.id))} == {
            "建德金匠", "杭州工匠"}
