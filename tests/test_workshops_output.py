"""A studio's yearly output: entered and edited through its one-row form, summed by county and
year, ranked, and the honoured people of studios, checked against hand-computed numbers; the
成果统计 page per role and county."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from core.data.db import get_engine, read_session, session_scope
from core.settings import clock
from plugins.workshops import stats
from plugins.workshops.models import Member, Output
from tests.helpers import signed_in_app, texts
from tests.workshops_data import ADMIN, make_studio

JD, CA, SC = "330182", "330127", "330102"


def sql(query: str, **params):
    with get_engine().connect() as conn:
        return [tuple(r) for r in conn.execute(text(query), params).all()]


def output(session, studio, year, **values):
    session.add(Output(studio_id=studio.id, year=year, county_code=studio.county_code, **values))


# --- the one-row form -------------------------------------------------------------------------

SCRIPT = """
import streamlit as st
from types import SimpleNamespace
from core.access.auth import CurrentUser
from plugins.workshops.output_form import output_form

username, county = st.session_state["who"]
user = CurrentUser(username, username, "staff" if county else "admin", county)
sid, name, studio_county = st.session_state["studio"]
output_form(user, SimpleNamespace(id=sid, name=name, county_code=studio_county), st.session_state["year"])
"""


def form_app(studio, year, who=("staff_jd", JD)):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(SCRIPT, default_timeout=30)
    at.session_state["who"] = who
    at.session_state["studio"] = studio
    at.session_state["year"] = year
    return at.run()


def fill(at, values: dict[str, str]) -> None:
    boxes = {t.label: t for t in at.text_input}
    for label, value in values.items():
        boxes[label].input(value)


@pytest.fixture
def one_studio(studios_alone):
    with session_scope(ADMIN) as s:
        studio = make_studio(s, name="新安江水电检修工作室", county=JD)
        return studio.id, studio.name, studio.county_code


def test_staff_enter_a_years_output_then_edit_it_through_the_form(one_studio):
    sid = one_studio[0]
    at = form_app(one_studio, 2025)
    assert not at.exception
    assert [t.label for t in at.text_input][:3] == ["发明专利", "实用新型专利", "外观设计专利"]
    assert not [t for t in at.text_input if t.label in ("工作室名称", "年度")]  # fixed, not typed
    fill(at, {"发明专利": "2", "带徒": "3", "其中：达到技师": "2", "其中：达到高级技师": "2", "经济效益（万元）": "-1"})
    at.button(key=f"FormSubmitter:ws_output_{sid}_2025-提交").click().run()
    errors = [e.value for e in at.error]
    assert "不能为负数" in errors
    assert sql("SELECT COUNT(*) FROM workshops_output") == [(0,)]

    fill(at, {"经济效益（万元）": "12.5"})
    at.button(key=f"FormSubmitter:ws_output_{sid}_2025-提交").click().run()
    assert any("不能多于带徒人数（3 人）" in e.value for e in at.error)
    fill(at, {"其中：达到高级技师": "1", "获奖": "４"})  # full-width digits, as typed on a phone
    at.button(key=f"FormSubmitter:ws_output_{sid}_2025-提交").click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == ["已保存“新安江水电检修工作室 2025 年度成果”。"]
    assert sql("SELECT studio_id, year, county_code, patents_invention, apprentices, apprentices_technician, "
               "apprentices_senior, awards, benefit, innovations FROM workshops_output") == \
        [(sid, 2025, JD, 2, 3, 2, 1, 4, 12.5, 0)]
    assert sql("SELECT action, actor FROM core_audit_log WHERE table_name = 'workshops_output'") == \
        [("create", "staff_jd")]

    # the year is on file: the form now edits it, filled in with what is stored
    boxes = {t.label: t for t in at.text_input}
    assert boxes["发明专利"].value == "2" and boxes["经济效益（万元）"].value == "12.5"
    assert f"FormSubmitter:ws_output_{sid}_2025-保存修改" in [b.key for b in at.button]
    fill(at, {"技术革新": "7"})
    at.button(key=f"FormSubmitter:ws_output_{sid}_2025-保存修改").click().run()
    assert not at.exception and not at.error
    assert sql("SELECT year, innovations, patents_invention FROM workshops_output") == [(2025, 7, 2)]
    assert sql("SELECT action FROM core_audit_log WHERE table_name = 'workshops_output' ORDER BY id") == \
        [("create",), ("update",)]


def test_a_second_window_cannot_add_the_same_year_twice(one_studio):
    first, second = form_app(one_studio, 2025), form_app(one_studio, 2025)
    for at, patents in ((first, "1"), (second, "5")):
        fill(at, {"发明专利": patents})
        at.button(key=f"FormSubmitter:ws_output_{one_studio[0]}_2025-提交").click().run()
    assert [s.value for s in first.success] == ["已保存“新安江水电检修工作室 2025 年度成果”。"]
    # the second window's run finds the year on file: it draws the edit form and writes nothing
    assert "2025 年的成果已填报，修改后点“保存修改”。" in [c.value for c in second.caption]
    assert not second.success and not second.exception
    assert sql("SELECT patents_invention FROM workshops_output") == [(1,)]


def test_the_studios_form_table_refuses_a_year_on_file_and_anothers_county_without_writing(one_studio):
    from core.data.audit import Actor
    from core.spreadsheet import write_one_row
    from plugins.workshops.spreadsheet import studio_output_edit_table

    sid, name, county = one_studio
    form = studio_output_edit_table()
    row = {"studio_name": name, "county_code": county, "year": 2024}
    assert write_one_row(form, {**row, "awards": "2"}, Actor("staff_jd", "staff", JD)).written
    again = write_one_row(form, {**row, "awards": "3"}, Actor("staff_jd", "staff", JD))
    assert not again.written and again.problems and "已存在" in again.problems[0][1]
    other = write_one_row(form, {**row, "year": 2023, "awards": "3"}, Actor("staff_ca", "staff", CA))
    assert not other.written and other.problems == [("county_code", "建德市 不在您可导入的区县范围内")]
    assert sql("SELECT year, awards FROM workshops_output") == [(2024, 2)]
    # the form's write is audited with the studio's county
    assert sql("SELECT county_code FROM core_audit_log WHERE table_name = 'workshops_output' "
               "AND action = 'create'") == [(county,)]


def test_another_countys_staff_cannot_enter_a_studios_output(one_studio):
    at = form_app(one_studio, 2025, who=("staff_ca", CA))
    fill(at, {"发明专利": "1"})
    at.button(key=f"FormSubmitter:ws_output_{one_studio[0]}_2025-提交").click().run()
    # (the studio page itself refuses them first: this is the form alone, given the studio)
    assert any("建德市 不在您可导入的区县范围内" in e.value for e in at.error)
    assert sql("SELECT COUNT(*) FROM workshops_output") == [(0,)]


def test_a_year_to_come_is_refused_by_the_form(one_studio):
    year = clock.this_year() + 1
    at = form_app(one_studio, year)
    fill(at, {"发明专利": "1"})
    at.button(key=f"FormSubmitter:ws_output_{one_studio[0]}_{year}-提交").click().run()
    assert any("应在 2000 至" in e.value for e in at.error)
    assert sql("SELECT COUNT(*) FROM workshops_output") == [(0,)]


# --- the figures ------------------------------------------------------------------------------

@pytest.fixture
def figures(studios_alone):
    """Three studios in 建德, one in 淳安, one in 上城, with output in 2024 and 2025 and members."""
    with session_scope(ADMIN) as s:
        a = make_studio(s, name="甲工作室", county=JD, kind="技能大师工作室", level="国家级")
        b = make_studio(s, name="乙工作室", county=JD)
        c = make_studio(s, name="丙工作室", county=JD)
        d = make_studio(s, name="丁工作室", county=CA, kind="工匠创新工作室")
        e = make_studio(s, name="戊工作室", county=SC)
        output(s, a, 2025, patents_invention=3, patents_utility=2, patents_design=1, apprentices=10,
               apprentices_technician=4, awards=1, benefit=20.5)
        output(s, b, 2025, patents_utility=6, apprentices=2, benefit=4.25)
        output(s, c, 2025, patents_design=1, innovations=5)
        output(s, c, 2024, patents_invention=9, awards=3)
        output(s, d, 2025, patents_invention=1, patents_utility=1, awards=2, benefit=1.0)
        output(s, d, 2024, innovations=4)
        output(s, e, 2025, patents_invention=10)
        s.add_all([
            Member(studio_id=a.id, person_id=101, name="张全国", role="领办人", honour="全国劳动模范", honour_level="全国"),
            Member(studio_id=b.id, person_id=101, name="张全国", role="成员", honour="全国劳动模范", honour_level="全国"),
            Member(studio_id=b.id, person_id=102, name="李省级", role="成员", honour="浙江工匠", honour_level="省级"),
            Member(studio_id=c.id, person_id=None, name="王手填", role="成员", honour="建德金匠", honour_level="区县级"),
            Member(studio_id=c.id, person_id=103, name="赵无荣", role="成员"),
            Member(studio_id=d.id, person_id=104, name="钱淳安", role="领办人", honour="大国工匠", honour_level="全国"),
        ])
        return {k: v.id for k, v in zip("abcde", (a, b, c, d, e), strict=True)}


def test_output_by_county_sums_every_field_by_hand(figures):
    with read_session() as s:
        rows = stats.output_by_county(s, None, 2025)
        jd_only = stats.output_by_county(s, (JD,), 2025)
    by = {r["county_code"]: r for r in rows}
    assert list(by) == [SC, CA, JD]
    assert by[JD]["studios"] == 3
    assert (by[JD]["patents_invention"], by[JD]["patents_utility"], by[JD]["patents_design"]) == (3, 8, 2)
    assert (by[JD]["innovations"], by[JD]["apprentices"], by[JD]["apprentices_technician"]) == (5, 12, 4)
    assert by[JD]["benefit"] == 24.75 and by[JD]["awards"] == 1
    assert by[CA]["studios"] == 1 and by[CA]["awards"] == 2 and by[CA]["benefit"] == 1.0
    assert jd_only == [by[JD]]
    with read_session() as s:
        years = stats.output_by_year(s, (JD, CA))
    assert [(r["year"], r["studios"], r["patents_invention"], r["innovations"]) for r in years] == \
        [(2024, 2, 9, 4), (2025, 4, 4, 5)]


def test_ranking_by_patents_and_by_one_field(figures):
    with read_session() as s:
        patents = stats.ranking(s, None, 2025)
        jd = stats.ranking(s, (JD,), 2025, "patents")
        benefit = stats.ranking(s, None, 2025, "benefit", limit=2)
    # patents: 甲 3+2+1=6, 乙 6, 戊 10, 丁 2, 丙 1
    assert [(r["rank"], r["name"], r["value"]) for r in patents] == \
        [(1, "戊工作室", 10), (2, "乙工作室", 6), (2, "甲工作室", 6), (4, "丁工作室", 2), (5, "丙工作室", 1)]
    assert patents[2]["kind"] == "技能大师工作室" and patents[2]["county_code"] == JD
    assert [r["name"] for r in jd] == ["乙工作室", "甲工作室", "丙工作室"]
    assert [(r["name"], r["value"]) for r in benefit] == [("甲工作室", 20.5), ("乙工作室", 4.25)]
    with pytest.raises(ValueError):
        stats.ranking_statement(None, 2025, "name")


def test_honoured_people_national_first_and_counted_once(figures):
    with read_session() as s:
        rows, total = stats.honoured_people(s, None)
        jd_rows, jd_total = stats.honoured_people(s, (JD,))
        national, n_total = stats.honoured_people(s, None, level="全国")
        counts = stats.honoured_counts(s, None)
        jd_counts = stats.honoured_counts(s, (JD,))
        second_page, _ = stats.honoured_people(s, None, offset=3, limit=3)
    # 张全国 in two studios is two rows; 赵无荣 has no honour
    assert total == 5 and [r["name"] for r in rows] == ["钱淳安", "张全国", "张全国", "李省级", "王手填"]
    assert [(r["name"], r["studio_name"]) for r in rows[:3]] == \
        [("钱淳安", "丁工作室"), ("张全国", "乙工作室"), ("张全国", "甲工作室")]
    assert jd_total == 4 and "钱淳安" not in [r["name"] for r in jd_rows]
    assert n_total == 3 and {r["honour_level"] for r in national} == {"全国"}
    assert counts == {"全国": 2, "省级": 1, "市级": 0, "区县级": 1}
    assert jd_counts == {"全国": 1, "省级": 1, "市级": 0, "区县级": 1}
    assert [r["name"] for r in second_page] == ["李省级", "王手填"]


# --- the page ---------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["admin", "manager", "reviewer"])
def test_city_readers_see_every_county_and_follow_the_links_filters(figures, username):
    at = signed_in_app(username, "workshops-output", {"year": "2025"})
    assert not at.exception
    shown = texts(at)
    assert "成果统计" in shown and "2025 年各区县工作室成果" in shown
    by_county = at.dataframe[0].value
    assert list(by_county["区县"]) == ["上城区", "淳安县", "建德市", "合计"]
    assert list(by_county["发明专利"]) == [10, 1, 3, 14]
    chart = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert (chart["title"]["text"], chart["title"]["subtitle"]) == ("2024—2025 年专利（三类合计）", "全市，单位：件")
    ranking = at.dataframe[1].value
    assert list(ranking["工作室"])[:3] == ["戊工作室", "乙工作室", "甲工作室"]
    assert "全国荣誉" in shown and "2 人" in [m.value for m in at.metric]
    people = at.dataframe[2].value
    assert list(people["姓名"])[:3] == ["钱淳安", "张全国", "张全国"] and "丁工作室" in list(people["工作室"])

    one = signed_in_app(username, "workshops-output", {"year": "2024", "county": "330127"})
    assert not one.exception
    assert list(one.dataframe[0].value["区县"]) == ["淳安县"]
    assert list(one.dataframe[0].value["技术革新"]) == [4]

    # the overview's national tile links with level=全国: only national honourees are listed
    national = signed_in_app(username, "workshops-output", {"year": "2025", "level": "全国"})
    assert set(national.dataframe[2].value["荣誉级别"]) == {"全国"}


def test_county_staff_see_their_county_only_whatever_the_link_says(figures):
    at = signed_in_app("staff_jd", "workshops-output", {"year": "2025", "county": "330127"})
    assert not at.exception
    assert list(at.dataframe[0].value["区县"]) == ["建德市"]
    assert "丁工作室" not in texts(at) and "钱淳安" not in texts(at)
    assert list(at.dataframe[1].value["工作室"]) == ["乙工作室", "甲工作室", "丙工作室"]
    link = at.get("page_link")[0].proto
    assert link.label == "在工作室一览中查看建德市的工作室" and "county=330182" in link.page + link.query_string


def test_changing_the_filters_puts_them_in_the_link_and_the_measure_ranks(figures):
    at = signed_in_app("admin", "workshops-output", {"year": "2025"})
    at.selectbox(key="ws_out_county").set_value(JD).run()
    assert at.query_params["county"] == [JD] or at.query_params["county"] == JD
    assert list(at.dataframe[0].value["区县"]) == ["建德市"]
    at.selectbox(key="ws_out_measure").set_value("benefit").run()
    assert not at.exception
    assert "2025 年工作室排名：经济效益（万元）" in texts(at)
    assert list(at.dataframe[1].value["工作室"]) == ["甲工作室", "乙工作室"]


def test_an_empty_year_says_so(studios_alone):
    at = signed_in_app("manager", "workshops-output")
    assert not at.exception
    shown = texts(at)
    assert f"{clock.this_year()} 年还没有填报成果" in shown and "还没有获得荣誉的成员" in shown


def test_on_the_demo_data_the_totals_are_the_tables_own_sums(studios_db):
    year = sql("SELECT MAX(year) FROM workshops_output")[0][0]
    if year is None:
        pytest.skip("the studios demo has no output yet")
    at = signed_in_app("manager", "workshops-output", {"year": str(year)})
    assert not at.exception
    totals = at.dataframe[0].value.iloc[-1]
    expected = sql("SELECT COUNT(*), SUM(patents_invention), SUM(apprentices), SUM(benefit) FROM workshops_output "
                   "WHERE year = :y", y=year)[0]
    counties = sql("SELECT COUNT(DISTINCT county_code) FROM workshops_output WHERE year = :y", y=year)[0][0]
    if counties > 1:
        assert totals["区县"] == "合计"
    assert (totals["填报工作室（个）"], totals["发明专利"], totals["带徒"]) == expected[:3]
    assert totals["经济效益（万元）"] == pytest.approx(expected[3], abs=0.01)
    staff = signed_in_app("staff_jd", "workshops-output", {"year": str(year)})
    assert not staff.exception and "成果统计" in texts(staff)


def test_clicking_a_ranked_studio_or_an_honoured_person_opens_their_studio(figures):
    at = signed_in_app("staff_jd", "workshops-output", {"year": "2025"})
    assert list(at.dataframe[1].value["工作室"])[1] == "甲工作室"
    at.session_state["ws_out_ranking"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert at.query_params["studio"] in ([str(figures["a"])], str(figures["a"]))
    assert "甲工作室" in texts(at) and "成果统计" not in [t.value for t in at.title]

    at = signed_in_app("manager", "workshops-output", {"year": "2025"})
    assert list(at.dataframe[2].value["姓名"])[0] == "钱淳安"
    at.session_state["ws_out_people"] = {"selection": {"rows": [], "columns": [], "cells": [[0, "荣誉"]]}}
    at.run()
    assert not at.exception
    assert at.query_params["studio"] in ([str(figures["d"])], str(figures["d"]))


def test_the_figures_follow_a_new_entry_at_once(figures):
    at = signed_in_app("manager", "workshops-output", {"year": "2025", "county": "330127"})
    assert list(at.dataframe[0].value["发明专利"]) == [1]
    with session_scope(ADMIN) as s:
        studio = make_studio(s, name="己工作室", county=CA)
        output(s, studio, 2025, patents_invention=6)
    at.run()
    assert list(at.dataframe[0].value["发明专利"]) == [7]
    assert list(at.dataframe[0].value["填报工作室（个）"]) == [2]


def test_the_honoured_list_pages_fifty_at_a_time_and_filters_by_level(figures):
    with session_scope(ADMIN) as s:
        s.add_all([Member(studio_id=figures["c"], person_id=1000 + i, name=f"市级{i:02d}", role="成员",
                          honour="杭州工匠", honour_level="市级") for i in range(52)])
    at = signed_in_app("manager", "workshops-output", {"year": "2025"})
    assert "52 人" in [m.value for m in at.metric]  # 市级
    people = at.dataframe[2].value
    assert len(people) == 50 and list(people["姓名"])[:2] == ["钱淳安", "张全国"]
    at.number_input(key="ws_out_page").set_value(2).run()
    # 57 in all: 3 全国, 1 省级, 52 市级 (by name), 1 区县级; page 2 holds the last 7
    assert list(at.dataframe[2].value["姓名"]) == [f"市级{i}" for i in range(46, 52)] + ["王手填"]
    at.selectbox(key="ws_out_level").set_value("全国").run()
    assert at.number_input(key="ws_out_page").value == 1
    assert list(at.dataframe[2].value["姓名"]) == ["钱淳安", "张全国", "张全国"]
