"""成果统计 in SQL: output summed by county and by year, studios ranked by a measure, and the
honoured people who came out of studios. Every figure is one GROUP BY (or one paged SELECT)
within the reader's counties (None: the whole city); each ``*_statement`` is the bare query the
function runs, for the benchmark. No Streamlit here."""

from __future__ import annotations

from functools import lru_cache, wraps

from sqlalchemy import ColumnElement, Select, case, func, select

from core.access.permissions import in_counties
from plugins.workshops.models import Member, Output, Studio
from plugins.workshops.vocab import HONOUR_LEVELS, OUTPUT_FIELDS, OUTPUT_LABELS

FIELD_KEYS = tuple(key for key, _, _ in OUTPUT_FIELDS)
PATENTS = "patents"
# what a ranking or the chart over the years can count: the three patents summed, or one field
MEASURES = {PATENTS: "专利（三类合计）", **OUTPUT_LABELS}
UNITS = {PATENTS: "件", **{key: unit for key, _, unit in OUTPUT_FIELDS}}
PAGE_SIZE = 50


def _scope(counties) -> tuple[str, ...] | None:
    return None if counties is None else tuple(counties)


# The statements are built once per set of arguments and kept (lru_cache): a statement object
# remembers its SQL cache key, so running a kept one skips building it and computing that key,
# which on a small county's figures costs more than the query itself.
def _kept(build):
    cached = lru_cache(maxsize=1024)(build)

    @wraps(build)
    def statement(counties, *args, **kwargs) -> Select:
        return cached(_scope(counties), *args, **kwargs)

    return statement


def measure_expression(measure: str) -> ColumnElement:
    """The SQL expression of ``measure`` (a key of MEASURES) on one output row."""
    if measure == PATENTS:
        return Output.patents_invention + Output.patents_utility + Output.patents_design
    if measure not in OUTPUT_LABELS:
        raise ValueError(f"unknown measure {measure!r}")
    return getattr(Output, measure)


def _sums() -> list:
    return [func.coalesce(func.sum(getattr(Output, key)), 0).label(key) for key in FIELD_KEYS]


def _plain(row) -> dict:
    found = dict(row._mapping)
    if "benefit" in found:
        found["benefit"] = round(float(found["benefit"] or 0), 2)
    for key in FIELD_KEYS:
        if key != "benefit" and key in found:
            found[key] = int(found[key] or 0)
    return found


# ---------------------------------------------------------------- output by county and by year

@_kept
def output_by_county_statement(counties: tuple[str, ...] | None, year: int) -> Select:
    """Per county: the studios with output in ``year`` and the sum of every output field."""
    return (select(Output.county_code, func.count().label("studios"), *_sums())
            .where(Output.year == year, in_counties(Output.county_code, counties))
            .group_by(Output.county_code).order_by(Output.county_code))


def output_by_county(session, counties: tuple[str, ...] | None, year: int) -> list[dict]:
    """[{county_code, studios, patents_invention, …, benefit}] for ``year``, one per county
    with output (in county code order)."""
    return [_plain(r) for r in session.execute(output_by_county_statement(counties, year))]


@_kept
def output_by_year_statement(counties: tuple[str, ...] | None, first: int | None = None,
                             last: int | None = None) -> Select:
    """Per year (within ``first``..``last`` when given): the studios with output and the sums."""
    stmt = (select(Output.year, func.count().label("studios"), *_sums())
            .where(in_counties(Output.county_code, counties)).group_by(Output.year).order_by(Output.year))
    if first is not None:
        stmt = stmt.where(Output.year >= first)
    if last is not None:
        stmt = stmt.where(Output.year <= last)
    return stmt


def output_by_year(session, counties: tuple[str, ...] | None, first: int | None = None,
                   last: int | None = None) -> list[dict]:
    """[{year, studios, patents_invention, …, benefit}], one per year with output, oldest first."""
    return [_plain(r) for r in session.execute(output_by_year_statement(counties, first, last))]


def output_years(session, counties: tuple[str, ...] | None) -> list[int]:
    """The years with output on file in ``counties``, newest first."""
    return list(session.scalars(select(Output.year).where(in_counties(Output.county_code, counties))
                                .group_by(Output.year).order_by(Output.year.desc())))


# ---------------------------------------------------------------- ranking

@_kept
def ranking_statement(counties: tuple[str, ...] | None, year: int, measure: str = PATENTS,
                      limit: int = 20) -> Select:
    """Studios with some of ``measure`` in ``year``, most first (then by name)."""
    value = measure_expression(measure).label("value")
    return (select(Studio.id.label("studio_id"), Studio.name, Studio.county_code, Studio.kind, Studio.level, value)
            .join(Studio, Studio.id == Output.studio_id)
            .where(Output.year == year, in_counties(Output.county_code, counties), measure_expression(measure) > 0)
            .order_by(measure_expression(measure).desc(), Studio.name, Studio.id).limit(limit))


def ranking(session, counties: tuple[str, ...] | None, year: int, measure: str = PATENTS,
            limit: int = 20) -> list[dict]:
    """[{rank, studio_id, name, county_code, kind, level, value}]: equal values share a rank
    (1, 2, 2, 4)."""
    rows = [dict(r._mapping) for r in session.execute(ranking_statement(counties, year, measure, limit))]
    previous, rank = None, 0
    for place, row in enumerate(rows, 1):
        if measure == "benefit":
            row["value"] = round(float(row["value"]), 2)
        if row["value"] != previous:
            rank, previous = place, row["value"]
        row["rank"] = rank
    return rows


# ---------------------------------------------------------------- honoured people

def level_rank() -> ColumnElement[int]:
    """全国 0, 省级 1, 市级 2, 区县级 3: national honourees first."""
    return case({level: i for i, level in enumerate(HONOUR_LEVELS)}, value=Member.honour_level, else_=len(HONOUR_LEVELS))


def _honoured(stmt: Select, counties: tuple[str, ...] | None, level: str | None) -> Select:
    stmt = stmt.join(Studio, Studio.id == Member.studio_id).where(
        Member.honour_level.in_(HONOUR_LEVELS), in_counties(Studio.county_code, counties))
    return stmt.where(Member.honour_level == level) if level else stmt


@_kept
def honoured_people_statement(counties: tuple[str, ...] | None, level: str | None = None, offset: int = 0,
                              limit: int = PAGE_SIZE) -> Select:
    """Members holding an honour (as their snapshot says), with their studio and county:
    national first, then by county, studio and name; one page."""
    stmt = select(Member.id, Member.person_id, Member.name, Member.role, Member.honour, Member.honour_level,
                  Member.deceased, Studio.id.label("studio_id"), Studio.name.label("studio_name"),
                  Studio.county_code)
    return (_honoured(stmt, counties, level)
            .order_by(level_rank(), Studio.county_code, Studio.name, Member.name, Member.id)
            .offset(offset).limit(limit))


@_kept
def count_honoured_statement(counties: tuple[str, ...] | None, level: str | None = None) -> Select:
    return _honoured(select(func.count()).select_from(Member), counties, level)


def count_honoured(session, counties: tuple[str, ...] | None, level: str | None = None) -> int:
    """How many rows ``honoured_people`` has in all (a person in two studios counts twice)."""
    return int(session.scalar(count_honoured_statement(counties, level)) or 0)


def honoured_people(session, counties: tuple[str, ...] | None, level: str | None = None, offset: int = 0,
                    limit: int = PAGE_SIZE) -> tuple[list[dict], int]:
    """One page of honoured members (a person in two studios is a row for each) and how many
    such rows there are in all."""
    rows = [dict(r._mapping) for r in session.execute(honoured_people_statement(counties, level, offset, limit))]
    return rows, count_honoured(session, counties, level)


def person_key() -> ColumnElement:
    """One person: the roster's id, or (a typed name, no id) the member row itself."""
    return func.coalesce(Member.person_id, -Member.id)


@_kept
def honoured_counts_statement(counties: tuple[str, ...] | None) -> Select:
    stmt = select(Member.honour_level, func.count(func.distinct(person_key())).label("people"))
    return _honoured(stmt, counties, None).group_by(Member.honour_level)


def honoured_counts(session, counties: tuple[str, ...] | None) -> dict[str, int]:
    """{honour level: people} for every level (0 where none), each person counted once however
    many studios they are in, national first."""
    found = dict(session.execute(honoured_counts_statement(counties)).all())
    return {level: int(found.get(level, 0)) for level in HONOUR_LEVELS}
