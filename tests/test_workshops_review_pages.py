"""年度评审 and 建设标准 under AppTest, per role and county: scoring with the total and grade live,
the form clearing, a duplicate refused, county scope, no standard, 摘牌 by an admin, and editing
the standard (admins the city's, staff their county's, managers and reviewers only reading).

Oracles: raw SQL on the tables, and totals computed by hand from the default checklist (weights
10, 8, 7, 12, 12, 11, 10, 10, 10, 10; thresholds 90 / 80 / 60)."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from sqlalchemy import text

from core.data.audit import Actor
from core.data.db import read_session, session_scope
from core.settings import clock
from plugins.workshops import reviews
from tests.helpers import shown, signed_in_app, texts
from tests.workshops_data import ADMIN, make_standard, make_studio

THIS = clock.this_year()
WEIGHTS = {"领办人": 10, "团队成员": 8, "依托单位支持": 7, "技术攻关": 12, "带徒传技": 12, "成果转化": 11,
           "固定场所": 10, "设备资料": 10, "管理制度": 10, "台账档案": 10}


def studio_box(at):
    """The 选择要评审的工作室 box (its key changes after each submission)."""
    return next(box for box in at.selectbox if box.label == "选择要评审的工作室")


def rows(sql: str, **params) -> list[tuple]:
    with read_session() as s:
        return [tuple(r) for r in s.execute(text(sql), params)]


@pytest.fixture
def studios(studios_alone) -> dict[str, int]:
    """This year's city standard and three running studios: two of 建德, one of 淳安."""
    with session_scope(ADMIN) as s:
        make_standard(s, THIS)
        found = {name: make_studio(s, name=name, county=county, leader=(None, leader)).id
                 for name, county, leader in (("新安江水电检修工作室", "330182", "王建国"),
                                              ("严州古建修缮工作室", "330182", "李秀英"),
                                              ("千岛湖鱼头烹饪技能大师工作室", "330127", "张卫东"))}
    return found


def score(at, lost: dict[str, float]):
    """Every criterion at full marks but those in ``lost`` (title → points lost), typed as a
    reviewer types them; returns the app after the run."""
    for field in at.number_input:
        if field.label in WEIGHTS:
            field.set_value(WEIGHTS[field.label] - lost.get(field.label, 0))
    return at.run()


def infos(at) -> list[str]:
    return [shown(i.value) for i in at.info]


# --- 年度评审 --------------------------------------------------------------------------------------

def test_staff_score_a_due_studio_see_the_grade_live_and_the_form_clears(studios):
    at = signed_in_app("staff_jd", page="workshops-review")
    assert not at.exception
    choose = studio_box(at)
    assert choose.options == ["严州古建修缮工作室（建德市）", "新安江水电检修工作室（建德市）"]
    assert "千岛湖" not in texts(at)  # 淳安's studio is not on 建德's list
    choose.set_value(studios["新安江水电检修工作室"]).run()
    assert [f.label for f in at.number_input] == list(WEIGHTS)  # grouped by part, in the standard's order
    assert at.number_input[0].help == "领办人为劳模、工匠或技能大师，在岗并实际主持工作室"
    assert "总分 0.0 / 100，等次：不合格" in infos(at)
    score(at, {"领办人": 2, "技术攻关": 3.5, "台账档案": 4.5, "团队成员": 4})  # 100 - 14 = 86
    assert "总分 86.0 / 100，等次：良好" in infos(at)
    at.number_input[0].set_value(2).run()  # 领办人 8 → 2: 80.0, still 良好
    assert "总分 80.0 / 100，等次：良好" in infos(at)
    at.number_input[0].set_value(1.5).run()
    assert "总分 79.5 / 100，等次：合格" in infos(at)
    at.text_area(key="review_note_0").input("台账需补充")
    at.button(key="review_submit").click().run()
    assert not at.exception
    assert [shown(s.value) for s in at.success] == [f"已提交 新安江水电检修工作室 {THIS} 年度评审：总分 79.5，等次：合格。"]
    assert rows("SELECT studio_id, year, county_code, total, grade, note, reviewer FROM workshops_review") == [
        (studios["新安江水电检修工作室"], THIS, "330182", 79.5, "合格", "台账需补充", "staff_jd")]
    # the form is empty again (no leftover choice, nothing to warn about), and the studio is no longer due
    assert not at.warning
    assert studio_box(at).value is None and not at.number_input
    assert studio_box(at).options == ["严州古建修缮工作室（建德市）"]
    studio_box(at).set_value(studios["严州古建修缮工作室"]).run()  # the next one starts empty
    assert [f.value for f in at.number_input] == [None] * 10 and [t.value for t in at.text_area] == [""]
    assert "总分 0.0 / 100，等次：不合格" in infos(at)
    done = at.dataframe[-1].value
    assert list(done.columns) == ["工作室", "区县", "总分", "等次", "评审人", "评审时间"]
    assert list(done.iloc[0])[:5] == ["新安江水电检修工作室", "建德市", "79.5 / 100", "合格", "建德工作人员"]


def test_a_second_review_of_the_same_studio_is_refused(studios):
    jiande = studios["严州古建修缮工作室"]
    first = signed_in_app("staff_jd", page="workshops-review", query={"studio": str(jiande)})
    second = signed_in_app("admin", page="workshops-review", query={"studio": str(jiande)})
    for at in (first, second):
        assert studio_box(at).value == jiande
        score(at, {"领办人": 10 if at is second else 0})
    first.button(key="review_submit").click().run()
    assert first.success and not first.error
    second.button(key="review_submit").click().run()  # the studio is no longer due: nothing is sent twice
    assert [shown(w.value) for w in second.warning] == ["所选工作室已不在待评审名单中（可能已由他人评审），请重新选择。"]
    assert not second.success and not second.number_input
    assert studio_box(second).options == ["千岛湖鱼头烹饪技能大师工作室（淳安县）",
                                                             "新安江水电检修工作室（建德市）"]
    assert rows("SELECT total, reviewer FROM workshops_review") == [(100, "staff_jd")]
    # had the page still offered it, the service refuses the second review itself
    with pytest.raises(reviews.ReviewError, match=f"严州古建修缮工作室 {THIS} 年度已评审（等次：优秀），不能重复评审"), \
            session_scope(Actor("admin", "admin")) as s:
        reviews.score_studio(s, Actor("admin", "admin"), jiande, THIS, {}, None)


def test_staff_of_another_county_cannot_score_a_jiande_studio(studios):
    jiande = studios["新安江水电检修工作室"]
    at = signed_in_app("staff_ca", page="workshops-review", query={"studio": str(jiande)})
    assert not at.exception
    assert "链接中的工作室不在您本年度的待评审名单中。" in infos(at)
    assert studio_box(at).value is None and not at.number_input
    assert studio_box(at).options == ["千岛湖鱼头烹饪技能大师工作室（淳安县）"]
    assert "新安江" not in texts(at) and "建德市" not in texts(at)
    assert "review_county" not in [s.key for s in at.selectbox]  # county staff have no county to choose


def test_a_city_user_filters_by_county_from_the_link(studios):
    at = signed_in_app("reviewer", page="workshops-review", query={"county": "330127"})
    assert at.selectbox(key="review_county").value == "330127"
    assert studio_box(at).options == ["千岛湖鱼头烹饪技能大师工作室（淳安县）"]
    assert list(at.dataframe[0].value["工作室"]) == ["千岛湖鱼头烹饪技能大师工作室"]
    assert "建议摘牌" not in [s.value for s in at.subheader]  # a reviewer does not confirm 摘牌


def test_without_a_standard_the_page_says_so_and_links_to_it(studios_alone):
    with session_scope(ADMIN) as s:
        make_standard(s, THIS - 1)  # last year's only
        studio = make_studio(s, name="新安江水电检修工作室").id
    at = signed_in_app("staff_jd", page="workshops-review", query={"studio": str(studio)})
    assert not at.exception and not at.number_input
    assert [shown(w.value) for w in at.warning] == [
        f"{THIS} 年度尚未制定建设标准（全市或建德市），暂不能评审。请先在“建设标准”中制定本年度标准。"]
    [link] = at.get("page_link")
    assert (shown(link.proto.label), dict(parse_qsl(link.proto.query_string))) == ("前往建设标准", {"year": str(THIS)})
    assert link.proto.page.endswith("workshops-standard")


def test_managers_cannot_open_the_review_page(studios):
    at = signed_in_app("manager", page="workshops-review")
    assert [e.value for e in at.error] == ["无权访问"]


def test_an_admin_confirms_a_proposed_removal_with_a_reason(studios_alone):
    with session_scope(ADMIN) as s:
        for year in (THIS - 1, THIS):
            make_standard(s, year)
        failing = make_studio(s, name="两年不合格工作室").id
        ids = dict(s.execute(text("SELECT year, id FROM workshops_standard")).all())
    weights = dict(rows("SELECT id, weight FROM workshops_criterion WHERE standard_id = :i", i=ids[THIS - 1]))
    admin = Actor("admin", "admin")
    for year in (THIS - 1, THIS):  # 50 points each year: 不合格 twice
        wanted = dict(rows("SELECT id, weight FROM workshops_criterion WHERE standard_id = :i", i=ids[year]))
        with session_scope(admin) as s:
            reviews.score_studio(s, admin, failing, year, {c: w / 2 for c, w in wanted.items()}, None)
    assert len(weights) == 10
    staff = signed_in_app("staff_jd", page="workshops-review")
    assert "建议摘牌" not in [s.value for s in staff.subheader] and not staff.exception
    at = signed_in_app("admin", page="workshops-review")
    assert "建议摘牌" in [s.value for s in at.subheader]
    assert list(at.dataframe[-1].value.iloc[0]) == ["两年不合格工作室", "建德市"]
    at.selectbox(key="removal_studio").set_value(failing).run()
    at.button(key="removal_confirm").click().run()
    assert [shown(e.value) for e in at.error] == ["请填写摘牌原因"]
    assert rows("SELECT status FROM workshops_studio") == [("运行",)]
    at.text_area(key="removal_reason_0").input("连续两年评审不合格")
    at.button(key="removal_confirm").click().run()
    assert [shown(s.value) for s in at.success] == ["已确认 两年不合格工作室 摘牌。"]
    assert rows("SELECT status, status_since, status_reason FROM workshops_studio") == [
        ("摘牌", clock.today().isoformat(), "连续两年评审不合格")]
    assert rows("SELECT status, reason, by FROM workshops_status_change") == [("摘牌", "连续两年评审不合格", "admin")]
    assert "没有建议摘牌的工作室" in texts(at)


# --- 建设标准 --------------------------------------------------------------------------------------

def editor_state(edited: dict | None = None, added: list | None = None, deleted: list | None = None) -> dict:
    return {"edited_rows": edited or {}, "added_rows": added or [], "deleted_rows": deleted or []}


def test_an_admin_edits_the_city_standard(studios_alone):
    with session_scope(ADMIN) as s:
        sid = make_standard(s, THIS).id
    at = signed_in_app("admin", page="workshops-standard")
    assert not at.exception
    assert at.selectbox(key="standard_year").value == THIS
    assert at.selectbox(key="standard_scope").format_func(at.selectbox(key="standard_scope").value) == "全市"
    assert "**满分 100 分**（各条目分值合计）" in [m.value for m in at.markdown]
    [editor] = at.data_editor
    key = editor.key
    # a weight of 0 in the second row: refused, naming the row, nothing saved
    at.session_state[key] = editor_state({1: {"weight": 0}})
    at.run()
    at.button(key="standard_save").click().run()
    assert [shown(e.value) for e in at.error] == ["第 2 行（团队成员）：分值须大于 0"]
    assert rows("SELECT weight FROM workshops_criterion WHERE title = '团队成员'") == [(8,)]
    assert list(editor.value.columns) == ["id", "part", "title", "weight", "description", "remove"]
    # 领办人 10 → 14, 团队成员 8 → 4, a new 制度 row of 5, 台账档案 ticked 删除: 100 - 10 + 5 = 95
    at.session_state[key] = editor_state({0: {"weight": 14}, 1: {"weight": 4}, 9: {"remove": True}}, [
        {"part": "制度", "title": "安全制度", "weight": 5, "description": "有安全操作规程", "remove": False}])
    at.run()
    assert "分值合计：95 分" in [shown(c.value) for c in at.caption]
    at.number_input(key=f"standard_excellent_{sid}_0").set_value(92)
    at.button(key="standard_save").click().run()
    assert not at.exception and not at.error
    assert [shown(s.value) for s in at.success] == [f"已保存 {THIS} 年度工作室建设标准：10 个条目，满分 95 分。"]
    assert rows("SELECT part, title, weight FROM workshops_criterion ORDER BY part_order, position") == [
        ("组织架构", "领办人", 14), ("组织架构", "团队成员", 4), ("组织架构", "依托单位支持", 7),
        ("职责任务", "技术攻关", 12), ("职责任务", "带徒传技", 12), ("职责任务", "成果转化", 11),
        ("场所设施", "固定场所", 10), ("场所设施", "设备资料", 10), ("制度", "管理制度", 10), ("制度", "安全制度", 5)]
    assert rows("SELECT excellent_min, updated_by FROM workshops_standard") == [(92, "admin")]
    assert "**满分 95 分**（各条目分值合计）" in [m.value for m in at.markdown]
    assert rows("SELECT actor, action FROM core_audit_log WHERE table_name = 'workshops_standard' "
                "AND action = 'update'") == [("admin", "update")]


def test_staff_read_the_city_standard_and_make_their_countys_own(studios_alone):
    with session_scope(ADMIN) as s:
        make_standard(s, THIS)
    at = signed_in_app("staff_jd", page="workshops-standard", query={"county": ""})
    assert not at.exception
    assert at.selectbox(key="standard_scope").options == ["建德市", "全市"]
    assert at.selectbox(key="standard_scope").value == ""  # the city's, from the link
    assert not at.data_editor and "standard_save" not in [b.key for b in at.button]
    assert "您可以查看本标准，修改须由管理员进行。" in [shown(c.value) for c in at.caption]
    at.selectbox(key="standard_scope").set_value("330182").run()
    assert f"{THIS} 年度尚未制定建德市建设标准。" in infos(at)
    assert f"建德市的工作室按 {THIS} 年度全市标准评审。" in [shown(c.value) for c in at.caption]
    assert f"新建的标准将复制 {THIS} 年度全市标准的条目和分数线，之后可以修改。" in [shown(c.value) for c in at.caption]
    copy = at.button(key="standard_copy")
    assert copy.label == f"以上一年度为基础新建 {THIS} 年度标准"
    copy.click().run()
    assert [shown(s.value) for s in at.success] == [
        f"已新建 {THIS} 年度建德市建设标准（复制自 {THIS} 年度全市标准）。"]
    assert f"新建的标准将复制 {THIS} 年度全市标准的条目和分数线，之后可以修改。" not in texts(at)  # done: gone
    assert rows("SELECT year, county_code, title, updated_by FROM workshops_standard WHERE county_code != ''") == [
        (THIS, "330182", f"{THIS} 年度建德市工作室建设标准", "staff_jd")]
    assert len(at.data_editor) == 1  # their own: editable


def test_staff_cannot_edit_another_countys_standard_on_the_page(studios_alone):
    with session_scope(ADMIN) as s:
        make_standard(s, THIS, county="330127")
    at = signed_in_app("staff_jd", page="workshops-standard", query={"county": "330127"})
    assert at.selectbox(key="standard_scope").value == "330182"  # not a scope they may open
    assert "淳安" not in texts(at)


@pytest.mark.parametrize("username", ["reviewer", "manager"])
def test_reviewers_and_managers_only_read_the_standard(studios_alone, username):
    with session_scope(ADMIN) as s:
        make_standard(s, THIS - 1)
        make_standard(s, THIS - 1, county="330127").title = "淳安县往年标准"
    at = signed_in_app(username, page="workshops-standard", query={"year": str(THIS - 1), "county": "330127"})
    assert not at.exception
    assert [s.value for s in at.subheader] == ["淳安县往年标准"]
    assert not at.data_editor and [b.label for b in at.button] == ["退出登录"]
    at.selectbox(key="standard_year").set_value(THIS).run()  # a year without one: nothing to press
    assert f"{THIS} 年度尚未制定淳安县建设标准。" in infos(at)
    assert [b.label for b in at.button] == ["退出登录"]


def test_the_due_list_is_paged_and_a_link_to_a_studio_beyond_the_first_page_opens_it(studios_db):
    """The demo: an administrator's whole city has more studios due than one page; the page
    loads 50 of them, counts them all, and ?studio= finds one on a later page."""
    due = rows("SELECT s.id, s.name FROM workshops_studio s WHERE s.status = '运行' AND s.named_year <= :y "
               "AND NOT EXISTS (SELECT 1 FROM workshops_review r WHERE r.studio_id = s.id AND r.year = :y) "
               "ORDER BY s.county_code, s.name, s.id", y=THIS)
    assert len(due) > 50
    at = signed_in_app("admin", page="workshops-review")
    assert not at.exception
    assert f"共 {len(due)} 个工作室待评审" in texts(at)
    assert len(studio_box(at).options) == 50 and len(at.dataframe[0].value) == 50
    last_id, last_name = due[-1]
    at = signed_in_app("admin", page="workshops-review", query={"studio": str(last_id)})
    assert studio_box(at).value == last_id
    assert any(last_name in shown(m.value) for m in at.markdown)
