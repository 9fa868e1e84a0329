"""Studios and their yearly output as spreadsheet tables: a template, a checked all-or-nothing
import and a county-scoped export each, through core's spreadsheet layer.

- ``STUDIOS`` (工作室): one row per studio, natural key (所属区县, 工作室名称). The 领办人 column
  is a typed name: an import stores it as the studio's ``leader_name`` with ``leader_id`` empty
  (no roster person is linked); pick the leader from the roster on the studio's page afterwards.
- ``OUTPUT`` (工作室年度成果): one row per studio and year, natural key (所属区县, 工作室名称,
  年度). The studio must already be registered in that county (``check_references``); a row
  already on file is skipped by an import, and changed only through the one-row form's edit
  variant (``update_row``, see ``output_form``).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select, tuple_, update

from core.data.audit import bump_versions
from core.data.db import utcnow
from core.settings import clock
from core.spreadsheet import insert_rows
from core.spreadsheet.table import Column, RowProblem, RowsRefused, SpreadsheetTable
from plugins.workshops.models import Member, Output, Studio
from plugins.workshops.vocab import ACTIVE, KINDS, LEADER, LEVELS, OUTPUT_FIELDS, STATUSES

PERMISSION = "workshops.import"
EDIT_PERMISSION = "workshops.edit"  # a studio page's one-row form
FIRST_YEAR = 2000  # the earliest year of output an import or a form takes
MOST_COUNT = 100_000  # patents, apprentices, … of one studio in a year: more is a typing slip
MOST_BENEFIT = 10_000_000  # 万元
FIRST_NAMED_YEAR = 1980  # as studios.FIRST_YEAR
STUDIO_TABLES = {"workshops_studio"}
OUTPUT_TABLES = {"workshops_output"}

NO_STUDIO = "找不到该工作室：请先登记，或核对工作室名称和所属区县"
GONE = "该年度成果已不存在，请刷新页面后重试"
TAKEN = "该工作室这一年度的成果已经填报，请刷新页面后修改"

S = Studio.__table__.c


def _length(column) -> int:
    return column.type.length


# ---------------------------------------------------------------- studios

STUDIO_COLUMNS = (
    Column("name", "工作室名称", required=True, aliases=("名称",), max_length=_length(S.name)),
    Column("kind", "类型", kind="choice", choices=KINDS, required=True, aliases=("工作室类型",)),
    Column("level", "级别", kind="choice", choices=LEVELS, required=True, aliases=("工作室级别",)),
    Column("host_employer", "依托单位", required=True, aliases=("所在单位", "单位"),
           max_length=_length(S.host_employer)),
    Column("county_code", "所属区县", kind="county", required=True, aliases=("区县",)),
    Column("named_year", "命名年份", kind="integer", required=True, aliases=("命名时间",)),
    Column("named_doc", "命名文号", aliases=("文号",), max_length=_length(S.named_doc)),
    Column("status", "状态", kind="choice", choices=STATUSES, help="不填为运行"),
    Column("leader_name", "领办人", max_length=_length(S.leader_name),
           help="填写姓名；导入不关联名册人员，请导入后在工作室页面从名册中选择领办人"),
)
STUDIO_KEYS = tuple(c.key for c in STUDIO_COLUMNS)


def check_studio(row: dict[str, Any]) -> list[RowProblem]:
    """The naming year lies between 1980 and this year."""
    this_year = clock.this_year()
    if row.get("named_year") is not None and not FIRST_NAMED_YEAR <= row["named_year"] <= this_year:
        return [("named_year", f"应在 {FIRST_NAMED_YEAR} 至 {this_year} 之间")]
    return []


def existing_studios(session, keys: list[tuple]) -> set[tuple]:
    """Which (county, name) pairs are registered."""
    found = session.execute(select(Studio.county_code, Studio.name)
                            .where(tuple_(Studio.county_code, Studio.name).in_(keys)))
    return {tuple(r) for r in found}


def write_studios(session, rows: list[dict], actor) -> None:
    """Bulk insert. A 领办人 is a typed name: ``leader_id`` stays empty and the leader is one
    Member row (role 领办人, no person id), as a leader picked on the studio's page would be."""
    now = utcnow()
    insert_rows(session, Studio.__table__, [
        {"name": r["name"], "kind": r["kind"], "level": r["level"], "host_employer": r["host_employer"],
         "county_code": r["county_code"], "named_year": r["named_year"], "named_doc": r.get("named_doc"),
         "status": r.get("status") or ACTIVE, "leader_id": None, "leader_name": r.get("leader_name"),
         "needs_new_leader": False, "created_at": now}
        for r in rows])
    led = [r for r in rows if r.get("leader_name")]
    if led:
        ids = _studio_ids(session, [(r["county_code"], r["name"]) for r in led])
        insert_rows(session, Member.__table__, [
            {"studio_id": ids[(r["county_code"], r["name"])], "person_id": None, "name": r["leader_name"],
             "role": LEADER, "honour": None, "honour_level": None, "deceased": False, "joined_year": None}
            for r in led])
    bump_versions(session, STUDIO_TABLES | ({"workshops_member"} if led else set()))


def export_studios(session, counties: tuple[str, ...] | None):
    stmt = select(*(getattr(Studio, k) for k in STUDIO_KEYS)).order_by(Studio.county_code, Studio.name)
    if counties is not None:
        stmt = stmt.where(Studio.county_code.in_(counties))
    yield from session.execute(stmt.execution_options(yield_per=2000)).mappings()


STUDIOS = SpreadsheetTable(
    name="workshops_studios", title="工作室", columns=STUDIO_COLUMNS, natural_key=("county_code", "name"),
    county_column="county_code", permission=PERMISSION, validate_row=check_studio,
    existing_keys=existing_studios, write_rows=write_studios, export_rows=export_studios,
    row_name=lambda row: row.get("name") or "工作室")


# ---------------------------------------------------------------- yearly output

FIELD_KEYS = tuple(key for key, _, _ in OUTPUT_FIELDS)
FIELD_COLUMNS = tuple(
    Column(key, label, kind="decimal" if key == "benefit" else "integer",
           help=f"单位：{unit}，不填为 0")
    for key, label, unit in OUTPUT_FIELDS)
OUTPUT_COLUMNS = (
    Column("studio_name", "工作室名称", required=True, aliases=("工作室", "名称"), max_length=_length(S.name)),
    Column("county_code", "所属区县", kind="county", required=True, aliases=("区县",)),
    Column("year", "年度", kind="integer", required=True, aliases=("年份",)),
    *FIELD_COLUMNS,
)
OUTPUT_KEY = ("county_code", "studio_name", "year")


def _bound(key: str, value) -> str | None:
    if value is None:
        return None
    if value < 0:
        return "不能为负数"
    most = MOST_BENEFIT if key == "benefit" else MOST_COUNT
    return f"不能超过 {most:,}" if value > most else None


def check_fields(row: dict[str, Any]) -> list[RowProblem]:
    """Every number between 0 and a sane most; apprentices reaching 技师 and 高级技师 within
    those trained."""
    problems: list[RowProblem] = [(key, reason) for key in FIELD_KEYS
                                  if (reason := _bound(key, row.get(key))) is not None]
    trained = row.get("apprentices") or 0
    reached = (row.get("apprentices_technician") or 0) + (row.get("apprentices_senior") or 0)
    if reached > trained and not problems:
        problems.append(("apprentices_technician",
                         f"其中达到技师和高级技师的共 {reached} 人，不能多于带徒人数（{trained} 人）"))
    return problems


def check_output(row: dict[str, Any]) -> list[RowProblem]:
    problems = check_fields(row)
    this_year = clock.this_year()
    if row.get("year") is not None and not FIRST_YEAR <= row["year"] <= this_year:
        problems.insert(0, ("year", f"应在 {FIRST_YEAR} 至 {this_year} 之间"))
    return problems


def _studio_ids(session, pairs) -> dict[tuple[str, str], int]:
    """{(county, name): studio id} for the registered ones among ``pairs``, in one query."""
    pairs = list(dict.fromkeys(pairs))
    if not pairs:
        return {}
    found = session.execute(select(Studio.county_code, Studio.name, Studio.id)
                            .where(tuple_(Studio.county_code, Studio.name).in_(pairs)))
    return {(county, name): sid for county, name, sid in found}


def output_references(session, rows: list[dict], counties: tuple[str, ...] | None) -> list[tuple]:
    """Each row's studio must be registered in the row's county, within the user's counties
    (outside them it is “not found” too, saying nothing of another county's studios)."""
    known = _studio_ids(session, [(r["county_code"], r["studio_name"]) for r in rows])
    return [(i, "studio_name", NO_STUDIO) for i, r in enumerate(rows)
            if (r["county_code"], r["studio_name"]) not in known
            or counties is not None and r["county_code"] not in counties]


def existing_outputs(session, keys: list[tuple]) -> set[tuple]:
    """Which (county, studio name, year) are on file."""
    found = session.execute(
        select(Studio.county_code, Studio.name, Output.year).join(Studio, Studio.id == Output.studio_id)
        .where(tuple_(Studio.county_code, Studio.name, Output.year).in_(keys)))
    return {tuple(r) for r in found}


def _numbers(row: dict[str, Any]) -> dict[str, Any]:
    """The output fields as stored: a blank is 0, 经济效益 a float."""
    values = {key: row.get(key) or 0 for key in FIELD_KEYS}
    values["benefit"] = float(values["benefit"]) if isinstance(values["benefit"], Decimal) \
        else float(values["benefit"] or 0)
    return values


def write_outputs(session, rows: list[dict], actor) -> None:
    """Studios resolved in one query per batch, the county taken from the studio; bulk insert."""
    known = _studio_ids(session, [(r["county_code"], r["studio_name"]) for r in rows])
    missing = [r["studio_name"] for r in rows if (r["county_code"], r["studio_name"]) not in known]
    if missing:  # removed between the check and the write
        raise RowsRefused(f"{NO_STUDIO}（{missing[0]}）")
    insert_rows(session, Output.__table__, [
        {"studio_id": known[(r["county_code"], r["studio_name"])], "year": r["year"],
         "county_code": r["county_code"], **_numbers(r)}
        for r in rows])
    bump_versions(session, OUTPUT_TABLES)


def _output_id(session, key: tuple) -> int | None:
    county, name, year = key
    return session.scalar(select(Output.id).join(Studio, Studio.id == Output.studio_id)
                          .where(Studio.county_code == county, Studio.name == name, Output.year == year))


def update_output(session, key: tuple, row: dict[str, Any], actor) -> None:
    """Change the output on file under ``key`` (county, studio name, year) to ``row``."""
    output_id = _output_id(session, key)
    if output_id is None:
        raise RowsRefused(GONE)
    values = _numbers(row)
    new_key = tuple(row[k] for k in OUTPUT_KEY)
    if new_key != tuple(key):
        studio_id = _studio_ids(session, [(row["county_code"], row["studio_name"])]).get(
            (row["county_code"], row["studio_name"]))
        if studio_id is None:
            raise RowsRefused(NO_STUDIO)
        if _output_id(session, new_key) is not None:
            raise RowsRefused(TAKEN)
        values.update(studio_id=studio_id, county_code=row["county_code"], year=row["year"])
    session.execute(update(Output).where(Output.id == output_id).values(**values))
    bump_versions(session, OUTPUT_TABLES)


def export_outputs(session, counties: tuple[str, ...] | None):
    stmt = (select(Studio.name.label("studio_name"), Output.county_code, Output.year,
                   *(getattr(Output, k) for k in FIELD_KEYS))
            .join(Studio, Studio.id == Output.studio_id)
            .order_by(Output.county_code, Studio.name, Output.year))
    if counties is not None:
        stmt = stmt.where(Output.county_code.in_(counties))
    yield from session.execute(stmt.execution_options(yield_per=2000)).mappings()


def output_name(row: dict[str, Any]) -> str:
    return f"{row.get('studio_name') or '工作室'} {row.get('year') or ''} 年度成果".replace("  ", " ")


OUTPUT = SpreadsheetTable(
    name="workshops_output", title="工作室年度成果", columns=OUTPUT_COLUMNS, natural_key=OUTPUT_KEY,
    county_column="county_code", permission=PERMISSION, validate_row=check_output,
    existing_keys=existing_outputs, write_rows=write_outputs, export_rows=export_outputs,
    update_row=update_output, check_references=output_references, row_name=output_name)


def studio_output_edit_table() -> SpreadsheetTable:
    """``OUTPUT`` as a studio page's form edits it: with ``workshops.edit`` (the import and
    export need ``workshops.import``)."""
    return replace(OUTPUT, permission=EDIT_PERMISSION)
