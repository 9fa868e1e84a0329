"""Finding people: every filter, the sort and the page are done in SQL."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from plugins.registry.models import Honour, Person
from plugins.registry.vocab import DECEASED

PAGE_SIZE = 50
ID_FRAGMENT = re.compile(r"^[0-9]{4,17}[0-9Xx]?$")


@dataclass(frozen=True)
class PersonFilter:
    """``text`` matches a name, its pinyin initials (zjg) or part of an ID number. Deceased
    people are left out unless ``status`` is 去世 or ``include_deceased`` is set."""

    text: str = ""
    counties: tuple[str, ...] | None = None
    level: str | None = None
    honour: str | None = None
    status: str | None = None
    year: int | None = None
    include_deceased: bool = False

    def apply(self, stmt: Select) -> Select:
        text = self.text.strip()
        if text:
            if ID_FRAGMENT.match(text):
                stmt = stmt.where(Person.id_number.contains(text.upper(), autoescape=True))
            elif text.isascii() and text.isalpha():
                stmt = stmt.where(Person.name_initials.startswith(text.lower(), autoescape=True))
            else:
                stmt = stmt.where(Person.name.contains(text, autoescape=True))
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
