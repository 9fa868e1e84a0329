"""What every studio page and service needs: the user's scope, a studio within it, and which
studios are due for review. No Streamlit here."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import Session

from core.access.permissions import (
    FORBIDDEN_ACTION,
    PermissionDenied,
    counties_of,
    in_counties,
    require,
)
from plugins.workshops.models import Review, Studio
from plugins.workshops.vocab import ACTIVE

NOT_FOUND = "找不到该工作室，或您无权查看"


class StudioError(ValueError):
    """A refusal to show the user as is (Chinese): a value out of range, a duplicate, …"""


def check_county(user, county_code: str | None) -> None:
    """PermissionDenied unless ``county_code`` is within ``user``'s counties."""
    counties = counties_of(user)
    if counties is not None and county_code not in counties:
        raise PermissionDenied(FORBIDDEN_ACTION)


def studio_for(session: Session, user, studio_id: int, permission: str = "workshops.view") -> Studio:
    """The studio ``studio_id`` if ``user`` holds ``permission`` and it is in their counties.

    Raises PermissionDenied without the permission, StudioError(NOT_FOUND) for a studio that
    does not exist or lies outside the user's counties (saying nothing about which)."""
    require(user, permission)
    studio = session.get(Studio, studio_id)
    counties = counties_of(user)
    if studio is None or counties is not None and studio.county_code not in counties:
        raise StudioError(NOT_FOUND)
    return studio


def due_condition(year: int) -> ColumnElement[bool]:
    """Studios due for review in ``year``: running (运行), named by that year, not yet reviewed."""
    reviewed = exists().where(and_(Review.studio_id == Studio.id, Review.year == year))
    return and_(Studio.status == ACTIVE, Studio.named_year <= year, ~reviewed)


def count_due(session: Session, year: int, counties: tuple[str, ...] | None) -> int:
    from sqlalchemy import func

    return session.scalar(select(func.count()).select_from(Studio)
                          .where(due_condition(year), in_counties(Studio.county_code, counties))) or 0


def removal_condition() -> ColumnElement[bool]:
    """Studios proposed for 摘牌: not removed yet, their latest review 不合格 and the review of
    the year before it 不合格 too (two failing years in a row). An admin confirms it."""
    from sqlalchemy.orm import aliased

    from plugins.workshops.vocab import FAIL, REMOVED

    latest, before, later = aliased(Review), aliased(Review), aliased(Review)
    # correlated on ``latest`` (not Studio): each inner EXISTS would otherwise bring its own
    # uncorrelated studio table and match any studio's reviews
    newer = exists().where(and_(later.studio_id == latest.studio_id, later.year > latest.year))
    failed_before = exists().where(and_(before.studio_id == latest.studio_id, before.year == latest.year - 1,
                                        before.grade == FAIL))
    failing_latest = exists().where(and_(latest.studio_id == Studio.id, latest.grade == FAIL,
                                         ~newer, failed_before))
    return and_(Studio.status != REMOVED, failing_latest)
