"""The studios' to-dos for the 工作台, within the user's counties, each group one SQL query.

- 需更换领办人 (``workshops.edit``): studios not removed whose leader died or moved; urgent
  (SOON). Links to 工作室一览 ``?flag=leader``.
- 待评审的工作室 (``workshops.review``): the studios due for this year's review
  (``queries.count_due``); urgent from 1 December, when the year is nearly out. Links to 年度评审.
- 建议摘牌的工作室 (``workshops.remove``): studios that failed two years in a row
  (``queries.removal_condition``), for an admin to confirm. Links to 年度评审, whose 建议摘牌
  section confirms them.

A group at 0 is no to-do (core leaves it out).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from core.access.permissions import in_counties
from core.host.loader import get_host
from core.host.todos import NORMAL, SOON, Todo
from core.settings import clock
from plugins.workshops.models import Studio
from plugins.workshops.queries import count_due, counties_of, removal_condition
from plugins.workshops.vocab import REMOVED

LIST, REVIEW = "workshops-list", "workshops-review"
HURRY_FROM = (12, 1)  # month, day: from then on this year's reviews are urgent


def _count(session: Session, where) -> int:
    return session.scalar(select(func.count()).select_from(Studio).where(where)) or 0


def _leaders(session: Session, counties) -> list[Todo]:
    n = _count(session, and_(Studio.needs_new_leader.is_(True), Studio.status != REMOVED,
                             in_counties(Studio.county_code, counties)))
    return [Todo(key="workshops-leaders", title="需更换领办人的工作室", count=n, link=LIST, urgency=SOON,
                 link_params={"flag": "leader"}, unit="个",
                 help="领办人已去世或调离，请为工作室确定新的领办人")] if n else []


def _reviews_due(session: Session, counties) -> list[Todo]:
    today = clock.today()
    year = today.year
    n = count_due(session, year, counties)
    hurry = today >= dt.date(year, *HURRY_FROM)
    return [Todo(key="workshops-reviews-due", title=f"{year} 年度待评审的工作室", count=n, link=REVIEW,
                 urgency=SOON if hurry else NORMAL, unit="个",
                 help="年底前完成评审" if hurry else "按建设标准逐项评分")] if n else []


def _removals(session: Session, counties) -> list[Todo]:
    n = _count(session, and_(removal_condition(), in_counties(Studio.county_code, counties)))
    # to 年度评审, whose 建议摘牌 section lists them with the confirmation
    return [Todo(key="workshops-removal", title="连续两年评审不合格、建议摘牌的工作室", count=n, link=REVIEW,
                 urgency=NORMAL, unit="个", help="核实情况后在“建议摘牌”中确认摘牌")] if n else []


def todos(session: Session, user) -> list[Todo]:
    """``user``'s studio to-dos, by the permissions they hold, within their counties."""
    host = get_host()
    counties = counties_of(user)
    found = []
    if host.allowed(user, "workshops.edit"):
        found += _leaders(session, counties)
    if host.allowed(user, "workshops.review"):
        found += _reviews_due(session, counties)
    if host.allowed(user, "workshops.remove"):
        found += _removals(session, counties)
    return found
