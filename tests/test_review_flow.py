"""The review flow: who a request is about, 退回修改 and 重新提交, no double requests, confirmations,
new decisions on 我的申请, masking in forms, the queue's URL filters and the demo's requests."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from core.access.auth import CurrentUser
from core.data.audit import Actor
from core.data.db import read_session, session_scope
from core.data.models import AuditEntry
from plugins.registry import changes
from plugins.registry.models import ChangeEvent, ChangeRequest, Person, initials
from plugins.registry.vocab import mask_id, mask_phone
from tests.helpers import signed_in_app, texts
from tests.sheets import make_id
from tests.test_masks import _everything_shown

STAFF_JD = CurrentUser("staff_jd", "建德工作人员", "staff", "330182")
STAFF_CA = CurrentUser("staff_ca", "淳安工作人员", "staff", "330127")
REVIEWER = CurrentUser("reviewer", "审核员乙", "reviewer", None)
ADMIN = CurrentUser("admin", "管理员甲", "admin", None)


def people_in(county: str, n: int = 1, *, with_phone: bool = False) -> list[Person]:
    stmt = select(Person).where(Person.county_code == county, Person.status == "在职")
    if with_phone:
        stmt = stmt.where(Person.phone.is_not(None))
    with read_session() as s:
        return list(s.scalars(stmt.order_by(Person.id).limit(n)))


def call(fn, user, *args, **kw):
    with session_scope(user.actor) as s:
        result = fn(s, user, *args, **kw)
        return getattr(result, "id", result)


def death(person: Person, user=STAFF_JD) -> int:
    return call(changes.submit_death, user, person.id, dt.date(2026, 10, 1), "家属告知")


def events(rid: int) -> list[str]:
    with read_session() as s:
        return list(s.scalars(select(ChangeEvent.action).where(ChangeEvent.request_id == rid)
                              .order_by(ChangeEvent.id)))


def request(rid: int) -> ChangeRequest:
    with read_session() as s:
        return s.get(ChangeRequest, rid)


# --- every view names the person -----------------------------------------------------------

def test_the_queue_picker_bulk_list_and_card_name_the_person(roster_db):
    person = people_in("330182")[0]
    rid = death(person)
    at = signed_in_app("reviewer", page="registry-review")
    table = at.dataframe[0].value
    row = table[table["编号"] == rid].iloc[0]
    assert (row["姓名"], row["身份证号码"], row["区县"], row["人员状态"]) == (
        person.name, person.id_number, "建德市", "在职")  # a reviewer sees full numbers
    assert row["提交人"] == "建德工作人员"  # display names, not logins
    label = f"编号 {rid} · 去世 · {person.name} · 建德市"
    assert label in at.selectbox(key="queue_request").options
    assert label in at.multiselect(key="queue_bulk").options
    at.selectbox(key="queue_request").set_value(rid).run()
    card = " ".join(m.value for m in at.markdown)
    assert person.name in card and (person.employer or "单位未填") in card


def test_my_requests_name_the_person_with_the_number_masked(roster_db):
    person = people_in("330182")[0]
    rid = death(person)
    at = signed_in_app("staff_jd", page="registry-mine")
    row = at.dataframe[0].value.iloc[0]
    assert (row["编号"], row["姓名"], row["身份证号码"]) == (rid, person.name, mask_id(person.id_number))
    at.selectbox(key="mine_request").set_value(rid).run()
    shown = _everything_shown(at, but="-")
    assert person.name in shown and person.id_number not in shown


def test_the_audit_log_names_the_person_without_the_full_number(roster_db):
    person = people_in("330182")[0]
    rid = death(person)
    call(changes.decide, REVIEWER, rid, True)
    with read_session() as s:
        summaries = list(s.scalars(select(AuditEntry.summary).where(
            AuditEntry.table_name == "registry_change", AuditEntry.row_id == str(rid),
            AuditEntry.summary != "").order_by(AuditEntry.id)))
    assert summaries == [f"提交去世申请：{person.name}（{mask_id(person.id_number)}，建德市）",
                         f"通过去世申请（编号 {rid}）：{person.name}（{mask_id(person.id_number)}，建德市）"]
    assert not any(person.id_number in s for s in summaries)


# --- no double work ------------------------------------------------------------------------

def test_a_second_request_of_the_same_kind_for_the_same_person_is_refused_naming_the_first(roster_db):
    person = people_in("330182")[0]
    rid = death(person)
    with pytest.raises(changes.ChangeError) as refused:
        death(person)
    assert str(refused.value) == f"该人员已有待审核的去世申请（编号 {rid}），请勿重复提交"
    call(changes.send_back, REVIEWER, rid, "请附死亡证明")
    with pytest.raises(changes.ChangeError, match=f"已有退回修改的去世申请（编号 {rid}），请在“我的申请”中修改"):
        death(person)
    call(changes.withdraw, STAFF_JD, rid)
    assert death(person) != rid  # closed: a new one may be filed


def test_a_new_person_pending_in_one_addition_is_refused_in_another(roster_db):
    number = make_id("19880808", 517)
    fields = {"id_number": number, "name": "欧阳新", "county_code": "330182"}
    rid = call(changes.submit_addition, STAFF_JD, fields, "建德金匠", 2025, "新评")
    for honour in ("建德金匠", "杭州工匠"):
        with pytest.raises(changes.ChangeError) as refused:
            call(changes.submit_addition, STAFF_JD, fields, honour, 2025, "再评")
        assert str(refused.value) == f"该人员已有待审核的新增申请（编号 {rid}），请勿重复提交"


def test_the_database_refuses_a_duplicate_that_slips_past_the_check(roster_db):
    """Two sessions at the same moment: the partial unique index stops the second."""
    person = people_in("330182")[0]
    rid = death(person)
    with pytest.raises(IntegrityError), session_scope(Actor("fixture", "admin")) as s:
        s.add(ChangeRequest(kind="去世", state="待审核", person_id=person.id, county_code="330182",
                            payload={}, reason="并发", submitted_by="staff_jd",
                            open_key=request(rid).open_key))
    with session_scope(Actor("fixture", "admin")) as s:  # closed requests do not count
        s.add(ChangeRequest(kind="去世", state="已驳回", person_id=person.id, county_code="330182",
                            payload={}, reason="旧的", submitted_by="staff_jd",
                            open_key=request(rid).open_key))


@pytest.fixture(params=["sqlite", "postgresql"])
def roster_on(request, monkeypatch) -> str:
    """The roster plugin on: the demo roster in SQLite, or an empty roster in PostgreSQL."""
    return request.getfixturevalue("roster_db" if request.param == "sqlite" else "pg_roster")


def _blocked_on_a_lock(url: str) -> bool:
    """PostgreSQL: another connection of this database waits for a row lock (the second insert
    of the same key waits for the first transaction). SQLite: its writers never overlap."""
    if not url.startswith("postgresql"):
        return True
    with read_session() as s:
        return bool(s.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                  "AND wait_event_type = 'Lock'")))


def test_two_sessions_filing_the_same_request_at_once_make_one(roster_on):
    """The second session's check cannot see the first's uncommitted request: its insert waits
    on the unique index, fails when the first commits, and is refused naming the first."""
    number = make_id("19500505", 411)
    with session_scope(Actor("fixture", "admin")) as s:
        person = Person(name="钱塘潮", name_initials=initials("钱塘潮"), gender="男", id_number=number,
                        birth_date=dt.date(1950, 5, 5), county_code="330182", status="在职")
        s.add(person)
        s.flush()
        pid = person.id
    filed, outcome = threading.Event(), {}

    def second() -> None:
        filed.wait(30)
        try:
            with session_scope(STAFF_JD.actor) as s:
                changes.submit_death(s, STAFF_JD, pid, dt.date(2026, 1, 1), "再次告知")
            outcome["second"] = "filed"
        except changes.ChangeError as exc:
            outcome["second"] = str(exc)

    other = threading.Thread(target=second)
    other.start()
    with session_scope(STAFF_JD.actor) as s:
        first = changes.submit_death(s, STAFF_JD, pid, dt.date(2026, 1, 1), "家属告知").id
        filed.set()
        deadline = time.monotonic() + 30
        while not _blocked_on_a_lock(roster_on) and time.monotonic() < deadline:
            time.sleep(0.05)  # polling for the other session to reach its insert, not a fixed wait
    other.join(60)
    assert outcome == {"second": f"该人员已有待审核的去世申请（编号 {first}），请勿重复提交"}
    with read_session() as s:
        assert s.scalar(select(func.count()).where(ChangeRequest.person_id == pid)) == 1


# --- 退回修改 and 重新提交 --------------------------------------------------------------------

def test_a_returned_request_is_fixed_resubmitted_and_keeps_its_history(roster_db):
    person = people_in("330182")[0]
    rid = call(changes.submit_correction, STAFF_JD, person.id, {"post": "首席技师"}, "职务调整")
    with pytest.raises(changes.ChangeError, match="退回修改必须填写意见"):
        call(changes.send_back, REVIEWER, rid, " ")
    call(changes.send_back, REVIEWER, rid, "请附聘任文件，职务应为特级技师")
    assert (request(rid).state, request(rid).decision_reason) == ("退回修改", "请附聘任文件，职务应为特级技师")
    with pytest.raises(changes.AlreadyDecided):  # a returned request is not in the queue
        call(changes.decide, REVIEWER, rid, True)
    with pytest.raises(changes.ChangeError, match="找不到该申请"):  # another county's staff
        call(changes.submit_correction, STAFF_CA, person.id, {"post": "特级技师"}, "改", revising=rid)
    again = call(changes.submit_correction, STAFF_JD, person.id, {"post": "特级技师"}, "已附文件",
                 revising=rid)
    assert again == rid
    after = request(rid)
    assert (after.state, after.payload, after.reason, after.decided_by) == ("待审核", {"post": "特级技师"},
                                                                            "已附文件", None)
    with pytest.raises(changes.AlreadyDecided):  # pending again: not resubmitted twice
        call(changes.submit_correction, STAFF_JD, person.id, {"post": "班组长"}, "再改", revising=rid)
    call(changes.decide, REVIEWER, rid, True)
    assert events(rid) == ["提交", "退回修改", "重新提交", "通过"]
    with read_session() as s:
        assert s.get(Person, person.id).post == "特级技师"


def test_nobody_returns_their_own_request(roster_db):
    person = people_in("330182")[0]
    rid = death(person, user=ADMIN)
    with pytest.raises(changes.Forbidden, match="不能审核自己提交的申请"):
        call(changes.send_back, ADMIN, rid, "自己退回")
    assert request(rid).state == "待审核"


def test_staff_reopen_a_returned_request_filled_in_and_send_it_again(roster_db):
    person = people_in("330182")[0]
    rid = call(changes.submit_correction, STAFF_JD, person.id, {"post": "首席技师"}, "职务调整")
    call(changes.send_back, REVIEWER, rid, "职务应为特级技师，请改正")
    at = signed_in_app("staff_jd", page="registry-mine")
    assert at.warning[0].value.startswith("有 1 件申请被退回修改")
    at.selectbox(key="mine_request").set_value(rid).run()
    assert "审核意见：职务应为特级技师，请改正" in texts(at)
    history = at.dataframe[-1].value
    assert list(history["操作"]) == ["提交", "退回修改"] and list(history["操作人"]) == ["建德工作人员", "审核员乙"]
    at.button(key=f"revise_{rid}").click().run()
    post = next(t for t in at.text_input if t.label == "职务/工种")
    assert post.value == "首席技师"  # the request's own value, not the record's
    assert next(t for t in at.text_area if t.label == "变动理由").value == "职务调整"
    post.input("特级技师")
    at.button(key="FormSubmitter:revise-重新提交").click().run()
    assert not at.exception
    assert at.success[0].value == f"已重新提交信息更正申请（编号 {rid}，{person.name}），等待审核。"
    assert (request(rid).state, request(rid).payload) == ("待审核", {"post": "特级技师"})
    assert list(at.dataframe[0].value["状态"]) == ["待审核"]


def test_a_reviewer_returns_a_request_from_the_queue(roster_db):
    rid = death(people_in("330182")[0])
    at = signed_in_app("reviewer", page="registry-review")
    at.selectbox(key="queue_request").set_value(rid).run()
    at.button(key=f"return_{rid}").click().run()
    assert any("退回修改必须填写意见" in e.value for e in at.error)
    at.text_area(key=f"reject_reason_{rid}").input("请附死亡证明")
    at.button(key=f"return_{rid}").click().run()
    assert "已退回修改 1 件。" in [s.value for s in at.success]
    assert rid not in list(at.dataframe[0].value["编号"])  # the queue as it now is
    assert request(rid).state == "退回修改"


# --- forms clear, confirmations ------------------------------------------------------------

def test_the_addition_form_clears_after_success_and_a_second_click_files_nothing(roster_db):
    at = signed_in_app("staff_jd", page="registry-submit")
    number = make_id("19900909", 733)
    boxes = {t.label: t for t in at.text_input}
    # a new request has nothing to keep: its number box does not say "leave blank to keep"
    assert "不改" not in (boxes["公民身份号码"].placeholder or "")
    boxes["公民身份号码"].input(number)
    boxes["姓名（已在名册中的人员可不填）"].input("司马新")
    boxes["工作单位"].input("建德市新安江水电站")
    next(t for t in at.text_area if t.label == "变动理由").input("新评建德金匠")
    at.button(key="FormSubmitter:addition-提交").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("已提交新增申请（编号 ")
    assert [t.value for t in at.text_input] == ["", "", ""]
    assert [t.value for t in at.text_area if t.label == "变动理由"] == [""]
    at.button(key="FormSubmitter:addition-提交").click().run()  # the same click again
    with read_session() as s:
        assert s.scalar(select(func.count()).where(ChangeRequest.open_key.like(f"新增:{number}:%"))) == 1


def test_bulk_approval_lists_the_people_and_asks_before_acting(roster_db):
    people = people_in("330182", 2)
    ids = [death(p) for p in people]
    at = signed_in_app("reviewer", page="registry-review")
    at.multiselect(key="queue_bulk").set_value(ids).run()
    at.button(key="approve_bulk").click().run()
    assert "确认通过以下 2 件申请？通过后立即生效。" in [w.value for w in at.warning]
    assert list(at.dataframe[-1].value["姓名"]) == [p.name for p in people]
    assert {request(i).state for i in ids} == {"待审核"}
    at.button(key="cancel_bulk").click().run()
    assert "确认通过 2 件" not in [b.label for b in at.button]
    at.button(key="approve_bulk").click().run()
    at.button(key="confirm_bulk").click().run()
    assert "已通过 2 件。" in [s.value for s in at.success]
    assert {request(i).state for i in ids} == {"已通过"}


def test_withdrawing_asks_with_the_persons_name(roster_db):
    person = people_in("330182")[0]
    rid = death(person)
    at = signed_in_app("staff_jd", page="registry-mine")
    at.selectbox(key="mine_request").set_value(rid).run()
    at.button(key="withdraw").click().run()
    assert f"确认撤回 {person.name}（建德市）的去世申请（编号 {rid}）？撤回后不能恢复。" in \
        [w.value for w in at.warning]
    assert request(rid).state == "待审核"
    at.button(key="confirm_withdraw").click().run()
    assert request(rid).state == "已撤回" and events(rid) == ["提交", "撤回"]
    # withdrawing is not a review: the table names no reviewer for it (办理经过 says who withdrew)
    row = signed_in_app("staff_jd", page="registry-mine").dataframe[0].value.set_index("编号").loc[rid]
    assert (row["状态"], row["审核人"], row["审核时间"]) == ("已撤回", "", "")


# --- new decisions reach the submitter -----------------------------------------------------

def test_new_decisions_are_counted_until_my_requests_is_opened(roster_db):
    first, second = people_in("330182", 2)
    call(changes.decide, REVIEWER, death(first), False, "缺少死亡证明")
    call(changes.send_back, REVIEWER, death(second), "日期有误")
    submit = signed_in_app("staff_jd", page="registry-submit")
    assert "您有 2 条新的审核结果，请到“我的申请”查看。" in [i.value for i in submit.info]
    mine = signed_in_app("staff_jd", page="registry-mine")
    assert "您有 2 条新的审核结果，已在下表中标记为“新”。" in [i.value for i in mine.info]
    assert list(mine.dataframe[0].value["新"]) == ["●", "●"]
    assert list(mine.dataframe[0].value["审核人"]) == ["审核员乙", "审核员乙"]
    # a rerun of the page (the cookie's, or any click) keeps the message the opening showed
    assert "您有 2 条新的审核结果，已在下表中标记为“新”。" in [i.value for i in mine.run().info]
    again = signed_in_app("staff_jd", page="registry-mine")
    assert not any("新的审核结果" in i.value for i in again.info)
    later = signed_in_app("staff_jd", page="registry-submit")
    assert not any("新的审核结果" in i.value for i in later.info)


# --- masking in forms ----------------------------------------------------------------------

def test_a_returned_correction_never_puts_a_full_phone_in_the_form(roster_db):
    person = people_in("330182", with_phone=True)[0]
    new_phone = "13912345678"
    rid = call(changes.submit_correction, STAFF_JD, person.id, {"phone": new_phone}, "换号")
    call(changes.send_back, REVIEWER, rid, "请附说明")
    at = signed_in_app("staff_jd", page="registry-mine")
    at.selectbox(key="mine_request").set_value(rid).run()
    at.button(key=f"revise_{rid}").click().run()
    shown = _everything_shown(at, but="-")
    for full in (person.phone, new_phone, person.id_number):
        assert full not in shown
    phone = next(t for t in at.text_input if t.label == "联系电话")
    assert phone.value == "" and phone.placeholder == f"现为 {mask_phone(new_phone)}，不改请留空"
    next(t for t in at.text_area if t.label == "变动理由").input("换号，附说明")
    at.button(key="FormSubmitter:revise-重新提交").click().run()
    assert request(rid).payload == {"phone": new_phone}  # left blank: the number asked for stays


def test_a_correction_of_the_id_number_is_checked_like_a_new_person(roster_db):
    person, other = people_in("330182", 2)
    good = make_id("19700101", 111)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")  # the checksum no longer agrees
    with pytest.raises(changes.ChangeError, match="公民身份号码"):
        call(changes.submit_correction, STAFF_JD, person.id, {"id_number": bad}, "改")
    with pytest.raises(changes.ChangeError, match="该身份证号码已登记为"):
        call(changes.submit_correction, STAFF_JD, person.id, {"id_number": other.id_number}, "改")
    number = make_id("19700101", 222)  # even: a woman
    with pytest.raises(changes.ChangeError, match="性别与公民身份号码不符"):
        call(changes.submit_correction, STAFF_JD, person.id, {"id_number": number, "gender": "男"}, "改")
    with pytest.raises(changes.ChangeError, match="出生日期与公民身份号码不符"):
        call(changes.submit_correction, STAFF_JD, person.id, {"id_number": number, "birth_date": "1970-01-02"}, "改")
    rid = call(changes.submit_correction, STAFF_JD, person.id, {"id_number": number, "gender": "女"}, "号码录错")
    call(changes.decide, REVIEWER, rid, True)
    with read_session() as s:
        after = s.get(Person, person.id)
    assert (after.id_number, after.gender, after.birth_date) == (number, "女", dt.date(1970, 1, 1))


# --- the queue's URL, the demo -------------------------------------------------------------

def test_the_queue_takes_county_and_kind_from_the_url(roster_db):
    death(people_in("330127")[0], user=STAFF_CA)
    at = signed_in_app("reviewer", page="registry-review", query={"county": "330127", "kind": "去世"})
    assert (at.selectbox(key="queue_county").value, at.selectbox(key="queue_kind").value) == ("330127", "去世")
    table = at.dataframe[0].value
    assert set(table["区县"]) == {"淳安县"} and set(table["类型"]) == {"去世"}


def test_the_demo_staff_have_requests_in_every_state_and_honours_their_awarding_bodies(roster_db):
    from plugins.registry.models import Honour

    with read_session() as s:
        states = set(s.scalars(select(ChangeRequest.state).where(ChangeRequest.submitted_by == "demo_staff")))
        submitters = set(s.scalars(select(ChangeRequest.submitted_by).distinct()))
        returned = s.scalar(select(ChangeRequest.id).where(ChangeRequest.submitted_by == "demo_staff",
                                                          ChangeRequest.state == "退回修改"))
        bodies = dict(s.execute(select(Honour.name, Honour.awarding_body).distinct()).all())
    assert states == {"待审核", "退回修改", "已通过", "已驳回", "已撤回"}
    assert submitters == {"demo_staff", "demo_staff_ca", "demo_staff_xs"}
    assert events(returned) == ["提交", "退回修改"]
    assert (bodies["全国劳动模范"], bodies["浙江省劳动模范"], bodies["杭州市劳动模范"], bodies["建德金匠"]) == (
        "中华人民共和国国务院", "浙江省人民政府", "杭州市人民政府", "建德市总工会")


def _demo_snapshot(url: str) -> dict:
    from sqlalchemy import create_engine

    queries = {
        "people": "SELECT id, name, id_number, county_code, status, phone FROM registry_person ORDER BY id",
        "honours": "SELECT person_id, name, year_awarded, awarding_body FROM registry_honour ORDER BY id",
        "requests": "SELECT id, kind, state, person_id, submitted_by, payload, reason, decided_by, decision_reason, "
                    "open_key, seen_by_submitter FROM registry_change ORDER BY id",
        "events": "SELECT request_id, action, actor, note FROM registry_change_event ORDER BY id",
    }
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {name: [tuple(row) for row in conn.execute(text(sql))] for name, sql in queries.items()}
    finally:
        engine.dispose()


def test_the_demo_is_the_same_on_every_machine(roster_db, tmp_path):
    """The demo loaded again from the same seed into another database: the same people, honours,
    requests and histories (only the requests' times follow the clock)."""
    from faker import Faker

    from core.data.db import create_database, get_engine
    from core.data.migrate import upgrade
    from core.host.loader import get_host

    url = f"sqlite:///{tmp_path / 'again.db'}"
    create_database(url)
    upgrade(get_engine(url), get_host())
    faker = Faker("zh_CN")
    faker.seed_instance(7)  # as the roster_db fixture's template
    with session_scope(Actor("fixture", "admin"), url=url) as s:
        get_host().call_each("jiangxin_demo_data", savepoints=s, session=s, faker=faker, seed=7)
    first, again = _demo_snapshot(roster_db), _demo_snapshot(url)
    assert len(first["requests"]) == 265 and len(first["events"]) > 265
    assert first == again


def test_the_migration_keys_open_requests_the_older_of_two_duplicates_keeping_it(roster_db, monkeypatch):
    """A database from before the review flow, with two pending deaths of one person: upgraded,
    the older request holds the key (the newer is decided as before), and no third gets in."""
    from alembic import command

    from core.data.db import get_engine
    from core.data.migrate import alembic_config, upgrade
    from core.host.loader import get_host

    # every plugin whose revisions the database records must be loaded for Alembic to walk back
    monkeypatch.delenv("JIANGXIN_DISABLED_PLUGINS")
    cfg = alembic_config(get_host())
    with get_engine().begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "registry_0002")
    person = people_in("330182")[0]
    with get_engine().begin() as conn:
        for at in ("2026-01-01 08:00:00", "2026-01-02 08:00:00"):
            conn.execute(text(
                "INSERT INTO registry_change (kind, state, person_id, county_code, payload, reason, "
                "submitted_by, submitted_at) VALUES ('去世', '待审核', :p, '330182', '{}', '家属告知', "
                "'staff_jd', :at)"), {"p": person.id, "at": at})
    upgrade(get_engine(), get_host())
    with read_session() as s:
        keys = list(s.execute(select(ChangeRequest.id, ChangeRequest.open_key)
                              .where(ChangeRequest.person_id == person.id).order_by(ChangeRequest.submitted_at)))
    assert [k for _, k in keys] == [f"去世:{person.id}", None]
    with pytest.raises(changes.ChangeError, match=f"已有待审核的去世申请（编号 {keys[0][0]}）"):
        death(person)
