"""Finding people: every filter, the sort and the page are done in SQL.

Searching by ID number is where a mask could be searched around (330182********123X shows the
area and the last four; fragments of the middle would give the rest). So the filter knows who
searches (``viewer``): without ``registry.view_sensitive`` an ID fragment matches only as the last
4 characters or the whole number, in SQL, whichever page or plugin searches. And every ID search
is counted and audited by :func:`record_id_search` (``search_id``), which a page calls before it
searches: at most ``ID_SEARCH_LIMIT`` in ``ID_SEARCH_WINDOW`` per user who sees numbers masked.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Select, case, exists, false, func, select
from sqlalchemy.orm import Session

from core.access.auth import CurrentUser
from core.access.permissions import PermissionDenied, require
from core.data.audit import record
from core.data.db import session_scope, utcnow
from core.data.models import AuditEntry
from core.host.loader import get_host
from plugins.registry.models import Honour, Person, PersonGram
from plugins.registry.vocab import DECEASED, LEVELS

PAGE_SIZE = 50
ID_FRAGMENT = re.compile(r"^[0-9]{3,17}[0-9Xx]$")  # 4 to 18 characters: 123X is the end of one
ID_LENGTH = 18
# the shortest and longest end of a number a masking role may search by: the last 4, which the
# mask shows anyway; a 5th or 6th character would tell the birth day (issue #9 asked for 4–6)
MASKED_SUFFIX = (4, 4)
ID_SEARCH_LIMIT = 20
ID_SEARCH_WINDOW = dt.timedelta(minutes=10)
SEARCH_ID = "search_id"  # the audit action of an ID search
MASKED_ID_HINT = "只能按身份证号码的后 4 位或完整号码查找"
ID_SEARCH_TOO_OFTEN = "身份证号码查找过于频繁，请 10 分钟后再试"


def level_rank():
    """An honour's level as its rank, for "the highest honour": 0 for 全国 … 3 for 区县级, 4 for
    a level outside LEVELS (a county plugin's own)."""
    return case({level: i for i, level in enumerate(LEVELS)}, value=Honour.level, else_=len(LEVELS))


def sees_full_numbers(user: CurrentUser | None) -> bool:
    """Whether ``user`` sees ID numbers and phones in full (``registry.view_sensitive``)."""
    return user is not None and get_host().allowed(user, "registry.view_sensitive")


def masked_fragment(fragment: str) -> str:
    """A searched fragment as the audit log keeps it: all but its last four characters hidden."""
    return "*" * max(0, len(fragment) - 4) + fragment[-4:]


@dataclass(frozen=True)
class PersonFilter:
    """``text`` matches a name, its pinyin initials (zjg) or part of an ID number. Deceased
    people are left out unless ``status`` is 去世 or ``include_deceased`` is set.

    ``viewer`` is who searches. Unless they hold ``registry.view_sensitive``, an ID fragment
    matches only as the last 4 characters or the whole 18 (anything else finds nobody:
    ``refusal`` says why); so does a filter without a viewer."""

    text: str = ""
    counties: tuple[str, ...] | None = None
    level: str | None = None
    honour: str | None = None
    status: str | None = None
    year: int | None = None
    include_deceased: bool = False
    viewer: CurrentUser | None = None

    @property
    def id_fragment(self) -> str | None:
        """The text as the part of an ID number it is searched as (upper case), or None."""
        text = self.text.strip()
        return text.upper() if ID_FRAGMENT.match(text) else None

    @property
    def refusal(self) -> str | None:
        """MASKED_ID_HINT when the text is an ID fragment the viewer may not search by."""
        fragment = self.id_fragment
        if fragment is None or _suffix_or_whole(fragment) or sees_full_numbers(self.viewer):
            return None
        return MASKED_ID_HINT

    def apply(self, stmt: Select) -> Select:
        text = self.text.strip()
        if text:
            if (fragment := self.id_fragment) is not None:
                if len(fragment) == ID_LENGTH:
                    stmt = stmt.where(Person.id_number == fragment)
                elif sees_full_numbers(self.viewer):
                    stmt = stmt.where(_has_piece("#" + fragment[-4:]),
                                      Person.id_number.contains(fragment, autoescape=True))
                elif _suffix_or_whole(fragment):
                    stmt = stmt.where(_has_piece("#" + fragment[-4:]),
                                      Person.id_number.endswith(fragment, autoescape=True))
                else:  # the start or the middle of a number: what the mask hides
                    stmt = stmt.where(false())
            elif text.isascii() and text.isalpha():
                # a range, not LIKE 'wjg%': only a range uses the index (on SQLite, and on
                # PostgreSQL under a non-C collation); letters alone need no escaping
                low = text.lower()
                high = low[:-1] + chr(ord(low[-1]) + 1)
                stmt = stmt.where(Person.name_initials >= low, Person.name_initials < high)
            elif len(text) <= 3:  # the piece is the fragment: nothing else to check
                stmt = stmt.where(_has_piece(text.lower()))
            else:
                stmt = stmt.where(_has_piece(text[:3].lower()),
                                  Person.name.contains(text, autoescape=True))
        if self.counties is not None:
            stmt = stmt.where(Person.county_code.in_(self.counties))
        if self.status:
            stmt = stmt.where(Person.status == self.status)
        elif not self.include_deceased:
            stmt = stmt.where(Person.status != DECEASED)
        if self.level or self.honour or self.year:
            # its own honours table, also when the outer query joins honours (the export)
            held = select(Honour.id).where(Honour.person_id == Person.id).correlate_except(Honour)
            if self.level:
                held = held.where(Honour.level == self.level)
            if self.honour:
                held = held.where(Honour.name == self.honour)
            if self.year:
                held = held.where(Honour.year_awarded == self.year)
            stmt = stmt.where(exists(held))
        return stmt


def _has_piece(gram: str):
    """People with ``gram`` among their pieces (models.PersonGram): found on its primary key
    instead of a LIKE '%…%' that reads every name."""
    return Person.id.in_(select(PersonGram.person_id).where(PersonGram.gram == gram))


def _suffix_or_whole(fragment: str) -> bool:
    return len(fragment) == ID_LENGTH or MASKED_SUFFIX[0] <= len(fragment) <= MASKED_SUFFIX[1]


def recent_id_searches(session: Session, username: str) -> int:
    """How many ID searches ``username`` made in the last ID_SEARCH_WINDOW (from the audit log,
    on its (actor, at) index: the count holds across reruns, browser sessions and servers)."""
    return int(session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.actor == username, AuditEntry.at >= utcnow() - ID_SEARCH_WINDOW,
        AuditEntry.action == SEARCH_ID)))


def record_id_search(user: CurrentUser, flt: PersonFilter, seen: set | None = None) -> str | None:
    """Count and audit a search by ID number before it runs (in its own transaction); return
    the Chinese message refusing it (too many searches, or a fragment the user may not search
    by: show it and search nothing), None to go on.

    Text that is no ID fragment records nothing. A user who sees numbers masked may make
    ID_SEARCH_LIMIT ID searches in ID_SEARCH_WINDOW, refused fragments included; each is an audit
    entry ``search_id`` with the fragment masked but for its last four characters (it may be a
    whole number). ``seen`` (a page keeps it per browser session) holds the searches already
    counted, so that reruns of one search (paging, opening a record) count once.
    """
    fragment = flt.id_fragment
    if fragment is None:
        return None
    key = (user.username, fragment)
    refusal = PersonFilter(text=fragment, viewer=user).refusal
    if seen is not None and key in seen:
        return refusal
    with session_scope(user.actor) as session:
        if not sees_full_numbers(user) and recent_id_searches(session, user.username) >= ID_SEARCH_LIMIT:
            return ID_SEARCH_TOO_OFTEN
        shown = masked_fragment(fragment)
        record(session, SEARCH_ID, table="registry_person",
               after={"fragment": shown, "length": len(fragment), "refused": refusal is not None},
               summary=f"按身份证号码查找 {shown}" + ("（不允许的片段，未查找）" if refusal else ""))
    if seen is not None:
        seen.add(key)
    return refusal


def count_people(session: Session, flt: PersonFilter) -> int:
    return int(session.scalar(flt.apply(select(func.count()).select_from(Person))))


def find_people(session: Session, flt: PersonFilter, page: int = 1,
                page_size: int = PAGE_SIZE) -> list[Person]:
    """One page of people, sorted by name then id."""
    stmt = flt.apply(select(Person)).order_by(Person.name, Person.id)
    return list(session.scalars(stmt.offset((page - 1) * page_size).limit(page_size)))


def honours_of(session: Session, person_ids: list[int]) -> dict[int, list[Honour]]:
    """The honours of the people on one page, in one query."""
    found: dict[int, list[Honour]] = {pid: [] for pid in person_ids}
    for honour in session.scalars(select(Honour).where(Honour.person_id.in_(person_ids))
                                  .order_by(Honour.year_awarded)):
        found[honour.person_id].append(honour)
    return found


def sensitive_details(session: Session, user, person_id: int) -> tuple[str, str | None]:
    """A person's full ID number and phone, audited (read_sensitive) at every call.

    Needs ``registry.view_sensitive`` and the person's county: otherwise PermissionDenied
    (无权执行此操作, or 找不到该人员 outside the user's counties, naming no one)."""
    require(user, "registry.view_sensitive")
    person = session.get(Person, person_id)
    scope = user.visible_counties()
    if person is None or scope is not None and person.county_code not in scope:
        raise PermissionDenied("找不到该人员")
    record(session, "read_sensitive", table="registry_person", row_id=person.id,
           county=person.county_code, summary=f"查看 {person.name} 的完整身份证号码和电话")
    return person.id_number, person.phone


NOT_VISIBLE = "找不到该人员，或该人员不在您的区县范围内"


def visible_person(session: Session, user, person_id: int | str | None) -> Person:
    """The person a link (``?person=<id>``) names, if ``user`` may view them: needs
    ``registry.view`` and the person's county within the user's. Otherwise PermissionDenied
    with NOT_VISIBLE, the same for an unknown id, a malformed one and another county's person,
    so the refusal tells nothing about anyone."""
    require(user, "registry.view")
    try:
        pid = int(str(person_id).strip())
    except ValueError:
        raise PermissionDenied(NOT_VISIBLE) from None
    person = session.get(Person, pid) if 0 < pid < 2**63 else None
    scope = user.visible_counties()
    if person is None or scope is not None and person.county_code not in scope:
        raise PermissionDenied(NOT_VISIBLE)
    return person
