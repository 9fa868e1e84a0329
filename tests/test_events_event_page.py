"""活动详情 under AppTest, per role: the details of an event in scope, "not found" for one
outside it (or none), the edit form, status and photos for staff of its county only, the link
to 签到. Clock frozen at 15 June 2026, noon."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from core.data.db import read_session, session_scope
from core.settings import clock
from plugins.events.queries import NOT_FOUND
from tests.events_data import ADMIN, make_event
from tests.helpers import signed_in_app, texts

JD, CA = "330182", "330127"
NOW = dt.datetime(2026, 6, 15, 12)
PAGE = "events-event"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" \
      b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "_utc_now", lambda: (NOW - dt.timedelta(hours=8)).replace(tzinfo=dt.UTC))


def sql(query: str, **params):
    with read_session() as session:
        return session.execute(text(query), params).all()


def events() -> dict[str, int]:
    with session_scope(ADMIN) as s:
        jd = make_event(s, title="建德素质提升班", county=JD, starts=dt.datetime(2026, 6, 8, 9), capacity=40,
                        series="2026素质提升", organiser="建德市总工会")
        jd.summary = "**加粗** ![图](http://example.com/x.png)"
        ca = make_event(s, title="千岛湖劳动教育", county=CA, kind="劳动教育", starts=dt.datetime(2026, 6, 20, 9),
                        organiser="淳安县总工会", place="千岛湖农场")
        city = make_event(s, title="全市工匠宣讲", county="", kind="事迹宣讲", starts=dt.datetime(2026, 6, 26, 14))
        return {"jd": jd.id, "ca": ca.id, "city": city.id}


def open_event(username: str, event_id) -> object:
    at = signed_in_app(username, page=PAGE, query={"event": str(event_id)})
    assert not at.exception, at.exception
    return at


# who sees which event, and who may change it
SCOPE = (("admin", {"jd": True, "ca": True, "city": True}),
         ("manager", {"jd": False, "ca": False, "city": False}),
         ("reviewer", {"jd": False, "ca": False, "city": False}),
         ("staff_jd", {"jd": True, "ca": None, "city": False}),
         ("staff_ca", {"jd": None, "ca": True, "city": False}))


def test_each_role_sees_the_events_in_its_scope_and_edits_its_countys(events_alone):
    ids = events()
    names = {"jd": "建德素质提升班", "ca": "千岛湖劳动教育", "city": "全市工匠宣讲"}
    for username, seen in SCOPE:
        for which, editor in seen.items():
            at = open_event(username, ids[which])
            if editor is None:  # outside their scope: not found, and nothing of it shown
                assert [e.value for e in at.error] == [NOT_FOUND], (username, which)
                assert names[which] not in texts(at) and not at.subheader
                continue
            assert [s.value for s in at.subheader][:1] == [names[which]], (username, which)
            labels = [e.label for e in at.expander]
            assert ("修改活动信息" in labels) == editor, (username, which)
            assert ("变更状态" in labels) == editor, (username, which)
            links = [link.label for link in at.get("page_link")]
            assert ("前往签到" in links) == editor, (username, which)


def test_the_details_name_the_county_and_show_typed_text_as_text(events_alone):
    ids = events()
    at = open_event("staff_jd", ids["jd"])
    shown = texts(at).replace("**", "")
    for part in ("类型：素质提升班", "所属区县：建德市", "主办单位：建德市总工会", "地点：建德市职工服务中心",
                 "时间：2026年6月8日 周一 09:00–12:00", "名额：40 人", "课时：3 课时", "系列：2026素质提升",
                 "状态：计划"):
        assert part in shown, part
    # the 活动编号 a sign-in sheet asks for (导入导出: "见活动详情页")
    assert f"活动编号：{ids['jd']}" in shown
    # the summary is typed text: shown as text, never as Markdown
    assert "**加粗** ![图](http://example.com/x.png)" in [t.value for t in at.text]
    assert not any("example.com" in m.value for m in at.markdown)
    city = open_event("staff_jd", ids["city"])
    assert "所属区县**：全市" in texts(city)


@pytest.mark.parametrize("wanted", ["999999", "abc", "-1", "1e99", ""])
def test_a_missing_or_bad_event_id_is_not_found(events_alone, wanted):
    events()
    at = open_event("admin", wanted)
    if wanted:
        assert [e.value for e in at.error] == [NOT_FOUND]
    else:
        assert [i.value for i in at.info] == ["请在日程中选择一场活动。"]
    assert not at.subheader


def test_staff_edit_their_event_and_the_form_refuses_a_bad_value(events_alone):
    ids = events()
    at = open_event("staff_jd", ids["jd"])
    form = f"eve_edit_{ids['jd']}_0"
    assert at.text_input(key=f"{form}_title").value == "建德素质提升班"
    assert at.text_input(key=f"{form}_day").value == "2026-06-08"
    at.text_input(key=f"{form}_place").input("")
    at.button(key=f"FormSubmitter:{form}-保存修改").click().run()
    assert [e.value for e in at.error] == ["请填写地点"]
    at.text_input(key=f"{form}_place").input("寿昌镇文化礼堂")
    at.selectbox(key=f"{form}_end").set_value("16:30")
    at.button(key=f"FormSubmitter:{form}-保存修改").click().run()
    assert not at.exception and [s.value for s in at.success] == ["已保存活动“建德素质提升班”。"]
    assert sql("SELECT place, ends_at, capacity, series FROM events_event WHERE id = :i", i=ids["jd"]) == [
        ("寿昌镇文化礼堂", "2026-06-08 16:30:00.000000", 40, "2026素质提升")]


def test_status_on_the_page_held_once_started_and_cancel_with_a_reason(events_alone):
    ids = events()
    at = open_event("staff_ca", ids["ca"])  # 20 June: not yet started
    key = f"eve_status_{ids['ca']}_0"
    at.radio(key=key).set_value("已举办")
    at.button(key=f"eve_status_go_{ids['ca']}_0").click().run()
    assert [e.value for e in at.error] == ["活动尚未开始，不能标为已举办"]
    at.radio(key=key).set_value("取消")
    at.button(key=f"eve_status_go_{ids['ca']}_0").click().run()
    assert [e.value for e in at.error] == ["请填写取消原因"]
    at.radio(key=key).set_value("取消")
    at.text_input(key=f"eve_reason_{ids['ca']}_0").input("暴雨预警")
    at.button(key=f"eve_status_go_{ids['ca']}_0").click().run()
    assert [s.value for s in at.success] == ["“千岛湖劳动教育”已变更为取消。"]
    assert "取消原因**：暴雨预警" in texts(at)
    assert "前往签到" not in [link.label for link in at.get("page_link")]  # a cancelled event takes none
    assert sql("SELECT status, status_reason FROM events_event WHERE id = :i", i=ids["ca"]) == [("取消", "暴雨预警")]


def test_photos_are_shown_to_readers_and_removed_by_staff(events_alone):
    ids = events()
    with session_scope(ADMIN) as s:
        s.execute(text("INSERT INTO events_photo (event_id, filename, size, data, uploaded_by, uploaded_at) "
                       "VALUES (:e, '合影.png', :n, :d, 'fixture', :t)"),
                  {"e": ids["jd"], "n": len(PNG), "d": PNG, "t": dt.datetime(2026, 6, 8, 12)})
    at = open_event("manager", ids["jd"])
    assert "**活动照片**（1 张）" in texts(at), texts(at)
    assert len(at.get("image")) == 1
    assert "删除照片" not in [e.label for e in at.expander]
    at = open_event("staff_jd", ids["jd"])
    pid = sql("SELECT id FROM events_photo")[0][0]
    at.selectbox(key=f"eve_photo_pick_{ids['jd']}_0").set_value(pid).run()
    at.button(key=f"eve_photo_remove_{ids['jd']}_0").click().run()
    assert [s.value for s in at.success] == ["已删除“建德素质提升班”的一张照片。"]
    assert sql("SELECT COUNT(*) FROM events_photo") == [(0,)]
    assert "暂无照片" in texts(at)


def test_headings_carry_no_link_whose_tooltip_is_english(events_alone):
    """Streamlit puts a link beside each heading, shown on hover (and after a tap on a phone),
    titled "Link to heading": the page's headings have none."""
    ids = events()
    at = open_event("staff_jd", ids["jd"])
    headings = [*at.title, *at.subheader]
    assert {h.value for h in headings} >= {"活动详情", "建德素质提升班", "参加人员"}
    assert all(h.proto.hide_anchor for h in headings)
