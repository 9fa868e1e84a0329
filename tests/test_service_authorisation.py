"""Service functions check permissions and counties themselves, whoever calls them.

Every roster service function (and core's spreadsheet and account functions) is called directly,
as each test account: allowed or refused as the permissions are declared, never by the page.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select, update

from core.access import auth
from core.access.auth import CurrentUser
from core.access.permissions import FORBIDDEN_ACTION, PermissionDenied
from core.data.audit import Actor
from core.data.db import read_session, session_scope
from core.data.models import AuditEntry
from core.host.loader import get_host
from plugins.registry import changes, queries
from plugins.registry.models import ChangeRequest, Person
from tests.helpers import ACCOUNTS
from tests.sheets import county_workbook, make_id, save

USERS = {username: CurrentUser(username, name, role, county) for username, name, role, county in ACCOUNTS}
ADMIN = USERS["admin"]

# Who may do what, written out by hand (not read from the code): a change to the declared roles
# must be a deliberate change to this table too.
EXPECTED = {
    "registry.view": {"admin", "reviewer", "manager", "staff_jd", "staff_ca"},
    "registry.submit": {"admin", "staff_jd", "staff_ca"},
    "registry.review": {"admin", "reviewer"},
    "registry.view_sensitive": {"admin", "reviewer"},
    "registry.import": {"admin"},
    "core.users": {"admin"},
}


def test_the_hand_written_matrix_is_the_declared_one(roster_db):
    host = get_host()
    for permission, holders in EXPECTED.items():
        declared = host.permissions[permission].roles
        assert {u for u, user in USERS.items() if user.role in declared} == holders, permission
        assert {u for u, user in USERS.items() if host.allowed(user, permission)} == holders, permission


def _home(user: CurrentUser) -> str:
    return user.county_code or "330182"


def _living(county: str, skip: int = 0) -> Person:
    with read_session() as s:
        return s.scalars(select(Person).where(Person.county_code == county, Person.status == "在职")
                         .order_by(Person.id).offset(skip)).first()


def _request(county: str, submitter: CurrentUser, as_user: str | None = None, skip: int = 0) -> int:
    """A pending 去世 request about someone of ``county``, shown as submitted by ``as_user``."""
    with session_scope(submitter.actor) as s:
        rid = changes.submit_death(s, submitter, _living(county, skip).id, dt.date(2026, 1, 1), "家属告知").id
        if as_user is not None:
            s.execute(update(ChangeRequest).where(ChangeRequest.id == rid).values(submitted_by=as_user))
    return rid


def _other_submitter(user: CurrentUser) -> CurrentUser:
    return USERS["staff_jd"] if user.username != "staff_jd" and _home(user) == "330182" else ADMIN


def _counts() -> tuple[int, int]:
    with read_session() as s:
        return (s.scalar(select(func.count()).select_from(ChangeRequest)),
                s.scalar(select(func.count()).select_from(AuditEntry)))


# --- each operation: set up as someone allowed, then return the call made as ``user`` --------

def _submit_addition(user, folder):
    number = make_id("19900101", 111, area=_home(user))
    return lambda s: changes.submit_addition(s, user, {"name": "新劳模", "id_number": number,
                                                       "county_code": _home(user)}, "杭州工匠", 2025, "新评选")


def _submit_transfer(user, folder):
    pid = _living(_home(user)).id
    to = "330127" if _home(user) != "330127" else "330182"
    return lambda s: changes.submit_transfer(s, user, pid, to, "某单位", "工作调动")


def _submit_death(user, folder):
    pid = _living(_home(user)).id
    return lambda s: changes.submit_death(s, user, pid, dt.date(2026, 1, 1), "家属告知")


def _submit_correction(user, folder):
    pid = _living(_home(user)).id
    return lambda s: changes.submit_correction(s, user, pid, {"education": "硕士研究生"}, "学历有误")


def _withdraw(user, folder):
    rid = _request(_home(user), ADMIN, as_user=user.username)  # the user's own request
    return lambda s: changes.withdraw(s, user, rid)


def _decide(user, folder):
    rid = _request(_home(user), _other_submitter(user))
    return lambda s: changes.decide(s, user, rid, True)


def _sensitive(user, folder):
    pid = _living(_home(user)).id
    return lambda s: queries.sensitive_details(s, user, pid)


def _export(table_name):
    def setup(user, folder):
        from core.spreadsheet import export_file

        table = get_host().spreadsheet_tables[table_name]
        return lambda s: export_file(table, io.BytesIO(), user.actor, user.visible_counties())
    return setup


def _import(table_name):
    def setup(user, folder):
        from core.spreadsheet import import_file

        table = get_host().spreadsheet_tables[table_name]
        rows = [["批量甲", make_id("19910101", 111, area=_home(user)), "建德市" if _home(user) == "330182"
                 else "淳安县", "杭州工匠", 2025]]
        path = save(county_workbook(rows, ["姓名", "公民身份号码", "所属区县", "荣誉", "授予年份"]),
                    folder / f"{table_name}.xlsx")
        return lambda s: import_file(table, path, user.actor, counties=user.visible_counties(), dry_run=True)
    return setup


def _other_account(user) -> str:
    return "staff_ca" if user.username != "staff_ca" else "staff_jd"


def _create_user(user, folder):
    return lambda s: auth.create_user(s, "newcomer", "新同事", "staff", "330182", "long-enough-1")


def _update_user(user, folder):
    target = _other_account(user)
    return lambda s: auth.update_user(s, target, display_name="改名")


def _set_password(user, folder):
    target = _other_account(user)
    return lambda s: auth.set_password(s, target, "another-pass-1")


OPERATIONS = {  # name: (set-up, the permission it needs)
    "submit_addition": (_submit_addition, "registry.submit"),
    "submit_transfer": (_submit_transfer, "registry.submit"),
    "submit_death": (_submit_death, "registry.submit"),
    "submit_correction": (_submit_correction, "registry.submit"),
    "withdraw": (_withdraw, "registry.submit"),
    "decide": (_decide, "registry.review"),
    "sensitive_details": (_sensitive, "registry.view_sensitive"),
    "export roster": (_export("roster"), "registry.import"),
    "export roster_masked": (_export("roster_masked"), "registry.view"),
    "import roster": (_import("roster"), "registry.import"),
    "import roster_additions": (_import("roster_additions"), "registry.submit"),
    "create_user": (_create_user, "core.users"),
    "update_user": (_update_user, "core.users"),
    "set_password": (_set_password, "core.users"),
}


@pytest.mark.parametrize("username", list(USERS))
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_every_service_function_checks_the_permission_itself(roster_db, tmp_path, operation, username):
    user = USERS[username]
    setup, permission = OPERATIONS[operation]
    call = setup(user, tmp_path)
    before = _counts()
    if username in EXPECTED[permission]:
        with session_scope(user.actor) as s:
            call(s)
    else:
        with pytest.raises(PermissionDenied, match=f"^{FORBIDDEN_ACTION}$"):
            with session_scope(user.actor) as s:
                call(s)
        assert _counts() == before  # refused before anything was written or audited


def test_staff_deciding_directly_changes_nothing(roster_db):
    staff = USERS["staff_jd"]
    rid = _request("330182", ADMIN)
    for approve, reason in ((True, None), (False, "不同意")):
        with session_scope(staff.actor) as s, pytest.raises(changes.ChangeError, match=FORBIDDEN_ACTION):
            changes.decide(s, staff, rid, approve, reason)
    with read_session() as s:
        request = s.get(ChangeRequest, rid)
        assert (request.state, request.decided_by) == (changes.PENDING, None)
        assert s.get(Person, request.person_id).status == "在职"
        assert not s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action.in_(["approve", "reject"])))


@pytest.mark.parametrize("username", ["admin", "reviewer"])
def test_nobody_decides_a_request_they_submitted(roster_db, username):
    user = USERS[username]
    rid = _request("330182", ADMIN, as_user=username)  # an administrator's (or reviewer's) own
    with session_scope(user.actor) as s, pytest.raises(changes.ChangeError, match="不能审核自己提交的申请"):
        changes.decide(s, user, rid, True)
    with read_session() as s:
        assert s.get(ChangeRequest, rid).state == changes.PENDING
        assert not s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "approve"))
    other = USERS["reviewer" if username == "admin" else "admin"]
    with session_scope(other.actor) as s:
        assert changes.decide(s, other, rid, True).state == changes.APPROVED


def test_a_person_of_another_county_is_never_named(roster_db):
    staff = USERS["staff_ca"]
    person = _living("330182")
    calls = {
        "找不到该人员": [
            lambda s: changes.submit_death(s, staff, person.id, dt.date(2026, 1, 1), "家属告知"),
            lambda s: changes.submit_transfer(s, staff, person.id, "330127", "某单位", "工作调动"),
            lambda s: changes.submit_correction(s, staff, person.id, {"education": "硕士研究生"}, "学历"),
        ],
        changes.ELSEWHERE: [
            lambda s: changes.submit_addition(s, staff, {"id_number": person.id_number}, "杭州工匠", 2025, "新评选"),
            lambda s: changes.submit_addition(s, staff, {"id_number": person.id_number, "name": "别人"},
                                              "杭州工匠", 2025, "新评选"),
        ],
    }
    for message, refused in calls.items():
        for call in refused:
            with session_scope(staff.actor) as s, pytest.raises(changes.ChangeError) as caught:
                call(s)
            assert str(caught.value) == message
            for secret in (person.name, person.status, "建德", person.county_code):
                assert secret not in str(caught.value)
    # a reviewer of one county: another county's request is not found either
    rid = _request("330182", ADMIN)
    reviewer_ca = CurrentUser("reviewer_ca", "淳安审核员", "reviewer", "330127")
    with session_scope(reviewer_ca.actor) as s, pytest.raises(changes.ChangeError, match="^找不到该申请$"):
        changes.decide(s, reviewer_ca, rid, True)


def test_staff_spreadsheets_stay_in_their_county(roster_db):
    from core.spreadsheet import export_file

    table = get_host().spreadsheet_tables["roster_masked"]
    actor = USERS["staff_jd"].actor
    with pytest.raises(PermissionDenied):
        export_file(table, io.BytesIO(), actor, ("330127",))
    with pytest.raises(PermissionDenied):
        export_file(table, io.BytesIO(), actor, ("330182", "330127"))
    own = export_file(table, io.BytesIO(), actor, ("330182",))
    assert export_file(table, io.BytesIO(), actor, None) == own  # "all" is their county
    assert export_file(table, io.BytesIO(), Actor("cli:ops", "admin"), None) > own  # the CLI: all


def test_one_may_set_ones_own_password_but_not_anothers(roster_db):
    staff = USERS["staff_jd"]
    with session_scope(staff.actor) as s:
        auth.change_own_password(s, "staff_jd", "correct-horse-9", "fresh-password-1")
    with session_scope(staff.actor) as s, pytest.raises(PermissionDenied):
        auth.set_password(s, "staff_ca", "fresh-password-1")


def test_the_review_queue_does_not_offer_ones_own_requests(roster_db):
    from tests.helpers import signed_in_app

    own = _request("330182", ADMIN)
    other = _request("330182", USERS["staff_jd"], skip=1)
    queue = signed_in_app("admin", page="registry-review")
    assert not queue.exception
    def numbers(options):  # 编号 263 · 去世 · 乔桂英 · 建德市
        return {o.split(" · ")[0] for o in options}

    for picker in (queue.selectbox(key="queue_request"), queue.multiselect(key="queue_bulk")):
        assert f"编号 {other}" in numbers(picker.options) and f"编号 {own}" not in numbers(picker.options)
    assert any(f"编号 {own}" in c.value for c in queue.caption)  # shown as the admin's own
    reviewer = signed_in_app("reviewer", page="registry-review")
    assert {f"编号 {own}", f"编号 {other}"} <= numbers(reviewer.selectbox(key="queue_request").options)


def test_the_command_line_reports_a_refusal_plainly(roster_db, tmp_path, monkeypatch, capsys):
    from core.cli import main
    from core.host.loader import PluginHost

    monkeypatch.setattr(PluginHost, "allowed", lambda self, user, permission: False)  # a veto
    assert main(["export", "roster_masked", str(tmp_path / "out.xlsx")]) == 1
    err = capsys.readouterr().err
    assert FORBIDDEN_ACTION in err and "Traceback" not in err
    assert not (tmp_path / "out.xlsx").exists()
