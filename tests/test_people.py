"""People across plugins: a test plugin (tests/people_plugins/jx_mentors) picks roster people
through core's hooks and pickers, stores id + name snapshots, and still reads right with the
roster disabled. Oracles are raw SQL on registry_person, registry_honour and the plugin's table."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from sqlalchemy import text

from core.access.auth import CurrentUser
from core.data.db import get_engine, read_session
from core.host import loader
from core.host.people import PersonRef, display_name, get_people, people_available, search_people
from core.ui.people import person_label
from tests.helpers import ACCOUNTS, ROOT, signed_in_app, texts

PEOPLE_PLUGINS = ROOT / "tests" / "people_plugins"
PAGE = "jx-mentors-pairings"
USERS = {a[0]: CurrentUser(a[0], a[1], a[2], a[3]) for a in ACCOUNTS}
MASKED_ID_HINT = "只能按身份证号码的后 4 位或完整号码查找"  # the roster's words, as 人员名册 shows them
LEVEL_RANK = {"全国": 0, "省级": 1, "市级": 2, "区县级": 3}


def _with_mentors(monkeypatch, disabled: str = "") -> None:
    """The roster and the test plugin on (``disabled``: plugins to switch off), a fresh host."""
    monkeypatch.setenv("JIANGXIN_PLUGIN_PATH", str(PEOPLE_PLUGINS))
    monkeypatch.setenv("JIANGXIN_DISABLED_PLUGINS", disabled)
    monkeypatch.setenv("JIANGXIN_STRICT_PLUGINS", "1")
    loader._hosts.clear()


@pytest.fixture(scope="module")
def mentors_template(roster_template, tmp_path_factory):
    """The demo roster with the test plugin's table migrated in (once per module)."""
    from core.data.db import dispose_engines
    from core.data.migrate import upgrade

    path = tmp_path_factory.mktemp("mentors") / "mentors.db"
    shutil.copy(roster_template, path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JIANGXIN_VAR_DIR", str(path.parent / "var"))
        _with_mentors(mp)
        upgrade(get_engine(f"sqlite:///{path}"), loader.get_host())
        dispose_engines()
        loader._hosts.clear()
    return path


@pytest.fixture
def mentors_db(env, mentors_template, monkeypatch) -> str:
    """A copy of the roster + jx_mentors database, the roster and the test plugin loaded."""
    from tests.conftest import _copy_database, _dispose

    url = _copy_database(mentors_template, env, monkeypatch)
    _with_mentors(monkeypatch)
    yield url
    _dispose(url)


@pytest.fixture
def people_db(request, env, monkeypatch):
    """The roster with its demo people: the SQLite copy, and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield request.getfixturevalue("mentors_db")
        return
    from faker import Faker

    from core.data.audit import Actor
    from core.data.db import session_scope
    from core.data.migrate import upgrade
    from tests.conftest import _create_accounts

    url = request.getfixturevalue("pg_url")
    _with_mentors(monkeypatch)
    host = loader.get_host()
    upgrade(get_engine(url), host)
    faker = Faker("zh_CN")
    faker.seed_instance(7)
    with session_scope(Actor("fixture", "admin"), url=url) as session:
        _create_accounts(session)
        host.call_each("jiangxin_demo_data", savepoints=session, session=session, faker=faker, seed=7)
    yield url


def sql(statement: str, **params) -> list:
    with get_engine().connect() as conn:
        return list(conn.execute(text(statement), params))


def living_in(county: str, count: int = 1) -> list:
    return sql("SELECT id, name, id_number FROM registry_person WHERE county_code = :c "
               "AND status = '在职' ORDER BY id LIMIT :n", c=county, n=count)


def search(username: str, query: str, limit: int = 20):
    with read_session() as session:
        return search_people(session, USERS[username], query, limit)


def id_search_entries(actor: str) -> int:
    return sql("SELECT count(*) FROM core_audit_log WHERE actor = :a AND action = 'search_id'",
               a=actor)[0][0]


# --- the pickers under the real app --------------------------------------------------------


def pick_and_save(username: str, mentor, apprentices) -> object:
    """Drive 师带徒 as a user: search each person by name, choose them, save."""
    at = signed_in_app(username, page=PAGE)
    at.text_input(key="mentors_mentor_q").input(mentor.name).run()
    at.selectbox(key="mentors_mentor_pick").set_value(f"registry:{mentor.id}").run()
    for one in apprentices:  # a new search each time: the chosen stay chosen
        at.text_input(key="mentors_apprentices_q").input(one.name).run()
        picked = at.multiselect(key="mentors_apprentices_pick")
        picked.set_value([*picked.value, f"registry:{one.id}"]).run()
    at.button(key="mentors_save").click().run()
    assert not at.exception
    return at


def test_a_plugin_picks_roster_people_through_the_hooks_and_lists_them_by_name(mentors_db):
    mentor, first, second = living_in("330182", 3)
    at = pick_and_save("staff_jd", mentor, [first, second])
    assert [s.value for s in at.success] == ["已保存 2 对师徒。"]
    stored = sql("SELECT mentor_id, mentor_name, apprentice_id, apprentice_name, county_code "
                 "FROM jx_mentors_pairing ORDER BY id")
    assert [tuple(r) for r in stored] == [
        (mentor.id, mentor.name, first.id, first.name, "330182"),
        (mentor.id, mentor.name, second.id, second.name, "330182")]
    listed = at.dataframe[0].value
    assert list(listed["师傅"]) == [mentor.name] * 2 and list(listed["徒弟"]) == [first.name, second.name]
    # the label the user chose from: county, masked number (the last four only), honour
    options = at.selectbox(key="mentors_mentor_pick").options
    assert any(o.startswith(f"{mentor.name}（建德市，{mentor.id_number[:6]}********{mentor.id_number[-4:]}")
               for o in options)
    assert not any(mentor.id_number in o for o in options)
    assert at.multiselect(key="mentors_apprentices_pick").proto.select_all == 0  # no English "Select all"


def test_the_live_name_is_shown_while_the_roster_answers_and_the_snapshot_without_it(
        mentors_db, monkeypatch):
    mentor, apprentice = living_in("330182", 2)
    pick_and_save("staff_jd", mentor, [apprentice])
    with get_engine().begin() as conn:  # a correction approved in the roster since
        conn.execute(text("UPDATE registry_person SET name = '新名字' WHERE id = :i"), {"i": mentor.id})
    at = signed_in_app("staff_jd", page=PAGE)
    assert list(at.dataframe[0].value["师傅"]) == ["新名字"]

    _with_mentors(monkeypatch, disabled="registry")
    assert not people_available()
    at = signed_in_app("staff_jd", page=PAGE)
    assert not at.exception
    assert list(at.dataframe[0].value["师傅"]) == [mentor.name]  # the snapshot
    assert list(at.dataframe[0].value["徒弟"]) == [apprentice.name]
    # the pickers fall back to typed names, stored without an id
    at.text_input(key="mentors_mentor_typed").input("张师傅").run()
    at.text_input(key="mentors_apprentices_typed").input("李一、王二").run()
    at.button(key="mentors_save").click().run()
    assert [s.value for s in at.success] == ["已保存 2 对师徒。"]
    rows = sql("SELECT mentor_id, mentor_name, apprentice_id, apprentice_name FROM jx_mentors_pairing "
               "WHERE mentor_name = '张师傅' ORDER BY id")
    assert [tuple(r) for r in rows] == [(None, "张师傅", None, "李一"), (None, "张师傅", None, "王二")]
    assert list(at.dataframe[0].value["徒弟"]) == [apprentice.name, "李一", "王二"]
    with read_session() as session:
        assert display_name(session, USERS["staff_jd"], mentor.id, "旧名") == "旧名"


def masked(number: str) -> str:
    return number[:6] + "*" * 8 + number[-4:]


def test_the_deceased_are_found_and_marked_in_the_picker(mentors_db):
    dead = sql("SELECT name FROM registry_person WHERE county_code = '330182' AND status = '去世' "
               "ORDER BY id LIMIT 1")[0]
    namesakes = {masked(r.id_number): r.status for r in sql(
        "SELECT id_number, status FROM registry_person WHERE county_code = '330182' AND name LIKE :n",
        n=f"%{dead.name}%")}
    at = signed_in_app("staff_jd", page=PAGE)
    at.text_input(key="mentors_mentor_q").input(dead.name).run()
    labels = at.selectbox(key="mentors_mentor_pick").options
    assert len(labels) == len(namesakes) and "去世" in namesakes.values()
    for label in labels:
        status = next(s for number, s in namesakes.items() if number in label)
        assert label.endswith("（已故）") == (status == "去世"), label


def test_a_short_id_fragment_is_refused_as_on_the_roster_page_and_counted_once(mentors_db):
    person = living_in("330182")[0]
    at = signed_in_app("staff_jd", page=PAGE)
    at.text_input(key="mentors_mentor_q").input(person.id_number[6:14]).run()
    assert [w.value for w in at.warning] == [MASKED_ID_HINT]
    assert not any(b.key == "mentors_mentor_pick" for b in at.selectbox)
    roster = signed_in_app("staff_jd", page="registry-people")
    roster.text_input(key="registry_q").input(person.id_number[6:14]).run()
    assert [w.value for w in roster.warning] == [w.value for w in at.warning]  # the same words
    at.text_input(key="mentors_mentor_q").input(person.id_number[-4:]).run()
    at.run()  # reruns of one search are one search
    assert not at.warning
    assert any(masked(person.id_number) in o for o in at.selectbox(key="mentors_mentor_pick").options)
    assert id_search_entries("staff_jd") == 3  # picker: middle, last four; 人员名册: middle


# --- the hooks, on SQLite and PostgreSQL ------------------------------------------------------


@pytest.mark.parametrize("people_db", ["sqlite", "postgresql"], indirect=True)
def test_county_staff_find_only_their_countys_people(people_db):
    for surname in ("王", "李", "z"):
        found = search("staff_jd", surname, limit=200)
        column = "name_initials" if surname.isascii() else "name"
        pattern = f"{surname}%" if surname.isascii() else f"%{surname}%"
        mine = {r.id for r in sql(f"SELECT id FROM registry_person WHERE county_code = '330182' "
                                  f"AND {column} LIKE :p", p=pattern)}
        others = sql(f"SELECT count(*) FROM registry_person WHERE county_code <> '330182' "
                     f"AND {column} LIKE :p", p=pattern)[0][0]
        assert found and others > 0, surname
        assert {p.id for p in found} == mine and {p.county_code for p in found} == {"330182"}
        assert {p.source for p in found} == {"registry"}
    city = search("reviewer", "王", limit=200)
    assert len({p.county_code for p in city}) > 1
    with read_session() as session:
        other = sql("SELECT id FROM registry_person WHERE county_code = '330127' ORDER BY id LIMIT 3")
        ids = [r.id for r in other] + [p.id for p in found[:2]]
        assert set(get_people(session, USERS["staff_jd"], ids)) == {p.id for p in found[:2]}
        assert set(get_people(session, None, ids)) == set(ids)
        assert get_people(session, USERS["staff_jd"], [None, 10**9]) == {}


@pytest.mark.parametrize("people_db", ["sqlite", "postgresql"], indirect=True)
def test_a_reference_carries_the_status_masked_number_employer_and_highest_honour(people_db):
    found = search("reviewer", "张", limit=200)
    assert len(found) > 20
    rows = {r.id: r for r in sql("SELECT id, name, county_code, status, id_number, employer FROM registry_person")}
    honours: dict[int, list] = {}
    for h in sql("SELECT person_id, name, level, year_awarded FROM registry_honour"):
        honours.setdefault(h.person_id, []).append(h)
    for ref in found:
        row = rows[ref.id]
        assert (ref.name, ref.county_code, ref.status) == (row.name, row.county_code, row.status)
        assert ref.id_number_masked == row.id_number[:6] + "*" * 8 + row.id_number[-4:]
        best = min(honours.get(ref.id, []), default=None,
                   key=lambda h: (LEVEL_RANK[h.level], -(h.year_awarded or 0), h.name))
        assert ref.honour == (best.name if best else None)
        assert ref.honour_level == (best.level if best else None)
        assert ref.employer == (row.employer or "")
    assert any(len(honours.get(ref.id, [])) > 1 for ref in found)  # the order was put to work
    assert len(search("reviewer", "张", limit=5)) == 5


def test_the_label_reads_as_the_issue_shows_it():
    ref = PersonRef(id=1, name="王建国", county_code="330182", id_number_masked="330182********123X",
                    honour="全国劳动模范", source="registry")
    assert person_label(ref) == "王建国（建德市，330182********123X，全国劳动模范）"
    assert person_label(PersonRef(id=2, name="李四", county_code="330127", status="去世",
                                  source="registry")) == "李四（淳安县）（已故）"
    assert person_label(PersonRef.typed("张三")) == "张三（手工填写，未关联名册）"


def test_the_picker_is_no_way_around_the_id_search_limit(mentors_db):
    numbers = [r.id_number for r in living_in("330182", 21)]
    for number in numbers[:20]:
        assert [p.id_number_masked[-4:] for p in search("staff_jd", number[-4:])]
    refused = search("staff_jd", numbers[20][-4:])
    assert list(refused) == [] and refused.refusals == ("身份证号码查找过于频繁，请 10 分钟后再试",)
    assert search("staff_jd", "王")  # a name is no ID search
    assert id_search_entries("staff_jd") == 20


def test_with_the_roster_disabled_no_plugin_answers(mentors_db, monkeypatch):
    _with_mentors(monkeypatch, disabled="registry")
    assert not people_available() and list(search("staff_jd", "王")) == []
    at = signed_in_app("staff_jd", page=PAGE)
    assert not at.exception and "师带徒" in texts(at)
    assert [t.placeholder for t in at.text_input] == ["名册未启用，请直接填写姓名",
                                                      "名册未启用，请直接填写姓名，多人用顿号分隔"]


def test_the_people_search_benchmark_runs_and_reports_its_ratio():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "people_search.py"), "--people", "2000"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "| surname 王, whole city | 20 |" in done.stdout
    assert "median ratio search_people / bare SQL" in done.stdout


def test_a_user_without_the_roster_permission_finds_and_gets_nobody(mentors_db):
    outsider = CurrentUser("outsider", "外人", "guest", None)  # a role holding no roster permission
    with read_session() as session:
        found = search_people(session, outsider, "王")
        assert list(found) == [] and found.refusals == ("您无权查看名册中的人员",)
        some = [r.id for r in sql("SELECT id FROM registry_person ORDER BY id LIMIT 3")]
        assert get_people(session, outsider, some) == {}
        assert display_name(session, outsider, some[0], "快照名") == "快照名"
        assert set(get_people(session, USERS["reviewer"], some)) == set(some)


def _edit_form(ids):
    """An edit form's pickers, filled in with the people stored (``ids``)."""
    import streamlit as st

    from core.access.auth import CurrentUser
    from core.data.db import read_session
    from core.host.people import get_people
    from core.ui.people import people_picker, person_picker

    user = CurrentUser("reviewer", "审核员乙", "reviewer", None)
    with read_session() as session:
        stored = get_people(session, user, ids)
    one = person_picker("领办人", key="edit_leader", user=user, value=stored[ids[0]])
    many = people_picker("成员", key="edit_members", user=user, value=[stored[i] for i in ids])
    st.text(f"leader={one.id if one else None} members={[r.id for r in many]}")


def test_an_edit_form_starts_with_the_people_stored_and_a_search_replaces_them(mentors_db):
    from streamlit.testing.v1 import AppTest

    first, second = living_in("330182", 2)
    at = AppTest.from_function(_edit_form, args=([first.id, second.id],), default_timeout=30).run()
    assert not at.exception
    assert at.text[0].value == f"leader={first.id} members={[first.id, second.id]}"
    at.text_input(key="edit_leader_q").input(second.name).run()
    at.selectbox(key="edit_leader_pick").set_value(f"registry:{second.id}").run()
    at.multiselect(key="edit_members_pick").set_value([f"registry:{second.id}"]).run()
    assert at.text[0].value == f"leader={second.id} members={[second.id]}"
