"""The 人员名册 list: every row of a page, its count, a row that opens its person, a person's own
link within the viewer's counties, and filters set from a link's query parameters.

Counts are checked against plain SQL written here (the oracle), not against the code under test.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from core.data.audit import Actor
from core.data.db import read_session, session_scope
from plugins.registry.models import Honour, Person
from plugins.registry.queries import NOT_VISIBLE, PAGE_SIZE
from tests.helpers import signed_in_app, texts
from tests.roster_pages import opened
from tests.sheets import make_id

PEOPLE = "SELECT COUNT(DISTINCT p.id) FROM registry_person p"
LIVING = " WHERE p.status != '去世'"


def sql(query: str, **params):
    """The oracle: plain SQL written here."""
    with read_session() as session:
        return session.execute(text(query), params).scalar()


def first_id(county: str) -> tuple[int, str]:
    with read_session() as session:
        return tuple(session.execute(text(
            "SELECT id, name FROM registry_person WHERE county_code = :c AND status != '去世' "
            "ORDER BY id LIMIT 1"), {"c": county}).one())


def shown_count(at) -> int:
    counts = [m.value for m in at.markdown if m.value.startswith("**共 ")]
    assert len(counts) == 1, texts(at)
    return int(counts[0].removeprefix("**共 ").removesuffix(" 人**"))


def test_the_list_counts_everyone_and_shows_a_whole_page(roster_db):
    at = signed_in_app("admin", page="registry-people")
    assert not at.exception
    assert shown_count(at) == sql(PEOPLE + LIVING) > PAGE_SIZE
    assert len(at.dataframe[0].value) == PAGE_SIZE
    # one page of results: the count is still said, above the table, and no page number
    at.text_input(key="registry_q").input("丁").run()
    found = sql(PEOPLE + LIVING + " AND p.name LIKE '%丁%'")
    assert 0 < found < PAGE_SIZE
    assert shown_count(at) == found == len(at.dataframe[0].value)
    assert not at.number_input


def test_clicking_a_row_opens_that_person_and_back_keeps_the_search(roster_db):
    at = signed_in_app("admin", page="registry-people")
    at.selectbox(key="registry_level").select("全国").run()
    table = at.dataframe[0].value
    name = table.iloc[3]["姓名"]
    assert not any(s.label == "查看人员详情" for s in at.selectbox)  # no second dropdown
    # what the browser sends when a row is clicked: the selection of the keyed table
    at.session_state["registry_table"] = {"selection": {"rows": [3], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    person = opened(at)
    assert sql("SELECT name FROM registry_person WHERE id = :i", i=person) == name
    assert [s.value for s in at.subheader] == [name]
    assert not at.dataframe or "姓名" not in at.dataframe[0].value.columns  # the record, not the list

    at.button(key="registry_back").click().run()
    assert "person" not in at.query_params
    assert at.selectbox(key="registry_level").value == "全国"  # the search as it was
    assert at.dataframe[0].value.iloc[3]["姓名"] == name


def test_clicking_any_cell_of_a_row_opens_that_person(roster_db):
    at = signed_in_app("staff_jd", page="registry-people")
    name = at.dataframe[0].value.iloc[5]["姓名"]
    at.session_state["registry_table"] = {"selection": {"rows": [], "columns": [], "cells": [[5, "荣誉"]]}}
    at.run()
    assert sql("SELECT name FROM registry_person WHERE id = :i", i=opened(at)) == name
    assert [s.value for s in at.subheader] == [name]


def test_a_persons_link_opens_them_within_the_viewers_county(roster_db):
    own, own_name = first_id("330182")
    other, other_name = first_id("330127")
    at = signed_in_app("staff_jd", page="registry-people", query={"person": str(own)})
    assert not at.exception
    assert [s.value for s in at.subheader] == [own_name]

    for wanted in (str(other), "999999999", "abc", "-1", "1e99"):
        at = signed_in_app("staff_jd", page="registry-people", query={"person": wanted})
        assert not at.exception
        assert [e.value for e in at.error] == [NOT_VISIBLE]
        shown = texts(at)
        assert other_name not in shown and not at.subheader and not at.dataframe

    # the city sees everyone
    at = signed_in_app("manager", page="registry-people", query={"person": str(other)})
    assert [s.value for s in at.subheader] == [other_name]


NATIONAL = ("SELECT COUNT(DISTINCT p.id) FROM registry_person p JOIN registry_honour h "
            "ON h.person_id = p.id WHERE p.status != '去世' AND h.level = :level")


@pytest.mark.parametrize(("query", "oracle", "params"), [
    ({"level": "全国"}, NATIONAL, {"level": "全国"}),
    ({"level": "全国", "county": "330182"}, NATIONAL + " AND p.county_code = :c",
     {"level": "全国", "c": "330182"}),
    ({"level": "省级", "year": "2023"}, NATIONAL + " AND h.year_awarded = :y",
     {"level": "省级", "y": 2023}),
    ({"status": "在职"}, PEOPLE + " WHERE p.status = '在职'", {}),
    ({"status": "全部", "county": "建德"}, PEOPLE + " WHERE p.county_code = '330182'", {}),
    ({"honour": "杭州工匠"}, PEOPLE + " JOIN registry_honour h ON h.person_id = p.id"
     + LIVING + " AND h.name = '杭州工匠'", {}),
    # what no filter offers is ignored: the default list, and no crash
    ({"level": "国际", "year": "abc", "county": "宁波", "status": "x", "honour": "<b>"},
     PEOPLE + LIVING, {}),
])
def test_a_links_query_parameters_set_the_filters(roster_db, query, oracle, params):
    # one person with a national honour of 2010 and a provincial one of 2023: 省级 + 2023 counts
    # them, 全国 + 2023 must not (the same honour has the level and the year)
    with session_scope(Actor("test", "admin")) as session:
        person = Person(name="跨年人", gender="男", id_number=make_id("19700101", 777),
                        birth_date=dt.date(1970, 1, 1), county_code="330182", status="在职",
                        name_initials="kyr")
        session.add(person)
        session.flush()
        session.add_all([Honour(person_id=person.id, name="全国劳动模范", level="全国", year_awarded=2010),
                         Honour(person_id=person.id, name="浙江工匠", level="省级", year_awarded=2023)])
    at = signed_in_app("admin", page="registry-people", query=query)
    assert not at.exception
    assert shown_count(at) == sql(oracle, **params)


def test_the_same_honour_has_the_level_and_the_year(roster_db):
    with session_scope(Actor("test", "admin")) as session:
        person = Person(name="跨年人", gender="男", id_number=make_id("19700101", 777),
                        birth_date=dt.date(1970, 1, 1), county_code="330182", status="在职",
                        name_initials="kyr")
        session.add(person)
        session.flush()
        session.add_all([Honour(person_id=person.id, name="全国劳动模范", level="全国", year_awarded=2010),
                         Honour(person_id=person.id, name="浙江工匠", level="省级", year_awarded=2023)])
    at = signed_in_app("admin", page="registry-people", query={"level": "全国", "year": "2023",
                                                               "county": "330182"})
    expected = sql(NATIONAL + " AND h.year_awarded = 2023 AND p.county_code = '330182'", level="全国")
    assert shown_count(at) == expected
    at.text_input(key="registry_q").input("跨年人").run()
    assert "没有找到符合条件的人员。" in [i.value for i in at.info]


def test_a_county_user_keeps_their_county_whatever_the_link_says(roster_db):
    at = signed_in_app("staff_jd", page="registry-people", query={"county": "330127", "level": "全国"})
    assert not at.exception
    assert shown_count(at) == sql(NATIONAL + " AND p.county_code = '330182'", level="全国")
