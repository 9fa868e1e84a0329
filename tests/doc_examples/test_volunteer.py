import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import dashboard
from core.access import auth
from core.data.audit import Actor
from core.data.db import create_database, dispose_engines, get_engine, read_session, session_scope
from core.data.migrate import upgrade
from core.host.loader import get_host
from core.host.metrics import MetricContext

PLUGINS = Path(__file__).resolve().parent / "plugins"    # the folder that holds volunteer/
APP = str(Path(dashboard.__file__).parent / "app.py")     # the dashboard of the installed Jiangxin


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'jx.db'}"
    monkeypatch.setenv("JIANGXIN_DATABASE_URL", url)
    monkeypatch.setenv("JIANGXIN_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("JIANGXIN_PLUGIN_PATH", str(PLUGINS))
    monkeypatch.setenv("JIANGXIN_COOKIE_KEY", "test-cookie-key-" + "x" * 32)
    monkeypatch.setenv("JIANGXIN_STRICT_PLUGINS", "1")   # a plugin error fails the test
    create_database(url)
    upgrade(get_engine(), get_host())                      # core's migrations, then yours
    with session_scope(Actor("test", "admin")) as s:
        auth.create_user(s, "staff_jd", "建德工作人员", "staff", "330182", "password-1")
    yield
    dispose_engines()


def open_page(username, role, url_path):
    """The real dashboard under AppTest, signed in as ``username``, on page ``url_path``."""
    at = AppTest.from_file(APP, default_timeout=30)
    with read_session() as s:
        generation = auth.session_generation(s, username)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["name"] = username
    at.session_state["roles"] = [role]
    at.session_state["jiangxin_session_generation"] = generation
    at.session_state["jiangxin_start_page"] = url_path
    return at.run()


def test_the_plugin_loads_without_problems(db):
    host = get_host()
    assert host.records["volunteer"].status == "loaded"
    assert host.failed() == []


def test_staff_record_an_activity_for_their_county(db):
    at = open_page("staff_jd", "staff", "volunteer-activities")
    assert not at.exception
    county = next(box for box in at.selectbox if box.label == "所属区县")
    assert county.disabled and county.value == "330182"      # their own county, locked
    boxes = {box.label: box for box in at.text_input}
    boxes["活动"].input("义务维修")
    boxes["日期"].input("2026年5月1日")                      # as the spreadsheets write dates
    boxes["时长（小时）"].input("30")
    at.button(key="FormSubmitter:add_activity-登记").click().run()
    assert [e.value for e in at.error] == ["一次活动不能超过 24 小时"]  # _check's, under 时长
    boxes = {box.label: box for box in at.text_input}
    boxes["时长（小时）"].input("3")
    at.button(key="FormSubmitter:add_activity-登记").click().run()
    assert [s.value for s in at.success] == ["已添加“义务维修”。"]
    assert "义务维修" in at.dataframe[0].value.to_string()
    assert [box.value for box in at.text_input] == ["", "", ""]  # the form starts afresh


def test_the_hours_tile_counts_within_the_county_scope(db):
    volunteer = get_host().pm.get_plugin("volunteer")      # not `import volunteer`: see below
    with session_scope(Actor("test", "admin")) as s:
        s.add(volunteer.VolunteerActivity(title="义务维修", county_code="330182",
                                          held_on=dt.date(2026, 5, 1), hours=3))
    metric = get_host().metrics["volunteer-hours"]
    with read_session() as s:
        jiande = metric.compute(MetricContext(session=s, counties=("330182",), year=None))
        chun_an = metric.compute(MetricContext(session=s, counties=("330127",), year=2026))
    assert (jiande.value, chun_an.value) == (3.0, 0.0)
