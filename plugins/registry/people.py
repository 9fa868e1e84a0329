"""The roster's answers about people to other plugins (``jiangxin_people_search`` and
``jiangxin_people_get``): a ``PersonRef`` with the masked ID number, the status and the highest
honour, within the asker's counties.

The search is the 人员名册's own filter (``queries.PersonFilter``) with its ID-number rules:
without ``registry.view_sensitive`` an ID fragment matches only as the last 4 characters or the
whole number, and every ID search is counted and audited by ``queries.record_id_search``. So a
person picker in another plugin is no way around the mask or the rate limit. One statement per
search, bounded by its limit; the highest honour is a correlated subquery on those rows alone.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from core.access.auth import CurrentUser
from core.host.loader import get_host
from core.host.people import PeoplePage, PeopleQuery, PersonRef, refuse_search
from plugins.registry.models import Honour, Person
from plugins.registry.queries import PersonFilter, level_rank, record_id_search
from plugins.registry.vocab import mask_id

NO_ROSTER = "您无权查看名册中的人员"


@cache  # the same subqueries for every search: built once per process
def _highest_honour(column: str = "name"):
    """The person's highest honour's ``column`` (its name, or its level): by level (LEVELS
    order), then the latest year, then name."""
    label = "honour" if column == "name" else f"honour_{column}"
    return (select(getattr(Honour, column)).where(Honour.person_id == Person.id)
            .order_by(level_rank(), func.coalesce(Honour.year_awarded, 0).desc(), Honour.name)
            .limit(1).correlate(Person).scalar_subquery().label(label))


def _refs_of(stmt: Select) -> Select:
    """``stmt`` (selecting Person ids) as the rows a PersonRef is made of."""
    chosen = stmt.subquery()
    return (select(Person.id, Person.name, Person.county_code, Person.status, Person.id_number,
                   Person.employer, _highest_honour(), _highest_honour("level"))
            .join(chosen, chosen.c.id == Person.id))


def _ref(row) -> PersonRef:
    return PersonRef(id=row.id, name=row.name, county_code=row.county_code, status=row.status,
                     id_number_masked=mask_id(row.id_number), honour=row.honour,
                     employer=row.employer or "", honour_level=row.honour_level)


def search_filter(user: CurrentUser, text: str) -> PersonFilter:
    """The 人员名册's filter for ``text`` as ``user`` searches it: their counties, the deceased
    included (the picker marks them), ``user`` as the viewer whose ID-number rules apply."""
    return PersonFilter(text=text, counties=user.visible_counties(), include_deceased=True,
                        viewer=user)


def search_statement(user: CurrentUser, text: str, limit: int) -> Select:
    """The one statement a search runs: the first ``limit`` matches by name, with their
    highest honours (bench/people_search.py times it bare)."""
    ids = search_filter(user, text).apply(select(Person.id)).order_by(Person.name, Person.id)
    return _refs_of(ids.limit(limit)).order_by(Person.name, Person.id)


def search(session: Session, user: CurrentUser, text: str, limit: int) -> list[PersonRef]:
    """People matching ``text`` (part of a name, pinyin initials, part of an ID number) within
    ``user``'s counties, at most ``limit``, sorted by name.

    Needs ``registry.view``. An ID fragment goes through ``record_id_search`` first (counted,
    audited, refused as on 人员名册); a refusal finds nobody and is passed to the picker with
    ``refuse_search``."""
    text = text.strip()
    if not text or limit < 1 or user is None:
        return []
    if not get_host().allowed(user, "registry.view"):
        refuse_search(NO_ROSTER)
        return []
    refused = record_id_search(user, search_filter(user, text))
    if refused:
        refuse_search(refused)
        return []
    # Core rows, no ORM objects: a PersonRef is all that leaves the roster
    return [_ref(row) for row in session.connection().execute(search_statement(user, text, limit))]


def get(session: Session, user: CurrentUser | None, ids: list[int]) -> list[PersonRef]:
    """The people of ``ids`` within ``user``'s counties (``user`` None: every county; a user
    without ``registry.view``: nobody). Unknown ids are left out."""
    if not ids or user is not None and not get_host().allowed(user, "registry.view"):
        return []
    stmt = select(Person.id).where(Person.id.in_(list(ids)))
    if user is not None and (counties := user.visible_counties()) is not None:
        stmt = stmt.where(Person.county_code.in_(counties))
    return [_ref(row) for row in session.connection().execute(_refs_of(stmt))]


def list_statement(user: CurrentUser | None, query: PeopleQuery) -> Select:
    """The ids of the people ``query`` asks for within ``user``'s counties (the 人员名册's
    filter, so ID fragments follow its rules), ``query.excluding`` left out in SQL."""
    counties = None if user is None else user.visible_counties()
    if query.counties is not None:
        counties = tuple(c for c in query.counties if counties is None or c in counties)
    wanted = PersonFilter(text=query.text, counties=counties, level=query.honour_level,
                          include_deceased=query.include_deceased, viewer=user)
    stmt = wanted.apply(select(Person.id))
    if query.excluding is not None:
        stmt = stmt.where(Person.id.not_in(query.excluding))
    return stmt


def list_page(session: Session, user: CurrentUser | None, query: PeopleQuery, offset: int,
              limit: int) -> PeoplePage | None:
    """One page of ``list_statement`` by county then name, and the total. An ID fragment the
    user may not search by finds nobody (as on 人员名册); a user without ``registry.view``
    gets an empty page; ``user`` None is every county (the command line, demo data, reports). An ID search is counted and audited like the picker's."""
    if user is not None and not get_host().allowed(user, "registry.view"):
        return PeoplePage([], 0)
    if query.text and user is not None and record_id_search(user, PersonFilter(text=query.text, viewer=user)):
        return PeoplePage([], 0)  # counted and audited as on 人员名册; refused
    ids = list_statement(user, query)
    conn = session.connection()
    total = conn.execute(select(func.count()).select_from(ids.subquery())).scalar_one()
    if not total or limit < 1:
        return PeoplePage([], total)
    chosen = ids.order_by(Person.county_code, Person.name, Person.id).offset(offset).limit(limit)
    rows = conn.execute(_refs_of(chosen).order_by(Person.county_code, Person.name, Person.id))
    return PeoplePage([_ref(row) for row in rows], total)
