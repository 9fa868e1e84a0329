"""Events and sign-in sheets through Excel: an attendance import with bad rows reports each by
row and writes nothing; a good one writes exactly its rows and is audited; event imports are
checked, skip what is on file and keep to the user's county; exports keep to the user's
county; the 导入导出 page per role."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import text

from core.data.audit import Actor
from core.data.db import get_engine, session_scope
from core.host.loader import get_host
from core.spreadsheet import export_file, import_file
from plugins.events.queries import now_wall
from tests.events_data import ADMIN, invite, make_event
from tests.helpers import signed_in_app, texts
from tests.sheets import county_workbook, save

STAFF_JD = Actor("staff_jd", "staff", "330182")
STAFF_CA = Actor("staff_ca", "staff", "330127")
CITY = Actor("admin", "admin")
SIGN_IN = ["活动编号", "活动名称", "姓名", "人员编号", "出勤"]
EVENT_HEADER = ["类型", "活动名称", "主办单位", "所属区县", "地点", "日期", "开始时间", "结束时间", "课时", "状态"]
FIRST_ROW = 5  # county_workbook: a title, a 填报单位 line, a blank line, the header, then the rows


def table(name: str):
    return get_host().spreadsheet_tables[name]


def sql(query: str, **params):
    with get_engine().connect() as conn:
        return conn.execute(text(query), params).all()


def count(table_name: str) -> int:
    return sql(f"SELECT COUNT(*) FROM {table_name}")[0][0]


def workbook(tmp_path, rows, header=SIGN_IN, name="签到表.xlsx") -> str:
    return save(county_workbook(rows, header, title="建德市活动签到表", blank_between=False), tmp_path / name)


def attendance_now():
    return [tuple(r) for r in sql("SELECT id, attendance, attendance_at, attendance_by FROM events_participant "
                                  "ORDER BY id")]


@pytest.fixture
def events(events_alone):
    """Begun 建德 (计划), 淳安 and city events, a 建德 one to come and a cancelled 建德 one;
    the 建德 class invited 王建国 (101), 李秀英 (102), two 张伟 (103, 104) and a guest."""
    begun = now_wall() - dt.timedelta(days=2)
    with session_scope(ADMIN) as s:
        jd = make_event(s, title="建德素质提升班", county="330182", starts=begun)
        ca = make_event(s, title="淳安素质提升班", county="330127", starts=begun)
        city = make_event(s, title="市级事迹宣讲", kind="事迹宣讲", county="", starts=begun)
        later = make_event(s, title="建德技术培训", kind="技术培训", county="330182",
                           starts=now_wall() + dt.timedelta(days=5))
        gone = make_event(s, title="取消的活动", county="330182", starts=begun, status="取消")
        gone.status_reason = "场地检修"
        invite(s, jd, (101, "王建国", "330182"), (102, "李秀英", "330182"), (103, "张伟", "330182"),
               (104, "张伟", "330182"), (None, "来宾甲", ""))
        invite(s, ca, (201, "陈芳", "330127"))
        invite(s, city, (101, "王建国", "330182"))
        invite(s, later, (101, "王建国", "330182"))
        invite(s, gone, (101, "王建国", "330182"))
        return {"jd": jd.id, "ca": ca.id, "city": city.id, "later": later.id, "gone": gone.id}


def test_an_attendance_import_with_bad_rows_reports_each_by_row_and_writes_nothing(events, tmp_path):
    jd = events["jd"]
    rows = [
        [jd, "建德素质提升班", "王建国", 101, "出席"],     # good
        [jd, None, "赵六", None, "出席"],                # nobody of that name was invited
        [events["ca"], None, "陈芳", 201, "出席"],       # another county's session
        [999_999, None, "王建国", None, "出席"],          # no such event
        [jd, None, "李秀英", None, "迟到"],               # no attendance value
        [jd, None, "张伟", None, "出席"],                 # two 张伟 invited: which one?
        [jd, None, "王建国", 999, "出席"],                # a person id not invited
        [events["city"], None, "王建国", None, "出席"],   # the city's event: the city imports it
        [events["later"], None, "王建国", None, "出席"],  # not begun yet
        [events["gone"], None, "王建国", None, "出席"],   # cancelled
        [jd, "别的活动", "李秀英", None, "出席"],          # the title says another event
        [jd, None, "王建国", None, "缺席"],               # 王建国 again (row 1 named him by id)
    ]
    before, statuses, audits = attendance_now(), sql("SELECT id, status FROM events_event ORDER BY id"), \
        count("core_audit_log")
    result = import_file(table("events_attendance"), workbook(tmp_path, rows), STAFF_JD)
    assert not result.ok and result.written == 0
    assert attendance_now() == before  # nothing written, not even the good row
    assert sql("SELECT id, status FROM events_event ORDER BY id") == statuses
    assert count("core_audit_log") == audits
    found = {(p.row - FIRST_ROW, p.header) for p in result.problems}
    assert found == {(1, "姓名"), (2, "活动编号"), (3, "活动编号"), (4, "出勤"), (5, "人员编号"), (6, "人员编号"),
                     (7, "活动编号"), (8, "活动编号"), (9, "活动编号"), (10, "活动名称"), (11, "姓名")}
    reasons = {p.row - FIRST_ROW: p.reason for p in result.problems}
    assert "不在该活动的邀请名单中" in reasons[1] and "赵六" in reasons[1]
    assert reasons[2] == reasons[3] == "找不到该活动编号，或该活动不属于您可导入的区县"  # 淳安县's stays unnamed
    assert "2 位“张伟”" in reasons[5] and "999" in reasons[6]
    assert reasons[7] == "市级活动的签到只能由市协会导入"
    assert "还没有开始" in reasons[8] and "取消" in reasons[9] and "建德素质提升班" in reasons[10]
    assert [p.row for p in result.problems] == sorted(p.row for p in result.problems)  # in file order


def test_a_good_sign_in_sheet_writes_exactly_its_rows_and_is_audited(events, tmp_path):
    jd = events["jd"]
    rows = [[jd, "建德素质提升班", "王建国", 101, "出席"],
            [jd, None, "李秀英", None, "缺席"],
            [jd, None, "张伟", 103, "请假"],
            [jd, None, "来宾甲", None, "出席"]]  # a guest, by name
    untouched = [r for r in attendance_now() if r[0] not in {p for (p,) in sql(
        "SELECT id FROM events_participant WHERE event_id = :e AND (person_id IN (101, 102, 103) "
        "OR person_id IS NULL)", e=jd)}]
    audits = count("core_audit_log")
    result = import_file(table("events_attendance"), workbook(tmp_path, rows), STAFF_JD)
    assert result.ok and result.written == 4
    stored = sql("SELECT person_id, name, attendance, attendance_by FROM events_participant "
                 "WHERE event_id = :e AND attendance IS NOT NULL ORDER BY id", e=jd)
    assert [tuple(r) for r in stored] == [(101, "王建国", "出席", "staff_jd"), (102, "李秀英", "缺席", "staff_jd"),
                                          (103, "张伟", "请假", "staff_jd"), (None, "来宾甲", "出席", "staff_jd")]
    assert sql("SELECT COUNT(*) FROM events_participant WHERE event_id = :e AND attendance_at IS NOT NULL",
               e=jd)[0][0] == 4
    assert [r for r in attendance_now() if r[0] in {u[0] for u in untouched}] == untouched  # 104, other events
    # someone present at a begun 计划 event: it took place
    assert sql("SELECT status FROM events_event WHERE id = :e", e=jd) == [("已举办",)]
    entries = sql("SELECT actor, action, table_name, summary FROM core_audit_log WHERE id > "
                  "(SELECT MAX(id) FROM core_audit_log) - :n ORDER BY id", n=count("core_audit_log") - audits)
    imported = [e for e in entries if e[1] == "import"]
    assert len(imported) == 1 and imported[0][0] == "staff_jd" and imported[0][2] == "events_attendance"
    assert "写入 4 行" in imported[0][3]
    assert any(e[2] == "events_event" and e[0] == "staff_jd" for e in entries)  # the status change too


def test_the_city_imports_a_city_events_attendance(events, tmp_path):
    result = import_file(table("events_attendance"),
                         workbook(tmp_path, [[events["city"], None, "王建国", None, "出席"]]), CITY)
    assert result.ok and result.written == 1
    assert sql("SELECT attendance, attendance_by FROM events_participant WHERE event_id = :e",
               e=events["city"]) == [("出席", "admin")]


def event_row(title="建德技能大赛培训", kind="技术培训", county="建德市", day=None, start="9:00", end="11:30",
              hours=2, status=None):
    day = day or (now_wall() - dt.timedelta(days=10)).date()
    return [kind, title, "建德市总工会", county, "建德市职工服务中心", day, start, end, hours, status]


def test_an_event_import_with_bad_rows_writes_nothing(events, tmp_path):
    to_come = (now_wall() + dt.timedelta(days=20)).date()
    rows = [
        event_row(),                                          # good
        event_row(title="茶艺培训", kind="茶艺培训"),              # no such kind
        event_row(title="淳安的活动", county="淳安县"),            # another county
        event_row(title="倒过来的时间", start="14:00", end="9:00"),  # ends before it starts
        event_row(title="未来的活动", day=to_come, status="已举办"),  # held before it begins
        event_row(title="时间写错", start="上午"),                  # no time
        event_row(),                                           # the first row again
        event_row(title="取消了", status="取消"),                  # cancelled, saying not why
    ]
    before = count("events_event")
    result = import_file(table("events_events"), workbook(tmp_path, rows, EVENT_HEADER, "活动.xlsx"), STAFF_JD)
    assert not result.ok and count("events_event") == before
    assert {(p.row - FIRST_ROW, p.header) for p in result.problems} == {
        (1, "类型"), (2, "所属区县"), (3, "结束时间"), (4, "状态"), (5, "开始时间"), (6, "所属区县、活动名称、日期"),
        (7, "状态")}
    reasons = {p.row - FIRST_ROW: p.reason for p in result.problems}
    assert "“茶艺培训”不是可用的活动类型" in reasons[1] and reasons[2] == "淳安县 不在您可导入的区县范围内"
    assert reasons[3] == "结束时间不能早于开始时间" and "上午" in reasons[5] and reasons[6] == "与第 5 行重复"


def test_a_good_event_import_writes_skips_what_is_on_file_and_the_city_leaves_the_county_blank(events, tmp_path):
    day = (now_wall() - dt.timedelta(days=10)).date()
    rows = [event_row(day=day, status="已举办"), event_row(title="建德素质提升班二期", kind="素质提升班", county=None,
                                                          day=day, start="13:30", end="17:00", hours=None)]
    path = workbook(tmp_path, rows, EVENT_HEADER, "活动.xlsx")
    result = import_file(table("events_events"), path, STAFF_JD)
    assert result.ok and result.written == 2
    stored = sql("SELECT title, kind, county_code, starts_at, ends_at, class_hours, status, created_by "
                 "FROM events_event WHERE created_by = 'staff_jd' ORDER BY title")
    as_read = [(r[0], r[1], r[2], str(r[3])[:16], str(r[4])[:16], r[5], r[6]) for r in stored]
    assert as_read == [("建德技能大赛培训", "技术培训", "330182", f"{day} 09:00", f"{day} 11:30", 2.0, "已举办"),
                       ("建德素质提升班二期", "素质提升班", "330182", f"{day} 13:30", f"{day} 17:00", None, "计划")]
    again = import_file(table("events_events"), path, STAFF_JD)
    assert again.ok and again.written == 0 and again.already_present == [FIRST_ROW, FIRST_ROW + 1]
    assert sql("SELECT action, summary FROM core_audit_log WHERE table_name = 'events_events' ORDER BY id")[0][1] \
        .endswith("写入 2 行")
    city = import_file(table("events_events"), workbook(tmp_path, [event_row(title="市级讲座", kind="事迹宣讲",
                                                                               county=None)], EVENT_HEADER, "c.xlsx"), CITY)
    assert city.written == 1 and sql("SELECT county_code FROM events_event WHERE title = '市级讲座'") == [("",)]


def exported(table_name: str, actor) -> list[list]:
    buffer = io.BytesIO()
    export_file(table(table_name), buffer, actor, None)
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_exports_keep_to_the_staffs_county(events):
    jd = exported("events_events", STAFF_JD)
    assert jd[0][:3] == ["活动编号", "类型", "活动名称"]
    assert sorted(r[2] for r in jd[1:]) == sorted(t for (t,) in sql(
        "SELECT title FROM events_event WHERE county_code = '330182'"))
    assert "淳安素质提升班" not in {r[2] for r in jd[1:]} and {r[4] for r in jd[1:]} == {"建德市"}
    assert len(exported("events_events", CITY)) - 1 == count("events_event")
    signed = exported("events_attendance", STAFF_JD)
    assert signed[0] == SIGN_IN
    assert sorted(r[2] for r in signed[1:]) == sorted(n for (n,) in sql(
        "SELECT p.name FROM events_participant p JOIN events_event e ON e.id = p.event_id "
        "WHERE e.county_code = '330182'"))
    assert "陈芳" not in {r[2] for r in signed[1:]}
    assert {r[2] for r in exported("events_attendance", STAFF_CA)[1:]} == {"陈芳"}


def test_an_event_export_loads_back_as_events_already_on_file(events, tmp_path):
    path = tmp_path / "export.xlsx"
    export_file(table("events_events"), path, STAFF_JD, None)
    result = import_file(table("events_events"), path, STAFF_JD)
    assert result.ok and result.written == 0 and len(result.already_present) == 3


def test_a_filled_in_sign_in_export_imports(events, tmp_path):
    path = tmp_path / "signed.xlsx"
    export_file(table("events_attendance"), path, STAFF_CA, None)
    book = openpyxl.load_workbook(path)
    book.active.cell(row=2, column=5, value="出席")
    book.save(path)
    result = import_file(table("events_attendance"), path, STAFF_CA)
    assert result.ok and result.written == 1
    assert sql("SELECT attendance FROM events_participant WHERE person_id = 201") == [("出席",)]


# --- the page ----------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["admin", "staff_jd"])
def test_the_io_page_offers_templates_imports_and_exports_of_both(events, username):
    at = signed_in_app(username, "events-io")
    assert not at.exception
    assert "活动导入导出" in texts(at)
    labels = [b.label for b in at.button]
    n_events, n_invited = (3, 7) if username == "staff_jd" else (5, 9)
    assert f"导出活动（{n_events} 场）" in labels and f"导出签到表（{n_invited} 人次）" in labels
    at.button(key="export-events_attendance").click().run()
    assert not at.exception
    assert f"下载（{n_invited} 行）" in [b.label for b in at.get("download_button")]


@pytest.mark.parametrize("username", ["manager", "reviewer"])
def test_readers_cannot_open_the_io_page(events, username):
    at = signed_in_app(username, "events-io")
    assert not at.exception
    assert "活动导入导出" not in texts(at)
    assert not [b for b in at.button if b.label.startswith("导出")]


def test_on_postgresql_imports_check_write_and_skip_and_the_figures_add_up(pg_roster, tmp_path):
    from core.access.auth import CurrentUser
    from core.data.db import read_session
    from plugins.events import stats

    begun = now_wall() - dt.timedelta(days=3)
    with session_scope(ADMIN) as s:
        jd = make_event(s, title="建德素质提升班", county="330182", starts=begun, class_hours=4)
        ca = make_event(s, title="淳安素质提升班", county="330127", starts=begun)
        invite(s, jd, (101, "王建国", "330182"), (102, "张伟", "330182"), (103, "张伟", "330182"))
        invite(s, ca, (201, "陈芳", "330127"))
        ids = (jd.id, ca.id)
    bad = [[ids[0], None, "张伟", None, "出席"], [ids[1], None, "陈芳", None, "出席"], [ids[0], None, "赵六", None, "出席"]]
    result = import_file(table("events_attendance"), workbook(tmp_path, bad), STAFF_JD)
    assert [(p.row - FIRST_ROW, p.header) for p in result.problems] == [(0, "人员编号"), (1, "活动编号"), (2, "姓名")]
    assert sql("SELECT COUNT(*) FROM events_participant WHERE attendance IS NOT NULL") == [(0,)]
    good = [[ids[0], None, "王建国", None, "出席"], [ids[0], None, "张伟", 103, "缺席"]]
    assert import_file(table("events_attendance"), workbook(tmp_path, good, name="good.xlsx"), STAFF_JD).written == 2
    assert sql("SELECT person_id, attendance FROM events_participant WHERE attendance IS NOT NULL ORDER BY person_id") \
        == [(101, "出席"), (103, "缺席")]
    events_file = workbook(tmp_path, [event_row()], EVENT_HEADER, "活动.xlsx")
    assert import_file(table("events_events"), events_file, STAFF_JD).written == 1
    assert import_file(table("events_events"), events_file, STAFF_JD).already_present == [FIRST_ROW]
    city = CurrentUser("admin", "管理员甲", "admin", None)
    with read_session() as s:
        rows, total = stats.person_participation(s, city, begun.year)
        counties = stats.county_participation(s, city, begun.year)
        assert stats.never_invited(s, city).total == 0  # no roster people in this database
    assert total == 4 and (rows[0]["person_id"], rows[0]["present"], float(rows[0]["hours"])) == (101, 1, 4.0)
    assert [(r["county_code"], r["events"], r["invited"], r["present"]) for r in counties] == [("330182", 1, 3, 1)]
