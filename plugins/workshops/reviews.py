"""Yearly reviews (年度评审) of studios against their year's construction standard, and 摘牌
after two failing years in a row. No Streamlit here.

A review copies what it was scored against: the standard's title and thresholds into the
Review, each criterion's part, title and weight into its Score. A past review therefore keeps
its total and grade whatever is edited in the standard later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.access.permissions import in_counties, require
from core.settings import clock
from plugins.workshops.models import Review, Score, StatusChange, Studio
from plugins.workshops.queries import StudioError, counties_of, removal_condition, studio_for
from plugins.workshops.standards import finite_number, grade_for, standard_for
from plugins.workshops.vocab import ACTIVE, DEFAULT_THRESHOLDS, EXCELLENT, GOOD, PASS, REMOVED

MAX_NOTE = 1000
MAX_REASON = 500


class ReviewError(StudioError):
    """A review or 摘牌 refused as asked; the message is Chinese and meant for the user."""


class Proposal(NamedTuple):
    """A studio proposed for 摘牌 (two 不合格 years in a row)."""

    studio_id: int
    name: str
    county_code: str


def _criteria_and_thresholds(criteria) -> tuple[list, tuple[float, float, float]]:
    """``criteria`` is a standard (its criteria and thresholds) or the criteria alone (the
    default thresholds)."""
    if hasattr(criteria, "criteria"):
        return list(criteria.criteria), (criteria.excellent_min, criteria.good_min, criteria.pass_min)
    return list(criteria), (DEFAULT_THRESHOLDS[EXCELLENT], DEFAULT_THRESHOLDS[GOOD], DEFAULT_THRESHOLDS[PASS])


def _get(item, key: str):
    return item.get(key) if isinstance(item, Mapping) else getattr(item, key)


def preview(criteria, scores: Mapping[int, float | None]) -> tuple[float, str]:
    """(total, grade) of ``scores`` (criterion id → score; a missing or empty one counts 0) as
    the review page shows them while the reviewer scores. ``criteria``: the standard, whose
    thresholds grade the total, or its criteria (objects or dicts with ``id``)."""
    items, thresholds = _criteria_and_thresholds(criteria)
    total = round(sum(finite_number(scores.get(_get(c, "id"))) or 0.0 for c in items), 2)
    return total, grade_for(total, *thresholds)


def full_marks(criteria: Iterable) -> float:
    return round(sum(float(_get(c, "weight")) for c in criteria), 2)


def score_studio(session: Session, user, studio_id: int, year: int, scores: Mapping[int, float],
                 note: str | None) -> Review:
    """Review studio ``studio_id`` for ``year``: ``scores`` gives every criterion of the year's
    standard (the studio's county's own, else the city's) a score in [0, weight].

    Needs workshops.review and the studio in the user's counties (else PermissionDenied, or
    StudioError saying it was not found). One review per studio and year."""
    studio = studio_for(session, user, studio_id, "workshops.review")
    if not isinstance(year, int) or year > clock.this_year():
        raise ReviewError(f"不能评审 {clock.this_year()} 年以后的年度")
    if studio.status != ACTIVE:
        raise ReviewError(f"{studio.name}状态为{studio.status}，不参加年度评审")
    if studio.named_year > year:
        raise ReviewError(f"{studio.name}于 {studio.named_year} 年命名，不参加 {year} 年度评审")
    done = session.scalar(select(Review.grade).where(Review.studio_id == studio.id, Review.year == year))
    if done is not None:
        raise ReviewError(f"{studio.name} {year} 年度已评审（等次：{done}），不能重复评审")
    standard = standard_for(session, year, studio.county_code)
    if standard is None:
        raise ReviewError(f"{year} 年度尚无建设标准，请先制定建设标准")
    criteria = list(standard.criteria)
    if set(scores) - {c.id for c in criteria}:
        raise ReviewError("建设标准已修改，请刷新页面后重新评分")
    review = Review(studio_id=studio.id, year=year, county_code=studio.county_code, standard_id=standard.id,
                    standard_title=standard.title, excellent_min=standard.excellent_min,
                    good_min=standard.good_min, pass_min=standard.pass_min,
                    full_marks=full_marks(criteria), reviewer=user.username)
    for c in criteria:
        value = finite_number(scores.get(c.id))
        if value is None:
            raise ReviewError(f"请为“{c.part} · {c.title}”评分")
        if not 0 <= value <= c.weight:
            raise ReviewError(f"“{c.part} · {c.title}”的得分须在 0 到 {c.weight:g} 之间（现为 {value:g}）")
        review.scores.append(Score(criterion_id=c.id, part=c.part, title=c.title, weight=c.weight, score=value))
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ReviewError(f"评审意见不能超过 {MAX_NOTE} 个字")
    review.note = note or None
    review.total = round(sum(s.score for s in review.scores), 2)
    review.grade = grade_for(review.total, review.excellent_min, review.good_min, review.pass_min)
    # the scores are not audited row by row (Score.__audit__): the review's entry lists them
    review._audit_summary = (f"评审 {studio.name} {year} 年度：总分 {review.total:g} / {review.full_marks:g}，"
                             f"等次 {review.grade}；" + "；".join(f"{s.title} {s.score:g}/{s.weight:g}"
                                                                for s in review.scores))
    try:
        with session.begin_nested():  # (it flushes what is pending first: add the review inside)
            session.add(review)
            session.flush()
    except IntegrityError as exc:  # reviewed at the same moment by someone else
        raise ReviewError(f"{studio.name} {year} 年度已评审，不能重复评审") from exc
    return review


def removal_proposals(session: Session, user) -> list[Proposal]:
    """Studios proposed for 摘牌 in ``user``'s counties (all of them for the whole city), by
    county and name."""
    require(user, "workshops.view")
    rows = session.execute(select(Studio.id, Studio.name, Studio.county_code)
                           .where(removal_condition(), in_counties(Studio.county_code, counties_of(user)))
                           .order_by(Studio.county_code, Studio.name))
    return [Proposal(*row) for row in rows]


def confirm_removal(session: Session, user, studio_id: int, reason: str) -> None:
    """An administrator confirms the proposed 摘牌 of ``studio_id``: its status becomes 摘牌 from
    today, with ``reason``, and the change is kept as a StatusChange. A studio that is not
    proposed (two 不合格 years in a row) is refused."""
    studio = studio_for(session, user, studio_id, "workshops.remove")
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError("请填写摘牌原因")
    if len(reason) > MAX_REASON:
        raise ReviewError(f"摘牌原因不能超过 {MAX_REASON} 个字")
    if studio.status == REMOVED:
        raise ReviewError(f"{studio.name}已摘牌")
    if session.scalar(select(Studio.id).where(Studio.id == studio.id, removal_condition())) is None:
        raise ReviewError(f"{studio.name}未被建议摘牌（须连续两个年度评审不合格）")
    today = clock.today()
    studio.status, studio.status_since, studio.status_reason = REMOVED, today, reason
    studio._audit_summary = f"确认摘牌：{studio.name}（{reason}）"
    session.add(StatusChange(studio_id=studio.id, status=REMOVED, on=today, reason=reason, by=user.username))
    session.flush()
