"""The construction standard and the yearly reviews as services: copying a year, saving the
checklist, grades at each threshold, old reviews kept as scored, 摘牌, and who may do what.

Oracles are raw SQL on the tables and hand-computed numbers (the default checklist's weights are
10, 8, 7, 12, 12, 11, 10, 10, 10, 10: 100 points; thresholds 90 / 80 / 60)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.access.permissions import PermissionDenied
from core.data.audit import Actor
from core.data.db import read_session, session_scope
from core.settings import clock
from plugins.workshops import reviews, standards
from plugins.workshops.models import CITY
from plugins.workshops.queries import NOT_FOUND, StudioError
from tests.workshops_data import ADMIN, make_standard, make_studio

ADMIN_USER = Actor("admin", "admin")
REVIEWER = Actor("reviewer", "reviewer")
MANAGER = Actor("manager", "manager")
STAFF_JD = Actor("staff_jd", "staff", "330182")
STAFF_CA = Actor("staff_ca", "staff", "330127")
WEIGHTS = [10, 8, 7, 12, 12, 11, 10, 10, 10, 10]
THIS = clock.this_year()


def rows(sql: str, **params) -> list[tuple]:
    with read_session() as s:
        return [tuple(r) for r in s.execute(text(sql), params)]


def criteria_of(standard_id: int) -> list[tuple]:
    return rows("SELECT part, title, weight, description FROM workshops_criterion WHERE standard_id = :i "
                "ORDER BY part_order, position", i=standard_id)


def editable(standard_id: int) -> list[dict]:
    """The checklist as the page hands it to save_standard (ids kept)."""
    return [{"id": i, "part": p, "title": t, "weight": w, "description": d} for i, p, t, w, d in rows(
        "SELECT id, part, title, weight, description FROM workshops_criterion WHERE standard_id = :i "
        "ORDER BY part_order, position", i=standard_id)]


def thresholds(excellent=90, good=80, pass_=60) -> dict:
    return {"优秀": excellent, "良好": good, "合格": pass_}


def score_all(standard_id: int, total_lost: float = 0.0) -> dict[int, float]:
    """Every criterion at full marks, less ``total_lost`` taken from the first criteria."""
    scores = {}
    for cid, weight in rows("SELECT id, weight FROM workshops_criterion WHERE standard_id = :i ORDER BY id",
                            i=standard_id):
        lost = min(weight, total_lost)
        scores[cid] = weight - lost
        total_lost -= lost
    return scores


def audit(table: str) -> list[tuple]:
    return rows("SELECT actor, action, summary FROM core_audit_log WHERE table_name = :t ORDER BY id", t=table)


# --- copying a year ---------------------------------------------------------------------------

def test_a_new_year_copies_the_latest_earlier_standard_and_editing_the_copy_leaves_it_alone(studios_alone):
    with session_scope(ADMIN) as s:
        old = make_standard(s, THIS - 2).id
    # the older year is edited: the copy must carry its edits, not the default checklist
    changed = editable(old)
    changed[0]["weight"], changed[1]["weight"] = 12, 6
    changed[2]["title"] = "依托单位保障"
    with session_scope(ADMIN_USER) as s:
        standards.save_standard(s, ADMIN_USER, old, changed, thresholds(85, 75, 55))
    before = criteria_of(old)
    with session_scope(ADMIN_USER) as s:
        new = standards.copy_to_year(s, ADMIN_USER, THIS, CITY)
        new_id, title = new.id, new.title
    assert title == f"{THIS} 年度工作室建设标准"
    assert criteria_of(new_id) == before
    assert rows("SELECT excellent_min, good_min, pass_min, copied_from_id FROM workshops_standard WHERE id = :i",
                i=new_id) == [(85, 75, 55, old)]
    # editing the copy leaves the year it came from as it was
    edited = editable(new_id)
    edited[0]["weight"] = 4
    edited.append({"part": "制度", "title": "安全制度", "weight": 6, "description": ""})
    with session_scope(ADMIN_USER) as s:
        standards.save_standard(s, ADMIN_USER, new_id, edited, thresholds(90, 80, 60))
    assert criteria_of(old) == before
    assert rows("SELECT excellent_min FROM workshops_standard WHERE id = :i", i=old) == [(85,)]
    assert [c[1:3] for c in criteria_of(new_id)][0] == ("领办人", 4) and criteria_of(new_id)[-1][1] == "安全制度"
    # every write is in the audit log, by whom
    assert [(a, act) for a, act, _ in audit("workshops_standard")] == [
        ("fixture", "create"), ("admin", "update"), ("admin", "create"), ("admin", "update")]
    assert "复制自" in audit("workshops_standard")[2][2]
    assert ("admin", "create") in [(a, act) for a, act, _ in audit("workshops_criterion")]


def test_copying_with_nothing_earlier_gives_the_default_checklist(studios_alone):
    with session_scope(ADMIN_USER) as s:
        new_id = standards.copy_to_year(s, ADMIN_USER, THIS).id
    assert [w for _, _, w, _ in criteria_of(new_id)] == WEIGHTS
    assert sum(WEIGHTS) == 100


def test_a_county_without_its_own_copies_the_citys_latest_then_its_own(studios_alone):
    with session_scope(ADMIN) as s:
        city = make_standard(s, THIS - 1)
        city.criteria[0].title = "市级领办人要求"
    with session_scope(STAFF_JD) as s:
        first = standards.copy_to_year(s, STAFF_JD, THIS - 1, "330182")
        assert first.title == f"{THIS - 1} 年度建德市工作室建设标准" and first.copied_from_id == city.id
    assert criteria_of(first.id)[0][1] == "市级领办人要求"
    with session_scope(STAFF_JD) as s:
        changed = editable(first.id)
        changed[0]["title"] = "建德领办人要求"
        standards.save_standard(s, STAFF_JD, first.id, changed, thresholds())
        second = standards.copy_to_year(s, STAFF_JD, THIS, "330182")
    assert second.copied_from_id == first.id and criteria_of(second.id)[0][1] == "建德领办人要求"


def test_a_year_that_exists_is_not_copied_again(studios_alone):
    with session_scope(ADMIN) as s:
        make_standard(s, THIS)
    with pytest.raises(standards.StandardError, match=f"{THIS} 年度全市建设标准已存在"), \
            session_scope(ADMIN_USER) as s:
        standards.copy_to_year(s, ADMIN_USER, THIS)
    assert rows("SELECT count(*) FROM workshops_standard") == [(1,)]


# --- saving: what is refused, and that nothing is half-written ---------------------------------

BAD_ROWS = (
    (3, "weight", 0, "第 3 行（依托单位支持）：分值须大于 0"),
    (2, "weight", -5, "第 2 行（团队成员）：分值须大于 0"),
    (4, "weight", None, "第 4 行（技术攻关）：请填写分值"),
    (4, "weight", "十", "第 4 行（技术攻关）：请填写分值"),
    (5, "part", "宣传", "第 5 行：部分须为组织架构、职责任务、场所设施、制度之一"),
    (6, "title", "  ", "第 6 行：请填写条目名称"),
    (7, "title", "长" * 101, "第 7 行（" + "长" * 20 + "…）：条目名称不能超过 100 个字"),
    (8, "description", "说" * 501, "第 8 行（设备资料）：说明不能超过 500 个字"),
    (9, "title", "领办人", "第 9 行（领办人）：与第 1 行的条目名称重复"),
)


def test_a_bad_row_is_named_and_nothing_is_saved(studios_alone):
    with session_scope(ADMIN) as s:
        sid = make_standard(s, THIS).id
    before = criteria_of(sid)
    for row, field, value, message in BAD_ROWS:
        checklist = editable(sid)
        checklist[0]["weight"] = 20  # a good change in the same save is not written either
        checklist[row - 1][field] = value
        with pytest.raises(standards.StandardError) as refused, session_scope(ADMIN_USER) as s:
            standards.save_standard(s, ADMIN_USER, sid, checklist, thresholds())
        assert str(refused.value).startswith(message)
        assert criteria_of(sid) == before
    with pytest.raises(standards.StandardError, match="至少需要一个条目"), session_scope(ADMIN_USER) as s:
        standards.save_standard(s, ADMIN_USER, sid, [], thresholds())


BAD_THRESHOLDS = (
    ((80, 80, 60), "分数线须满足 优秀（80）＞ 良好（80）＞ 合格（60）＞ 0"),
    ((90, 60, 70), "分数线须满足 优秀（90）＞ 良好（60）＞ 合格（70）＞ 0"),
    ((90, 80, 0), "分数线须满足 优秀（90）＞ 良好（80）＞ 合格（0）＞ 0"),
    ((101, 80, 60), "优秀分数线（101）不能高于各条目分值合计（100）"),
    ((None, 80, 60), "请填写优秀分数线（数字）"),
)


def test_thresholds_must_fall_in_order_within_the_full_marks(studios_alone):
    with session_scope(ADMIN) as s:
        sid = make_standard(s, THIS).id
    for marks, message in BAD_THRESHOLDS:
        with pytest.raises(standards.StandardError) as refused, session_scope(ADMIN_USER) as s:
            standards.save_standard(s, ADMIN_USER, sid, editable(sid), thresholds(*marks))
        assert str(refused.value) == message
    assert rows("SELECT excellent_min, good_min, pass_min FROM workshops_standard") == [(90, 80, 60)]


def test_the_full_marks_are_the_sum_of_the_weights(studios_alone):
    with session_scope(ADMIN) as s:
        sid = make_standard(s, THIS).id
    checklist = editable(sid)[:-1]  # 台账档案 (10) dropped: 90 points left
    with session_scope(ADMIN_USER) as s:
        standards.save_standard(s, ADMIN_USER, sid, checklist, thresholds(90, 80, 60))
    assert rows("SELECT sum(weight), count(*) FROM workshops_criterion") == [(90, 9)]
    checklist = editable(sid)[:-1]  # 管理制度 too: 80 points, 优秀 90 is out of reach
    with pytest.raises(standards.StandardError, match="不能高于各条目分值合计（80）"), \
            session_scope(ADMIN_USER) as s:
        standards.save_standard(s, ADMIN_USER, sid, checklist, thresholds(90, 80, 60))


# --- who may change which standard -------------------------------------------------------------

def test_staff_cannot_edit_the_city_standard_nor_another_countys(studios_alone):
    with session_scope(ADMIN) as s:
        city = make_standard(s, THIS).id
        chun_an = make_standard(s, THIS, county="330127").id
    for user, sid in ((STAFF_JD, city), (STAFF_JD, chun_an), (REVIEWER, city), (MANAGER, chun_an)):
        with pytest.raises(PermissionDenied), session_scope(user) as s:
            standards.save_standard(s, user, sid, editable(sid), thresholds(95, 80, 60))
    with pytest.raises(PermissionDenied, match="全市建设标准只能由管理员修改"), session_scope(STAFF_JD) as s:
        standards.copy_to_year(s, STAFF_JD, THIS + 1, CITY)
    with pytest.raises(PermissionDenied), session_scope(STAFF_JD) as s:
        standards.copy_to_year(s, STAFF_JD, THIS + 1, "330127")
    assert rows("SELECT DISTINCT excellent_min FROM workshops_standard") == [(90,)]
    assert rows("SELECT count(*) FROM workshops_standard") == [(2,)]
    # their own county's, and the admin any
    with session_scope(STAFF_CA) as s:
        standards.save_standard(s, STAFF_CA, chun_an, editable(chun_an), thresholds(95, 80, 60))
    with session_scope(ADMIN_USER) as s:
        standards.save_standard(s, ADMIN_USER, city, editable(city), thresholds(92, 80, 60))
    assert rows("SELECT county_code, excellent_min FROM workshops_standard ORDER BY county_code") == [
        ("", 92), ("330127", 95)]
    assert standards.may_edit(STAFF_JD, "330182") and not standards.may_edit(STAFF_JD, CITY)
    assert not standards.may_edit(REVIEWER, "330182") and standards.may_edit(ADMIN_USER, CITY)


# --- reviews --------------------------------------------------------------------------------------

GRADES = ((100, "优秀"), (90, "优秀"), (89.5, "良好"), (80, "良好"), (79.5, "合格"), (60, "合格"),
          (59.5, "不合格"), (0, "不合格"))


def test_the_grade_at_each_threshold(studios_alone):
    with session_scope(ADMIN) as s:
        sid = make_standard(s, THIS).id
        studios = [make_studio(s, name=f"新安江水电检修工作室{n}").id for n in range(len(GRADES))]
    for studio, (total, _) in zip(studios, GRADES, strict=True):
        with session_scope(STAFF_JD) as s:
            reviews.score_studio(s, STAFF_JD, studio, THIS, score_all(sid, 100 - total), "年度评审")
    assert rows("SELECT total, grade, full_marks, county_code, reviewer FROM workshops_review ORDER BY studio_id") \
        == [(total, grade, 100, "330182", "staff_jd") for total, grade in GRADES]


def test_preview_matches_what_is_saved(studios_alone):
    with session_scope(ADMIN) as s:
        standard = make_standard(s, THIS)
        scores = {c.id: c.weight - 1.5 for c in standard.criteria}  # 100 - 15 = 85
        assert reviews.preview(standard, scores) == (85.0, "良好")
        assert reviews.preview(standard, {}) == (0.0, "不合格")


def test_an_old_review_keeps_its_own_years_standard(studios_alone):
    with session_scope(ADMIN) as s:
        old = make_standard(s, THIS - 1).id
        studio = make_studio(s, name="严州古建修缮工作室").id
    with session_scope(REVIEWER) as s:  # 85: 良好 by 90 / 80 / 60
        reviews.score_studio(s, REVIEWER, studio, THIS - 1, score_all(old, 15), None)
    with session_scope(ADMIN_USER) as s:
        new = standards.copy_to_year(s, ADMIN_USER, THIS).id
    # the new year's standard changes, and so does the old one itself
    for sid in (new, old):
        checklist = editable(sid)
        checklist[0].update(title="领办人履职", weight=30)
        with session_scope(ADMIN_USER) as s:
            standards.save_standard(s, ADMIN_USER, sid, checklist, thresholds(110, 100, 90))
    assert rows("SELECT year, total, full_marks, grade, excellent_min, standard_title FROM workshops_review") == [
        (THIS - 1, 85, 100, "良好", 90, f"{THIS - 1} 年度工作室建设标准")]
    assert rows("SELECT title, weight, score FROM workshops_score ORDER BY id LIMIT 2") == [
        ("领办人", 10, 0), ("团队成员", 8, 3)]
    # this year's review is scored by this year's (new) standard
    with session_scope(REVIEWER) as s:
        reviews.score_studio(s, REVIEWER, studio, THIS, score_all(new, 15), None)
    assert rows("SELECT total, full_marks, grade FROM workshops_review WHERE year = :y", y=THIS) == [
        (105, 120, "良好")]


def test_a_county_standard_is_used_for_its_studios(studios_alone):
    with session_scope(ADMIN) as s:
        make_standard(s, THIS)
        own = make_standard(s, THIS, county="330127")
        own.pass_min = 90
        own.good_min = 95
        own.excellent_min = 99
        jd = make_studio(s, name="建德工作室").id
        ca = make_studio(s, name="淳安工作室", county="330127").id
    city_scores = score_all(rows("SELECT id FROM workshops_standard WHERE county_code = ''")[0][0], 15)
    own_scores = score_all(own.id, 15)
    with session_scope(ADMIN_USER) as s:
        reviews.score_studio(s, ADMIN_USER, jd, THIS, city_scores, None)
        reviews.score_studio(s, ADMIN_USER, ca, THIS, own_scores, None)
    assert rows("SELECT county_code, grade FROM workshops_review ORDER BY county_code") == [
        ("330127", "不合格"), ("330182", "良好")]


def test_scores_must_cover_every_criterion_within_its_weight_and_only_once_a_year(studios_alone):
    with session_scope(ADMIN) as s:
        sid = make_standard(s, THIS).id
        studio = make_studio(s, name="千岛湖鱼头烹饪技能大师工作室", county="330127").id
    scores = score_all(sid)
    first = min(scores)
    for bad, message in (({**scores, first: 10.5}, "“组织架构 · 领办人”的得分须在 0 到 10 之间"),
                         ({k: v for k, v in scores.items() if k != first}, "请为“组织架构 · 领办人”评分"),
                         ({**scores, first: -1}, "须在 0 到 10 之间"),
                         ({**scores, 99999: 1}, "建设标准已修改")):
        with pytest.raises(reviews.ReviewError, match=message), session_scope(STAFF_CA) as s:
            reviews.score_studio(s, STAFF_CA, studio, THIS, bad, None)
    assert rows("SELECT count(*) FROM workshops_review") == [(0,)]
    with session_scope(STAFF_CA) as s:
        reviews.score_studio(s, STAFF_CA, studio, THIS, scores, "很好")
    with pytest.raises(reviews.ReviewError, match=f"千岛湖鱼头烹饪技能大师工作室 {THIS} 年度已评审（等次：优秀）"), \
            session_scope(ADMIN_USER) as s:
        reviews.score_studio(s, ADMIN_USER, studio, THIS, score_all(sid, 50), None)
    assert rows("SELECT total, grade, note FROM workshops_review") == [(100, "优秀", "很好")]
    # the review's audit entry lists every score (the scores themselves are not audited row by row)
    [(actor, action, summary)] = audit("workshops_review")
    assert (actor, action) == ("staff_ca", "create") and "领办人 10/10" in summary and "台账档案 10/10" in summary


def test_no_standard_for_the_year_says_so(studios_alone):
    with session_scope(ADMIN) as s:
        make_standard(s, THIS - 1)
        studio = make_studio(s).id
    with pytest.raises(reviews.ReviewError, match=f"{THIS} 年度尚无建设标准"), session_scope(ADMIN_USER) as s:
        reviews.score_studio(s, ADMIN_USER, studio, THIS, {}, None)


def test_staff_of_another_county_cannot_score_and_managers_not_at_all(studios_alone):
    with session_scope(ADMIN) as s:
        sid = make_standard(s, THIS).id
        studio = make_studio(s, name="新安江水电检修工作室", county="330182").id
    with pytest.raises(StudioError, match=NOT_FOUND), session_scope(STAFF_CA) as s:
        reviews.score_studio(s, STAFF_CA, studio, THIS, score_all(sid), None)
    with pytest.raises(PermissionDenied), session_scope(MANAGER) as s:
        reviews.score_studio(s, MANAGER, studio, THIS, score_all(sid), None)
    assert rows("SELECT count(*) FROM workshops_review") == [(0,)]


# --- two 不合格 years in a row: proposal, and the admin confirms ----------------------------------

def _review(studio: int, year: int, total: float) -> None:
    with session_scope(ADMIN) as s:
        sid = s.scalar(text("SELECT id FROM workshops_standard WHERE year = :y"), {"y": year})
    with session_scope(ADMIN_USER) as s:
        reviews.score_studio(s, ADMIN_USER, studio, year, score_all(sid, 100 - total), None)


def test_two_failing_years_propose_removal_and_only_an_admin_confirms(studios_alone):
    with session_scope(ADMIN) as s:
        for year in (THIS - 2, THIS - 1, THIS):
            make_standard(s, year)
        failing = make_studio(s, name="两年不合格工作室").id
        once = make_studio(s, name="一年不合格工作室").id
        mended = make_studio(s, name="整改合格工作室").id
        elsewhere = make_studio(s, name="淳安不合格工作室", county="330127").id
    for studio, totals in ((failing, (70, 50, 40)), (once, (90, 50, None)), (mended, (50, 55, 65)),
                           (elsewhere, (None, 30, 20))):
        for year, total in zip((THIS - 2, THIS - 1, THIS), totals, strict=True):
            if total is not None:
                _review(studio, year, total)
    with read_session() as s:
        assert reviews.removal_proposals(s, ADMIN_USER) == [(elsewhere, "淳安不合格工作室", "330127"),
                                                            (failing, "两年不合格工作室", "330182")]
        assert reviews.removal_proposals(s, STAFF_JD) == [(failing, "两年不合格工作室", "330182")]
    for user in (STAFF_JD, REVIEWER):
        with pytest.raises(PermissionDenied), session_scope(user) as s:
            reviews.confirm_removal(s, user, failing, "连续两年不合格")
    with pytest.raises(reviews.ReviewError, match="请填写摘牌原因"), session_scope(ADMIN_USER) as s:
        reviews.confirm_removal(s, ADMIN_USER, failing, "  ")
    for studio in (once, mended):
        with pytest.raises(reviews.ReviewError, match="未被建议摘牌"), session_scope(ADMIN_USER) as s:
            reviews.confirm_removal(s, ADMIN_USER, studio, "试一试")
    assert rows("SELECT DISTINCT status FROM workshops_studio") == [("运行",)]
    with session_scope(ADMIN_USER) as s:
        reviews.confirm_removal(s, ADMIN_USER, failing, "连续两年评审不合格")
    assert rows("SELECT status, status_since, status_reason FROM workshops_studio WHERE id = :i", i=failing) == [
        ("摘牌", clock.today().isoformat(), "连续两年评审不合格")]
    assert rows("SELECT studio_id, status, \"on\", reason, by FROM workshops_status_change") == [
        (failing, "摘牌", clock.today().isoformat(), "连续两年评审不合格", "admin")]
    assert ("admin", "update") in [(a, act) for a, act, _ in audit("workshops_studio")]
    with read_session() as s:
        assert [p.name for p in reviews.removal_proposals(s, ADMIN_USER)] == ["淳安不合格工作室"]
    with pytest.raises(reviews.ReviewError, match="已摘牌"), session_scope(ADMIN_USER) as s:
        reviews.confirm_removal(s, ADMIN_USER, failing, "再次")


def test_the_whole_round_on_postgresql(pg_roster):
    """Copy, edit, score, a standard changed afterwards, two failing years and 摘牌, on PostgreSQL."""
    with session_scope(ADMIN) as s:
        studio = make_studio(s, name="新安江水电检修工作室").id
    with session_scope(ADMIN_USER) as s:
        old = standards.copy_to_year(s, ADMIN_USER, THIS - 1).id
    with session_scope(STAFF_JD) as s:
        reviews.score_studio(s, STAFF_JD, studio, THIS - 1, score_all(old, 40.5), None)  # 59.5: 不合格
    with session_scope(ADMIN_USER) as s:
        new = standards.copy_to_year(s, ADMIN_USER, THIS).id
    checklist = editable(new)
    checklist[0]["weight"] = 20
    with session_scope(ADMIN_USER) as s:
        standards.save_standard(s, ADMIN_USER, new, checklist, thresholds(100, 90, 70))
    with session_scope(STAFF_JD) as s:
        reviews.score_studio(s, STAFF_JD, studio, THIS, score_all(new, 41), None)  # 110 - 41 = 69: 不合格
    with pytest.raises(StudioError, match=NOT_FOUND), session_scope(STAFF_CA) as s:
        reviews.score_studio(s, STAFF_CA, studio, THIS, score_all(new), None)
    assert rows("SELECT year, total, full_marks, grade FROM workshops_review ORDER BY year") == [
        (THIS - 1, 59.5, 100, "不合格"), (THIS, 69, 110, "不合格")]
    with read_session() as s:
        assert reviews.removal_proposals(s, STAFF_JD) == [(studio, "新安江水电检修工作室", "330182")]
    with pytest.raises(PermissionDenied), session_scope(STAFF_JD) as s:
        reviews.confirm_removal(s, STAFF_JD, studio, "连续两年不合格")
    with session_scope(ADMIN_USER) as s:
        reviews.confirm_removal(s, ADMIN_USER, studio, "连续两年不合格")
    assert [(status, str(on)) for status, on in rows("SELECT status, status_since FROM workshops_studio")] == [
        ("摘牌", clock.today().isoformat())]
    assert rows("SELECT count(*) FROM workshops_status_change") == [(1,)]
