"""A plugin other than the roster answers for people, to-dos and report sections through core:
the test plugin (jx_testkit), with the roster off, as a county's own plugin would."""

from __future__ import annotations

import io

from sqlalchemy import text

from core.access.auth import CurrentUser
from core.data.audit import Actor
from core.data.db import read_session, session_scope
from core.host.people import PeopleQuery, get_people, list_people, search_people
from core.report.build import build_report
from core.report.files import XLSX, report_file
from tests.helpers import shown, signed_in_app, testkit, texts

ADMIN = CurrentUser("admin", "管理员甲", "admin", None)
STAFF_JD = CurrentUser("staff_jd", "建德工作人员", "staff", "330182")


def test_people_come_from_the_plugin_that_keeps_them_within_the_users_counties(sqlite_db):
    person = testkit().TestkitPerson
    with session_scope(Actor("admin", "admin")) as s:
        for name, number, county in (("张建德", "330182199001011234", "330182"),
                                     ("张淳安", "330127199001011234", "330127")):
            s.add(person(name=name, id_number=number, county_code=county))
    with read_session() as s:
        everyone = dict(s.execute(text("SELECT id, county_code FROM jx_testkit_person")).all())
        city = search_people(s, ADMIN, "张", limit=200)
        found = search_people(s, STAFF_JD, "张", limit=200)
        fetched = get_people(s, STAFF_JD, list(everyone))
    assert {ref.name for ref in city} == {"张建德", "张淳安"}
    assert {ref.source for ref in city} == {"jx_testkit"}
    assert [ref.name for ref in found] == ["张建德"]
    assert set(fetched) == {i for i, c in everyone.items() if c == "330182"}
    assert all("*" in ref.id_number_masked for ref in fetched.values())


def test_a_plugin_lists_its_people_a_page_at_a_time_within_the_users_counties(sqlite_db):
    from sqlalchemy import select

    person = testkit().TestkitPerson
    with session_scope(Actor("admin", "admin")) as s:
        for i, county in enumerate(("330182", "330182", "330182", "330127")):
            s.add(person(name=f"李{i}", id_number=f"{county}19900101123{i}", county_code=county))
    with read_session() as s:
        jd = sorted(i for (i,) in s.execute(text("SELECT id FROM jx_testkit_person WHERE county_code = '330182'")))
        staff = list_people(s, STAFF_JD, PeopleQuery(), 0, 2)
        asked_other = list_people(s, STAFF_JD, PeopleQuery(counties=("330127",)), 0, 50)
        left_out = list_people(s, ADMIN, PeopleQuery(excluding=select(person.id).where(person.id == jd[0])), 0, 50)
    assert staff.total == 3 and [p.name for p in staff.people] == ["李0", "李1"]
    assert {p.source for p in staff.people} == {"jx_testkit"}
    assert asked_other.total == 0
    assert left_out.total == 3 and jd[0] not in {p.id for p in left_out.people}


def test_a_plugins_to_do_shows_on_the_workbench_of_those_it_is_for(sqlite_db):
    note = testkit().TestkitNote
    with session_scope(Actor("admin", "admin")) as s:
        s.add_all([note(text="无区县", county_code=None), note(text="无区县二", county_code=None)])
    admin = signed_in_app("admin", page="core-workbench")
    assert not admin.exception
    assert [shown(link.proto.label) for link in page_links(admin.main)] == ["**未分区县的测试便签** · 2 条"]
    staff = signed_in_app("staff_jd", page="core-workbench")
    assert not list(page_links(staff.main))
    assert "暂无待办事项" in texts(staff)


def page_links(node):
    """Every page link drawn, however deep in containers."""
    if node.type == "page_link":
        yield node
    for child in getattr(node, "children", {}).values():
        yield from page_links(child)


def test_a_plugins_report_section_counts_only_the_counties_asked_for(sqlite_db):
    import openpyxl

    with read_session() as s:
        jiande = s.scalar(text("SELECT count(*) FROM jx_testkit_note WHERE county_code = '330182'"))
    report = build_report(STAFF_JD, 2025, None)  # a county user gets their county's, whatever they ask
    section = next(sec for sec in report.sections if sec.key == "jx-testkit-notes")
    assert f"共有测试便签 {jiande} 条" in section.text
    book = openpyxl.load_workbook(io.BytesIO(report_file(STAFF_JD, report, XLSX)), read_only=True)
    sheet = [row for row in book["各区县测试便签数"].iter_rows(values_only=True) if any(row)]
    assert sheet[1:] == [("330182", jiande)]
