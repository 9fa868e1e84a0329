"""Input that cannot hurt the roster: one person per ID number, text within its column, and
exports that survive a value stored before the bounds existed. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, insert, select

from core.access.auth import CurrentUser
from core.cli import main
from core.data.audit import Actor
from core.data.db import read_session, session_scope
from core.data.models import AuditEntry
from plugins.registry import changes
from plugins.registry.models import ChangeRequest, Honour, Person, initials
from tests.sheets import county_workbook, make_id, save

STAFF_JD = CurrentUser("staff_jd", "建德工作人员", "staff", "330182")
ADMIN = CurrentUser("admin", "管理员甲", "admin", None)
REVIEWER = CurrentUser("reviewer", "审核员乙", "reviewer", None)
HEADER = ["姓名", "公民身份号码", "所属区县", "荣誉", "授予年份"]


@pytest.fixture(params=["sqlite", "postgresql"])
def roster_any(request, monkeypatch):
    """The roster plugin on: the demo roster in SQLite, or an empty roster in PostgreSQL."""
    yield request.getfixturevalue("roster_db" if request.param == "sqlite" else "pg_roster")


def add_person(name: str, number: str, county: str = "330182", honour: str = "建德金匠") -> int:
    with session_scope(Actor("fixture", "admin")) as s:
        person = Person(name=name, name_initials=initials(name), gender="男", id_number=number,
                        birth_date=dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
                        county_code=county, status="在职")
        s.add(person)
        s.flush()
        s.add(Honour(person_id=person.id, name=honour, level="区县级", year_awarded=2020))
    return person.id


def honours_of(number: str) -> dict[str, set[str]]:
    """Each person holding ``number`` (there must be one at most), with their honours."""
    with read_session() as s:
        people = s.scalars(select(Person).where(Person.id_number == number)).all()
        return {p.name: set(s.scalars(select(Honour.name).where(Honour.person_id == p.id)))
                for p in people}


def submit(fn, user, *args):
    with session_scope(user.actor) as s:
        return fn(s, user, *args).id


def decide(request_id, approve=True, reason=None):
    with session_scope(REVIEWER.actor) as s:
        return changes.decide(s, REVIEWER, request_id, approve, reason)


# --- one person per ID number ---------------------------------------------------------------

def test_an_import_row_with_an_earlier_rows_id_number_and_another_name_is_refused(roster_any, tmp_path, capsys):
    number = make_id("19800101", 111)
    rows = [["王建国", number, "建德市", "建德金匠", 2024],
            ["李建国", number, "建德市", "杭州工匠", 2025]]  # a mistyped number: someone else
    path = save(county_workbook(rows, HEADER), tmp_path / "a.xlsx")
    assert main(["import", "roster", path]) == 1
    out = capsys.readouterr().out
    # the sheet has a title, a 填报单位 line, a blank line and the header: data from row 5, and a
    # blank row after the first
    assert "row 7, 姓名: 与第 5 行的公民身份号码相同，但姓名不同（第 5 行为“王建国”）" in out
    assert honours_of(number) == {}

    same = [["王建国", number, "建德市", "建德金匠", 2024], ["王建国", number, "", "杭州工匠", 2025]]
    assert main(["import", "roster", save(county_workbook(same, HEADER), tmp_path / "b.xlsx"),
                 "--county", "330182"]) == 0
    assert honours_of(number) == {"王建国": {"建德金匠", "杭州工匠"}}  # one person, two honours


def test_an_import_row_whose_id_number_is_on_file_under_another_name_is_refused(roster_any, tmp_path, capsys):
    number = make_id("19750505", 131)
    add_person("赵志刚", number)
    rows = [["钱志刚", number, "建德市", "杭州工匠", 2025]]
    path = save(county_workbook(rows, HEADER), tmp_path / "a.xlsx")
    assert main(["import", "roster", path]) == 1
    out = capsys.readouterr().out
    assert "row 5, 姓名: 名册中该公民身份号码登记的姓名为“赵志刚”，与本行不符" in out
    assert honours_of(number) == {"赵志刚": {"建德金匠"}}  # no honour given to the wrong person

    moved = [["赵志刚", number, "淳安县", "杭州工匠", 2025]]
    assert main(["import", "roster", save(county_workbook(moved, HEADER), tmp_path / "b.xlsx")]) == 1
    assert "登记的所属区县为“建德市”" in capsys.readouterr().out
    assert honours_of(number) == {"赵志刚": {"建德金匠"}}


def test_staff_learn_only_that_a_number_is_taken_elsewhere_and_see_who_within_their_county(
        roster_db, tmp_path):
    from core.host.loader import get_host
    from core.spreadsheet import import_file

    table = get_host().spreadsheet_tables["roster_additions"]
    elsewhere, here = make_id("19660606", 151), make_id("19670707", 171)
    add_person("孙秀英", elsewhere, county="330127")
    add_person("周秀英", here, county="330182")
    rows = [["吴秀英", elsewhere, "建德市", "杭州工匠", 2025], ["郑秀英", here, "建德市", "杭州工匠", 2025]]
    result = import_file(table, save(county_workbook(rows, HEADER), tmp_path / "a.xlsx"),
                         STAFF_JD.actor, counties=("330182",), dry_run=True)
    reasons = [p.reason for p in result.problems]
    assert reasons[0] == "该公民身份号码无法在本区县登记，请联系市协会"
    assert "孙秀英" not in str(result.problems) and "淳安" not in str(result.problems)
    assert "登记的姓名为“周秀英”" in reasons[1]
    # the error report carries the refused rows as they were read
    assert result.bad_rows[5][:2] == ["吴秀英", elsewhere]
    with read_session() as s:
        assert s.scalar(select(func.count()).select_from(ChangeRequest)
                        .where(ChangeRequest.reason == "批量导入")) == 0


def test_the_addition_form_never_gives_a_persons_honour_to_someone_else(roster_any):
    number = make_id("19720202", 191)
    add_person("冯志强", number)
    with pytest.raises(changes.ChangeError, match="已登记为“冯志强”，与填写的姓名“陈志强”不符"):
        submit(changes.submit_addition, STAFF_JD, {"id_number": number, "name": "陈志强"},
               "杭州工匠", 2025, "新评")
    elsewhere = make_id("19730303", 211)
    add_person("褚志强", elsewhere, county="330127")
    with pytest.raises(changes.ChangeError) as refused:
        submit(changes.submit_addition, STAFF_JD, {"id_number": elsewhere, "name": "褚志强"},
               "杭州工匠", 2025, "新评")
    assert str(refused.value) == changes.ELSEWHERE and "淳安" not in str(refused.value)
    # the same person, named as on file or not named, gets a second honour
    rid = submit(changes.submit_addition, STAFF_JD, {"id_number": number, "name": "冯志强"},
                 "杭州工匠", 2025, "新评")
    decide(rid)
    assert honours_of(number) == {"冯志强": {"建德金匠", "杭州工匠"}}


def test_two_pending_additions_for_one_new_number_cannot_both_make_a_person(roster_any):
    number = make_id("19850505", 231)
    first = submit(changes.submit_addition, STAFF_JD, {"id_number": number, "name": "蒋丽"},
                   "建德金匠", 2025, "新评")
    with pytest.raises(changes.ChangeError, match=f"已有待审核的新增申请（编号 {first}）"):  # refused now
        submit(changes.submit_addition, STAFF_JD, {"id_number": number, "name": "沈丽"}, "杭州工匠", 2025, "新评")
    with session_scope(STAFF_JD.actor) as s:  # as filed before a second one was refused
        old = s.get(ChangeRequest, first)
        copy = ChangeRequest(kind="新增", state=changes.PENDING, county_code="330182", reason="新评",
                             payload={**old.payload, "honour": "杭州工匠",
                                      "person": {**old.payload["person"], "name": "沈丽"}},
                             submitted_by="staff_jd")
        s.add(copy)
        s.flush()
        second = copy.id
    decide(first)
    with pytest.raises(changes.ChangeError, match="已登记为 蒋丽"):
        decide(second)
    assert honours_of(number) == {"蒋丽": {"建德金匠"}}
    with read_session() as s:
        assert s.get(ChangeRequest, second).state == changes.PENDING  # for the reviewer to reject


def test_a_correction_of_the_id_number_is_checked_and_carries_birth_date_and_gender(roster_any):
    taken, wrong = make_id("19690909", 251), make_id("19700101", 271)
    add_person("韩梅", taken)
    pid = add_person("杨梅", wrong)
    with pytest.raises(changes.ChangeError, match="已登记为 韩梅"):
        submit(changes.submit_correction, ADMIN, pid, {"id_number": taken}, "号码录错")
    with pytest.raises(changes.ChangeError, match="校验位"):
        submit(changes.submit_correction, ADMIN, pid, {"id_number": wrong[:-1] + "0"}, "号码录错")
    right = make_id("19710812", 292)  # an even sequence digit: a woman
    rid = submit(changes.submit_correction, STAFF_JD, pid, {"id_number": right, "name": "杨梅"}, "号码录错")
    decide(rid)
    with read_session() as s:
        person = s.get(Person, pid)
        assert (person.id_number, person.birth_date, person.gender) == (right, dt.date(1971, 8, 12), "女")

    # taken by someone else between the request and its approval: refused, nothing changed
    late = make_id("19720101", 311)
    rid = submit(changes.submit_correction, ADMIN, pid, {"id_number": late}, "号码录错")
    add_person("朱梅", late)
    with pytest.raises(changes.ChangeError, match="已登记为 朱梅"):
        decide(rid)
    with read_session() as s:
        assert s.get(Person, pid).id_number == right


# --- bounded text ---------------------------------------------------------------------------

def test_a_200000_character_reason_is_refused_at_entry(roster_any):
    pid = add_person("秦岭", make_id("19600101", 331))
    before = _audit_count()
    with pytest.raises(changes.ChangeError, match="变动理由不能超过 1000 个字（现有 200000 个）"):
        submit(changes.submit_death, STAFF_JD, pid, dt.date(2026, 1, 1), "理" * 200_000)
    with pytest.raises(changes.ChangeError, match="附件文件名不能超过 200 个字"):
        submit(changes.submit_death, STAFF_JD, pid, dt.date(2026, 1, 1), "家属告知",
               ("长" * 300 + ".pdf", b"%PDF"))
    rid = submit(changes.submit_death, STAFF_JD, pid, dt.date(2026, 1, 1), "家属告知")
    with pytest.raises(changes.ChangeError, match="审核意见不能超过 1000 个字"):
        decide(rid, approve=False, reason="否" * 1001)
    assert _audit_count() == before + 1  # only the accepted request
    with read_session() as s:
        assert s.get(ChangeRequest, rid).state == changes.PENDING


def _audit_count() -> int:
    with read_session() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry))


def test_a_51_character_name_is_refused_with_a_message_by_form_and_import(roster_any, tmp_path, capsys):
    long_name = "欧" * 51
    number = make_id("19880808", 351)
    with pytest.raises(changes.ChangeError, match="姓名不能超过 50 个字（现有 51 个）"):
        submit(changes.submit_addition, STAFF_JD, {"id_number": number, "name": long_name},
               "建德金匠", 2025, "新评")
    with pytest.raises(changes.ChangeError, match="工作单位不能超过 100 个字"):
        submit(changes.submit_addition, STAFF_JD, {"id_number": number, "name": "欧阳",
               "employer": "厂" * 101}, "建德金匠", 2025, "新评")
    pid = add_person("欧阳", make_id("19890909", 371))
    with pytest.raises(changes.ChangeError, match="姓名不能超过 50 个字"):
        submit(changes.submit_correction, STAFF_JD, pid, {"name": long_name}, "改名")

    rows = [[long_name, number, "建德市", "建德金匠", 2024]]
    assert main(["import", "roster", save(county_workbook(rows, HEADER), tmp_path / "a.xlsx")]) == 1
    captured = capsys.readouterr()
    assert "row 5, 姓名: 不能超过 50 个字（现有 51 个）" in captured.out
    assert "Traceback" not in captured.err
    # exactly 50 fits every database
    rows = [["欧" * 50, number, "建德市", "建德金匠", 2024]]
    assert main(["import", "roster", save(county_workbook(rows, HEADER), tmp_path / "b.xlsx")]) == 0
    assert honours_of(number) == {"欧" * 50: {"建德金匠"}}


def test_an_account_name_longer_than_its_column_is_refused(sqlite_db):
    from core.access import auth

    with pytest.raises(auth.AccountError, match="姓名不能超过 64 个字"):
        with session_scope(ADMIN.actor) as s:
            auth.create_user(s, "longname", "名" * 65, "staff", "330182", "long-enough-1")


def test_an_export_never_fails_on_a_long_value_stored_before_the_bounds(sqlite_db):
    from core.spreadsheet import EXCEL_CELL_CHARS, workbook_bytes

    with session_scope(ADMIN.actor) as s:  # as the old code let it in
        s.execute(insert(AuditEntry).values(at=dt.datetime(2026, 1, 1), actor="staff_jd",
                                            action="create", summary="理" * 200_000))
    with read_session() as s:
        entries = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        data = workbook_bytes({"审计日志": ({"说明": e.summary} for e in entries)})
    import io

    cells = [row[0] for row in load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2, values_only=True)]
    long_cell = next(c for c in cells if c and c.startswith("理理"))
    assert len(long_cell) == EXCEL_CELL_CHARS
    assert long_cell.endswith("〔全文 200000 字，超出 Excel 单元格上限，已截断〕")  # never cut silently


def test_a_request_filed_before_the_bounds_is_refused_on_approval_not_by_the_database(roster_any):
    number = make_id("19900101", 391)
    person = {"name": "欧" * 51, "id_number": number, "county_code": "330182", "gender": "男",
              "birth_date": "1990-01-01", "employer": None}
    with session_scope(STAFF_JD.actor) as s:  # as the old form let it in
        request = ChangeRequest(kind="新增", state=changes.PENDING, county_code="330182",
                                payload={"honour": "建德金匠", "year_awarded": 2025, "person": person},
                                reason="新评", submitted_by="staff_jd")
        s.add(request)
    with pytest.raises(changes.ChangeError, match="姓名不能超过 50 个字（现有 51 个）：此申请不能通过，请驳回"):
        decide(request.id)
    decide(request.id, approve=False, reason="姓名有误")  # the reviewer can still reject it
    assert honours_of(number) == {}
