"""Beijing time (JIANGXIN_TIME_ZONE): "this year", "today" and the audit log's days are the
users' local ones, not the server's or UTC. The clock is frozen through core.settings.clock alone."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.data.audit import SYSTEM, AuditFilter, find_entries, record
from core.data.db import read_session, session_scope
from core.settings import clock
from core.settings.config import ConfigError, load_settings

# 2040-01-01 00:30 in Beijing is 2039-12-31 16:30 UTC
NEW_YEAR = dt.datetime(2039, 12, 31, 16, 30)
FIRST = dt.datetime(2039, 12, 31, 16, 10)  # 2040-01-01 00:10 Beijing
LAST = dt.datetime(2039, 12, 31, 15, 50)  # 2039-12-31 23:50 Beijing
JAN_1 = dt.date(2040, 1, 1)


def freeze(monkeypatch, utc: dt.datetime) -> None:
    """Stop the app's clock at ``utc`` (naive UTC), the one place every helper reads it."""
    monkeypatch.setattr(clock, "_utc_now", lambda: utc.replace(tzinfo=dt.UTC))


def test_the_helpers_give_beijing_days_as_stored_utc_bounds(monkeypatch):
    monkeypatch.delenv("JIANGXIN_TIME_ZONE", raising=False)
    freeze(monkeypatch, NEW_YEAR)
    assert clock.today() == JAN_1 and clock.this_year() == 2040
    assert clock.utcnow() == NEW_YEAR
    assert clock.local_day_bounds(JAN_1) == (dt.datetime(2039, 12, 31, 16), dt.datetime(2040, 1, 1, 16))
    assert clock.to_local(FIRST).strftime("%Y-%m-%d %H:%M") == "2040-01-01 00:10"
    from core.ui import format_time

    assert format_time(LAST) == "2039-12-31 23:50:00"
    monkeypatch.setenv("JIANGXIN_TIME_ZONE", "UTC")  # another zone: format_time follows it
    assert format_time(LAST) == "2039-12-31 15:50:00" and clock.this_year() == 2039


@pytest.mark.parametrize("name", ["Beijing", "Asia/Nowhere", "../etc/passwd"])
def test_a_wrong_time_zone_is_a_config_error(monkeypatch, name):
    monkeypatch.setenv("JIANGXIN_TIME_ZONE", name)
    with pytest.raises(ConfigError, match="JIANGXIN_TIME_ZONE"):
        load_settings()


def test_the_default_time_zone_is_beijing(monkeypatch):
    monkeypatch.delenv("JIANGXIN_TIME_ZONE", raising=False)
    assert load_settings().time_zone == "Asia/Shanghai"


@pytest.fixture(params=["sqlite", "postgresql"])
def roster_any(request, monkeypatch) -> str:
    """The roster on SQLite (with the demo roster) or on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return request.getfixturevalue("roster_db")
    url = request.getfixturevalue("pg_roster")
    from core.data.audit import Actor
    from tests.conftest import _create_accounts

    with session_scope(Actor("fixture", "admin")) as session:
        _create_accounts(session)
    return url


def _approved_at(decided: dt.datetime) -> None:
    from plugins.registry.models import ChangeRequest

    with session_scope(SYSTEM) as s:
        s.add(ChangeRequest(kind="信息更正", state="已通过", county_code="330182", payload={},
                            reason="测试", submitted_by="staff_jd",
                            submitted_at=decided - dt.timedelta(days=2), decided_by="reviewer",
                            decided_at=decided))


def test_at_new_year_in_beijing_the_tiles_count_the_new_years_approvals_only(roster_any, monkeypatch):
    from core.host.metrics import MetricContext
    from plugins.registry.metrics import approvals

    _approved_at(FIRST)
    _approved_at(LAST)
    freeze(monkeypatch, NEW_YEAR)
    with read_session() as s:
        this_year = approvals(MetricContext(session=s, counties=None, year=None))
        last_year = approvals(MetricContext(session=s, counties=None, year=2039))
    assert this_year.value == 1 and this_year.rows[0]["年份"] == 2040
    assert last_year.value == 1

    from tests.helpers import signed_in_app

    at = signed_in_app("manager")
    assert not at.exception
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["本年度通过变动"] == "1"
    assert at.selectbox(key="overview_year").options[:2] == ["全部年度", "2040 年"]


def _write_entries(monkeypatch) -> None:
    for at, summary in ((FIRST, "新年第一条"), (LAST, "旧年最后一条")):
        freeze(monkeypatch, at)
        with session_scope(SYSTEM) as s:
            record(s, "export", summary=summary)
    freeze(monkeypatch, NEW_YEAR)


def test_the_audit_filters_days_are_beijing_days(any_db, monkeypatch):
    _write_entries(monkeypatch)
    with read_session() as s:
        jan_1 = [e.summary for e in find_entries(s, AuditFilter(since=JAN_1, until=JAN_1))]
        dec_31 = [e.summary for e in find_entries(s, AuditFilter(since=JAN_1 - dt.timedelta(days=1),
                                                                 until=JAN_1 - dt.timedelta(days=1)))]
        from core.data.models import AuditEntry

        stored = s.scalar(select(AuditEntry.at).where(AuditEntry.summary == "新年第一条"))
    assert jan_1 == ["新年第一条"]
    assert dec_31 == ["旧年最后一条"]
    assert stored == FIRST  # stored as UTC, as ever


def test_the_audit_page_filters_and_shows_beijing_time(sqlite_db, monkeypatch):
    from tests.helpers import signed_in_app

    _write_entries(monkeypatch)
    at = signed_in_app("admin", page="core-audit")
    since, until = at.text_input(key="audit_since"), at.text_input(key="audit_until")
    assert (since.value, until.value) == (str(JAN_1 - dt.timedelta(days=30)), str(JAN_1))  # Beijing's
    since.set_value(str(JAN_1)).run()
    assert not at.exception
    table = at.dataframe[0].value
    shown = dict(zip(table["说明"], table["时间"], strict=True))
    assert shown["新年第一条"] == "2040-01-01 00:10:00"
    assert "旧年最后一条" not in shown
    import streamlit as st

    st.cache_data.clear()  # the page caches its filter choices for 60 s: not for the next test


def test_the_overviews_recent_writes_are_counted_by_beijing_day(any_db, monkeypatch):
    from core.host.builtin import _writes
    from core.host.metrics import MetricContext

    _write_entries(monkeypatch)
    with read_session() as s:
        result = _writes(MetricContext(session=s, counties=None, year=None))
    assert result.rows == [{"日期": "2039-12-31", "操作数": 1}, {"日期": "2040-01-01", "操作数": 1}]


def test_an_id_number_born_today_in_beijing_is_accepted(monkeypatch):
    from core.spreadsheet import cells
    from tests.sheets import make_id

    freeze(monkeypatch, NEW_YEAR)  # still 31 December in UTC
    assert cells.parse_id_number(make_id("20400101", 111)) == make_id("20400101", 111)
    with pytest.raises(cells.CellError, match="出生日期"):
        cells.parse_id_number(make_id("20400102", 111))
