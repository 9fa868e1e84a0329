"""Every refusal of the roster's changes and of account changes: the user's Chinese message, and
nothing written (no request, no person, no honour, no account, no audit entry)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from core.access import auth
from core.access.auth import AccountError, CurrentUser
from core.data.db import read_session, session_scope
from core.data.models import AuditEntry, User
from core.settings import clock
from core.spreadsheet import cells
from plugins.registry import changes
from plugins.registry.models import ChangeRequest, Honour, Person
from plugins.registry.vocab import HONOURS
from tests.helpers import PASSWORD
from tests.sheets import make_id

STAFF_JD = CurrentUser("staff_jd", "建德工作人员", "staff", "330182")
STAFF_CA = CurrentUser("staff_ca", "淳安工作人员", "staff", "330127")
REVIEWER = CurrentUser("reviewer", "审核员乙", "reviewer", None)
ADMIN = CurrentUser("admin", "管理员甲", "admin", None)
REVIEWER_JD = CurrentUser("reviewer_jd", "建德审核员", "reviewer", "330182")


def state() -> tuple:
    """Everything a refused call could have written."""
    with read_session() as s:
        def rows(*columns):
            return s.execute(select(*columns).order_by(columns[0])).all()
        return (rows(ChangeRequest.id, ChangeRequest.state, ChangeRequest.person_id,
                     ChangeRequest.payload, ChangeRequest.decided_by, ChangeRequest.attachment_name),
                rows(Person.id, Person.name, Person.id_number, Person.county_code, Person.employer,
                     Person.status, Person.death_date, Person.phone, Person.education),
                rows(Honour.id, Honour.person_id, Honour.name),
                rows(User.id, User.username, User.role, User.county_code, User.disabled,
                     User.display_name, User.password_hash),
                s.scalar(select(func.count()).select_from(AuditEntry)))


def refused(message: str, fn, user, *args, error: type[Exception] = changes.ChangeError,
            actor=None, **kw) -> None:
    """``fn(session, user, *args)`` raises ``error`` saying exactly ``message``; nothing changed."""
    before = state()
    with pytest.raises(error) as caught:
        with session_scope(actor or user.actor) as s:
            fn(s, user, *args, **kw)
    assert str(caught.value) == message
    assert state() == before


def refused_account(message: str, fn, *args, actor=ADMIN.actor, **kw) -> None:
    """An account change ``fn(session, *args)`` by ``actor`` refused with ``message``."""
    before = state()
    with pytest.raises(AccountError) as caught:
        with session_scope(actor) as s:
            fn(s, *args, **kw)
    assert str(caught.value) == message
    assert state() == before


def person_where(*conditions) -> Person:
    with read_session() as s:
        return s.scalars(select(Person).where(*conditions).order_by(Person.id)).first()


def living_in(county: str) -> Person:
    return person_where(Person.county_code == county, Person.status == "在职")


def submit(fn, user, *args, **kw) -> int:
    with session_scope(user.actor) as s:
        return fn(s, user, *args, **kw).id


def decide(request_id, approve=True, reason=None, user=REVIEWER):
    with session_scope(user.actor) as s:
        return changes.decide(s, user, request_id, approve, reason)


def request_state(request_id: int) -> str:
    with read_session() as s:
        return s.get(ChangeRequest, request_id).state


def cell_error(parse, value) -> str:
    with pytest.raises(cells.CellError) as caught:
        parse(value)
    return str(caught.value)


# --- a county-scoped reviewer -------------------------------------------------------------


def test_a_reviewer_with_a_county_sees_and_decides_only_that_countys_requests(roster_db):
    with session_scope(ADMIN.actor) as s:
        auth.create_user(s, "reviewer_jd", "建德审核员", "reviewer", "330182", PASSWORD)
    with read_session() as s:
        assert auth.load_current_user(s, "reviewer_jd") == REVIEWER_JD
    jiande = submit(changes.submit_death, STAFF_JD, living_in("330182").id, dt.date(2026, 1, 1), "理由")
    chunan = submit(changes.submit_death, STAFF_CA, living_in("330127").id, dt.date(2026, 1, 1), "理由")
    with read_session() as s:
        queue = changes.pending_requests(s, REVIEWER_JD.visible_counties())
        counted = changes.count_pending(s, REVIEWER_JD.visible_counties())[0]
        everywhere = changes.count_pending(s, None)[0]
    assert jiande in [r.id for r in queue] and chunan not in [r.id for r in queue]
    assert {r.county_code for r in queue} == {"330182"} and counted == len(queue) < everywhere
    # the other county's request: not found (its county not even confirmed), by approval or rejection
    refused("找不到该申请", changes.decide, REVIEWER_JD, chunan, True)
    refused("找不到该申请", changes.decide, REVIEWER_JD, chunan, False, "材料不全")
    assert request_state(chunan) == "待审核"
    decide(jiande, user=REVIEWER_JD)
    assert request_state(jiande) == "已通过"


# --- decisions ----------------------------------------------------------------------------


def filed_before_duplicates_were_refused(request_id: int, name: str | None = None,
                                        honour: str | None = None) -> int:
    """A copy of a pending 新增 as one filed before a second was refused (no ``open_key``)."""
    with session_scope(STAFF_JD.actor) as s:
        first = s.get(ChangeRequest, request_id)
        payload = dict(first.payload, honour=honour or first.payload["honour"])
        if name:
            payload["person"] = dict(payload["person"], name=name)
        copy = ChangeRequest(kind=first.kind, state=first.state, person_id=first.person_id,
                             county_code=first.county_code, payload=payload, reason="重复报送",
                             submitted_by=first.submitted_by)
        s.add(copy)
        s.flush()
        return copy.id


def test_an_approval_is_refused_when_the_honour_is_held_by_then(roster_db):
    person = living_in("330182")
    with read_session() as s:
        held = set(s.scalars(select(Honour.name).where(Honour.person_id == person.id)))
    honour = next(h for h in HONOURS if h not in held)
    first = submit(changes.submit_addition, STAFF_JD, {"id_number": person.id_number}, honour, 2025, "获评")
    refused(f"该人员已有待审核的新增申请（编号 {first}），请勿重复提交", changes.submit_addition, STAFF_JD,
            {"id_number": person.id_number}, honour, 2025, "重复报送")
    second = filed_before_duplicates_were_refused(first)
    decide(first)
    refused(f"该人员已有荣誉“{honour}”，此申请不能通过，请驳回", changes.decide, REVIEWER, second, True)
    assert request_state(second) == "待审核"  # the decision was undone with the change
    decide(second, approve=False, reason="重复报送")
    with read_session() as s:
        assert s.scalar(select(func.count()).where(Honour.person_id == person.id,
                                                   Honour.name == honour)) == 1


def test_an_approval_is_refused_when_the_number_went_to_another_name_meanwhile(roster_db):
    number = make_id("19900101", 333)
    first = submit(changes.submit_addition, STAFF_JD, {"name": "新劳模甲", "id_number": number},
                   "建德金匠", 2025, "新评选")
    refused(f"该人员已有待审核的新增申请（编号 {first}），请勿重复提交", changes.submit_addition, STAFF_JD,
            {"name": "新劳模乙", "id_number": number}, "杭州工匠", 2025, "新评选")
    second = filed_before_duplicates_were_refused(first, name="新劳模乙", honour="杭州工匠")
    decide(first)
    refused("该身份证号码已登记为 新劳模甲（建德市），与申请中的人员不符，此申请不能通过，请驳回",
            changes.decide, REVIEWER, second, True)
    assert request_state(second) == "待审核"


def test_a_decided_request_cannot_be_decided_again(roster_db):
    rid = submit(changes.submit_death, STAFF_JD, living_in("330182").id, dt.date(2026, 1, 1), "理由")
    decide(rid, approve=False, reason="缺少证明材料")
    for approve in (True, False):
        refused("该申请已被处理，请刷新后查看", changes.decide, ADMIN, rid, approve, "再次审核",
                error=changes.AlreadyDecided)
    assert request_state(rid) == "已驳回"


def test_a_rejection_needs_a_reason_and_an_unknown_request_is_not_found(roster_db):
    rid = submit(changes.submit_death, STAFF_JD, living_in("330182").id, dt.date(2026, 1, 1), "理由")
    for blank in (None, "", "   "):
        refused("驳回必须填写理由", changes.decide, REVIEWER, rid, False, blank)
    refused("找不到该申请", changes.decide, REVIEWER, rid + 1000, True)
    assert request_state(rid) == "待审核"


def test_staff_cannot_decide_and_reviewers_cannot_submit(roster_db):
    rid = submit(changes.submit_death, STAFF_JD, living_in("330182").id, dt.date(2026, 1, 1), "理由")
    refused("无权执行此操作", changes.decide, STAFF_CA, rid, True, error=changes.Forbidden)
    refused("无权执行此操作", changes.submit_death, REVIEWER, living_in("330182").id,
            dt.date(2026, 1, 1), "理由", error=changes.Forbidden)
    refused("无权执行此操作", changes.withdraw, REVIEWER, rid, error=changes.Forbidden)
    assert request_state(rid) == "待审核"


# --- withdrawing --------------------------------------------------------------------------


def test_only_the_submitter_withdraws_and_only_a_pending_request(roster_db):
    rid = submit(changes.submit_death, STAFF_JD, living_in("330182").id, dt.date(2026, 1, 1), "理由")
    message = "该申请已处理或不是您提交的，无法撤回"
    refused(message, changes.withdraw, STAFF_CA, rid, error=changes.AlreadyDecided)
    refused(message, changes.withdraw, ADMIN, rid, error=changes.AlreadyDecided)  # not even an admin
    assert request_state(rid) == "待审核"
    decide(rid)
    refused(message, changes.withdraw, STAFF_JD, rid, error=changes.AlreadyDecided)
    assert request_state(rid) == "已通过"


# --- transfers and deaths -----------------------------------------------------------------


def test_a_transfer_must_go_somewhere_known_and_new(roster_db):
    person = living_in("330182")
    refused("转入区县和单位与现在相同", changes.submit_transfer, STAFF_JD, person.id, "330182",
            person.employer, "调动")
    refused("转入区县和单位与现在相同", changes.submit_transfer, STAFF_JD, person.id, "330182",
            None, "调动")  # no employer given: the same one
    refused("请选择转入区县", changes.submit_transfer, STAFF_JD, person.id, "999999", "某单位", "调动")
    refused("请选择转入区县", changes.submit_transfer, STAFF_JD, person.id, "", "某单位", "调动")


def test_a_second_pending_transfer_or_death_for_the_same_person_is_refused(roster_db):
    person = living_in("330182")
    submit(changes.submit_transfer, STAFF_JD, person.id, "330127", "淳安某厂", "调动")
    rid = request_id_of(person.id, "关系转移")
    refused(f"该人员已有待审核的关系转移申请（编号 {rid}），请勿重复提交", changes.submit_transfer, STAFF_JD,
            person.id, "330102", "上城某厂", "又调动")
    submit(changes.submit_death, STAFF_JD, person.id, dt.date(2026, 1, 1), "家属告知")
    rid = request_id_of(person.id, "去世")
    refused(f"该人员已有待审核的去世申请（编号 {rid}），请勿重复提交", changes.submit_death, STAFF_JD,
            person.id, dt.date(2026, 1, 2), "再次告知")


def request_id_of(person_id: int, kind: str) -> int:
    with read_session() as s:
        return s.scalar(select(ChangeRequest.id).where(ChangeRequest.person_id == person_id,
                                                       ChangeRequest.kind == kind))


def test_a_death_date_in_the_future_or_before_birth_is_refused(roster_db):
    person = living_in("330182")
    for day in (clock.today() + dt.timedelta(days=1), person.birth_date - dt.timedelta(days=1),
                dt.date(1900, 1, 1)):
        refused("去世日期不合理", changes.submit_death, STAFF_JD, person.id, day, "家属告知")


def test_a_deceased_person_cannot_be_transferred_or_die_again(roster_db):
    dead = person_where(Person.county_code == "330182", Person.status == "去世")
    message = f"{dead.name} 已去世，不能提交此类变动"
    refused(message, changes.submit_transfer, STAFF_JD, dead.id, "330127", "淳安某厂", "调动")
    refused(message, changes.submit_death, STAFF_JD, dead.id, dt.date(2026, 1, 1), "家属告知")
    with read_session() as s:
        honour = next(h for h in HONOURS if not s.scalar(select(Honour.id).where(
            Honour.person_id == dead.id, Honour.name == h)))
    refused(message, changes.submit_addition, STAFF_JD, {"id_number": dead.id_number}, honour,
            2025, "追授")


def test_a_person_outside_the_users_county_is_not_found(roster_db):
    other = living_in("330127")
    refused("找不到该人员", changes.submit_transfer, STAFF_JD, other.id, "330182", "建德某厂", "调动")
    refused("找不到该人员", changes.submit_correction, STAFF_JD, other.id, {"education": "博士"}, "更正")
    refused("找不到该人员", changes.submit_death, STAFF_JD, 10**9, dt.date(2026, 1, 1), "理由")


# --- corrections --------------------------------------------------------------------------


def test_a_correction_must_change_something_valid(roster_db):
    person = living_in("330182")
    refused("没有需要更正的内容", changes.submit_correction, STAFF_JD, person.id,
            {"education": person.education, "name": person.name}, "更正")
    refused("没有需要更正的内容", changes.submit_correction, STAFF_JD, person.id, {}, "更正")
    refused("姓名不能为空", changes.submit_correction, STAFF_JD, person.id, {"name": "   "}, "更正")
    refused(f"联系电话：{cell_error(cells.parse_phone, '12345')}", changes.submit_correction,
            STAFF_JD, person.id, {"phone": "12345"}, "更正")
    bad = person.id_number[:17] + ("0" if person.id_number[-1] != "0" else "1")
    refused(f"公民身份号码：{cell_error(cells.parse_id_number, bad)}", changes.submit_correction,
            STAFF_JD, person.id, {"id_number": bad}, "更正")
    refused("不能更正：county_code、status", changes.submit_correction, STAFF_JD, person.id,
            {"status": "退休", "county_code": "330127"}, "更正")


def test_a_correction_cannot_take_another_persons_number(roster_db):
    first, second = _two_living_in("330182")
    refused(f"该身份证号码已登记为 {second.name}（建德市）：一个号码只属于一个人，请核对",
            changes.submit_correction, STAFF_JD, first.id, {"id_number": second.id_number}, "更正")
    elsewhere = living_in("330127")  # in a county staff_jd does not see: nobody named
    refused(changes.ELSEWHERE, changes.submit_correction, STAFF_JD, first.id,
            {"id_number": elsewhere.id_number}, "更正")


def _two_living_in(county: str) -> list[Person]:
    with read_session() as s:
        return s.scalars(select(Person).where(Person.county_code == county, Person.status == "在职")
                         .order_by(Person.id).limit(2)).all()


# --- additions ----------------------------------------------------------------------------


def test_an_addition_needs_a_known_honour_a_valid_number_a_name_and_a_known_county(roster_db):
    number = make_id("19910202", 555)
    fields = {"name": "新劳模", "id_number": number}
    refused("未知荣誉“诺贝尔奖”", changes.submit_addition, STAFF_JD, fields, "诺贝尔奖", 2025, "新评选")
    bad = number[:17] + ("0" if number[-1] != "0" else "1")
    refused(f"公民身份号码：{cell_error(cells.parse_id_number, bad)}", changes.submit_addition,
            STAFF_JD, {**fields, "id_number": bad}, "建德金匠", 2025, "新评选")
    refused(f"公民身份号码：{cell_error(cells.parse_id_number, '')}", changes.submit_addition,
            STAFF_JD, {"name": "新劳模"}, "建德金匠", 2025, "新评选")
    refused("请填写姓名", changes.submit_addition, STAFF_JD, {"id_number": number, "name": "  "},
            "建德金匠", 2025, "新评选")
    refused("请选择所属区县", changes.submit_addition, STAFF_JD, {**fields, "county_code": "999999"},
            "建德金匠", 2025, "新评选")
    refused("请选择所属区县", changes.submit_addition, ADMIN, fields,
            "建德金匠", 2025, "新评选")  # no county given, and an administrator has none of their own
    refused("淳安县 不在您的区县范围内", changes.submit_addition, STAFF_JD,
            {**fields, "county_code": "330127"}, "建德金匠", 2025, "新评选")


def test_an_addition_for_someone_already_on_the_roster_must_match_them(roster_db):
    person = living_in("330182")
    with read_session() as s:
        held = s.scalars(select(Honour.name).where(Honour.person_id == person.id)).first()
    refused(f"{person.name} 已有荣誉“{held}”", changes.submit_addition, STAFF_JD,
            {"id_number": person.id_number}, held, 2025, "获评")
    refused(f"该身份证号码已登记为“{person.name}”，与填写的姓名“别人”不符：请核对号码；"
            "如是名册中的姓名有误，请提交信息更正", changes.submit_addition, STAFF_JD,
            {"id_number": person.id_number, "name": "别人"}, "杭州工匠", 2025, "获评")
    refused("该人员登记在建德市，与所选区县不符：调动请提交关系转移", changes.submit_addition,
            ADMIN, {"id_number": person.id_number, "county_code": "330127"}, "杭州工匠", 2025, "获评")
    other = living_in("330127")
    refused(changes.ELSEWHERE, changes.submit_addition, STAFF_JD, {"id_number": other.id_number},
            "杭州工匠", 2025, "获评")


# --- reasons and attachments --------------------------------------------------------------


def test_a_reason_is_required_and_an_attachment_over_5_mb_is_refused(roster_db):
    person = living_in("330182")
    for blank in ("", "  \n"):
        refused("请填写变动理由", changes.submit_death, STAFF_JD, person.id, dt.date(2026, 1, 1), blank)
    too_big = changes.MAX_ATTACHMENT_BYTES + 1
    for data in (b"x" * too_big, io.BytesIO(b"x" * too_big)):
        refused("附件不能超过 5 MB", changes.submit_death, STAFF_JD, person.id, dt.date(2026, 1, 1),
                "家属告知", attachment=("死亡证明.pdf", data))
    # exactly 5 MB is allowed
    rid = submit(changes.submit_death, STAFF_JD, person.id, dt.date(2026, 1, 1), "家属告知",
                 attachment=("死亡证明.pdf", b"x" * changes.MAX_ATTACHMENT_BYTES))
    assert request_state(rid) == "待审核"


# --- accounts -----------------------------------------------------------------------------


def test_an_administrator_cannot_disable_or_demote_themselves(roster_db):
    message = "不能停用自己的账户或取消自己的管理员角色"
    refused_account(message, auth.update_user, "admin", disabled=True)
    for role in ("reviewer", "manager", "staff"):
        refused_account(message, auth.update_user, "admin", role=role)
    with session_scope(ADMIN.actor) as s:  # another administrator may; and oneself, harmlessly
        auth.update_user(s, "admin", display_name="管理员甲")
        auth.create_user(s, "admin2", "管理员丁", "admin", None, PASSWORD)
    with session_scope(CurrentUser("admin2", "管理员丁", "admin", None).actor) as s:
        auth.update_user(s, "admin", role="reviewer")
    with read_session() as s:
        assert s.scalar(select(User.role).where(User.username == "admin")) == "reviewer"


def test_account_fields_are_checked(roster_db):
    roles = "、".join(auth.ROLES)
    refused_account(f"未知角色 boss，可选：{roles}", auth.update_user, "staff_jd", role="boss")
    refused_account("未知区县代码 999999", auth.update_user, "staff_jd", county_code="999999")
    refused_account(f"未知角色 boss，可选：{roles}", auth.create_user, "new_one", "新人", "boss", None,
                    PASSWORD)
    refused_account("未知区县代码 999999", auth.create_user, "new_one", "新人", "staff", "999999",
                    PASSWORD)
    refused_account("请填写姓名", auth.create_user, "new_one", "  ", "staff", "330182", PASSWORD)
    refused_account("用户名须为 3–32 位小写字母、数字、点、下划线或短横线，并以字母或数字开头",
                    auth.create_user, "x", "新人", "staff", "330182", PASSWORD)
    refused_account("用户名 staff_jd 已存在", auth.create_user, "Staff_JD", "新人", "staff",
                    "330182", PASSWORD)
    refused_account("用户 nobody 不存在", auth.update_user, "nobody", disabled=True)
    too_long = "长" * (auth.MAX_PASSWORD_BYTES // 3 + 1)
    refused_account(f"密码不能超过 {auth.MAX_PASSWORD_BYTES} 字节", auth.create_user, "new_one",
                    "新人", "staff", "330182", too_long)


def test_changing_ones_own_password_needs_the_old_one_and_a_new_one(roster_db):
    me = CurrentUser("staff_jd", "建德工作人员", "staff", "330182").actor
    refused_account("原密码不正确", auth.change_own_password, "staff_jd", "wrong-password-1",
                    "new-password-12", actor=me)
    refused_account("新密码不能与原密码相同", auth.change_own_password, "staff_jd", PASSWORD, PASSWORD,
                    actor=me)
