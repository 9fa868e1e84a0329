"""The roster as a spreadsheet table: one row per honour of a person (how counties keep it).

Administrators load the counties' spreadsheets directly (``jiangxin import roster FILE``);
county staff submit additions as change requests instead (``roster_additions``).

An export has two sheets (``roster_sheets``): 人员名单, one row per person with their honours
joined in one cell (全国劳动模范（2015）；浙江省劳动模范（2010）), then 荣誉明细, one row per
honour in the import's own columns. The import reads 荣誉明细 (the first sheet with every
required column: the people sheet has no 荣誉 column), so an administrator's export loads back.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import groupby
from operator import itemgetter

from sqlalchemy import func, select, tuple_

from core.data.audit import bump_versions
from core.data.db import utcnow
from core.spreadsheet import Sheet, columns_sheet, insert_rows
from core.spreadsheet.cells import id_birth_date, id_gender
from core.spreadsheet.table import Column, RowsRefused, SpreadsheetTable
from plugins.registry.models import ChangeRequest, Honour, Person, initials
from plugins.registry.queries import PersonFilter
from plugins.registry.vocab import (
    DECEASED,
    GENDERS,
    HONOURS,
    STATUSES,
    mask_birth,
    mask_id,
    mask_phone,
)

PERSON_KEYS = ("name", "gender", "id_number", "birth_date", "ethnicity", "political_status",
               "education", "employer", "post", "industry", "county_code", "phone", "status")
def _length(column) -> int:
    """The characters a model's String column holds: an import refuses longer text."""
    return column.type.length


P, H = Person.__table__.c, Honour.__table__.c
COLUMNS = (
    Column("name", "姓名", required=True, max_length=_length(P.name)),
    Column("gender", "性别", kind="choice", choices=GENDERS, help="可不填，按身份证号码判断"),
    Column("id_number", "公民身份号码", kind="id_number", required=True,
           aliases=("身份证号", "身份证号码", "身份证")),
    Column("birth_date", "出生日期", kind="date", help="可不填，按身份证号码判断"),
    Column("ethnicity", "民族", max_length=_length(P.ethnicity)),
    Column("political_status", "政治面貌", max_length=_length(P.political_status)),
    Column("education", "学历", aliases=("文化程度",), max_length=_length(P.education)),
    Column("employer", "工作单位", aliases=("单位", "单位名称"), max_length=_length(P.employer)),
    Column("post", "职务/工种", aliases=("职务", "工种", "职务或工种"), max_length=_length(P.post)),
    Column("industry", "行业", max_length=_length(P.industry)),
    Column("county_code", "所属区县", kind="county", required=True, aliases=("区县",)),
    Column("phone", "联系电话", kind="phone", aliases=("电话", "手机", "手机号码")),
    Column("status", "人员状态", kind="choice", choices=STATUSES, aliases=("状态",),
           help="不填为在职"),
    Column("honour", "荣誉", kind="choice", choices=tuple(HONOURS), required=True,
           aliases=("荣誉称号",)),
    Column("year_awarded", "授予年份", kind="integer", aliases=("获评年份", "年份")),
    Column("awarding_body", "授予单位", max_length=_length(H.awarding_body)),
)


def check_row(row: dict) -> list[tuple[str | None, str]]:
    """Gender and birth date must agree with the ID number (when they are given)."""
    problems = []
    number = row["id_number"]
    if row.get("gender") and row["gender"] != id_gender(number):
        problems.append(("gender", f"与身份证号码不符（号码显示为{id_gender(number)}）"))
    if row.get("birth_date") and row["birth_date"] != id_birth_date(number):
        problems.append(("birth_date", f"与身份证号码不符（号码显示为 {id_birth_date(number)}）"))
    return problems


def existing_keys(session, keys: list[tuple]) -> set[tuple]:
    found = session.execute(
        select(Person.id_number, Honour.name).join(Honour, Honour.person_id == Person.id)
        .where(tuple_(Person.id_number, Honour.name).in_(keys)))
    return {tuple(r) for r in found}


IDENTITY = ("id_number",)
IDENTITY_FIELDS = ("name", "birth_date", "county_code")


def existing_identities(session, keys: list[tuple]) -> dict[tuple, dict]:
    """The people already on file under these ID numbers: name, birth date and county."""
    found = session.execute(select(Person.id_number, Person.name, Person.birth_date, Person.county_code)
                            .where(Person.id_number.in_([k[0] for k in keys])))
    return {(number,): {"name": name, "birth_date": birth, "county_code": county}
            for number, name, birth, county in found}


def write_rows(session, rows: list[dict], actor) -> None:
    """New people first (one per ID number), then their honours; bulk inserts throughout."""
    numbers = {r["id_number"] for r in rows}
    known = dict(session.execute(select(Person.id_number, Person.id)
                                 .where(Person.id_number.in_(numbers))).all())
    new_people = {}
    now = utcnow()
    for r in rows:
        if r["id_number"] in known or r["id_number"] in new_people:
            continue
        person = {k: r.get(k) for k in PERSON_KEYS}
        person["gender"] = person["gender"] or id_gender(r["id_number"])
        person["birth_date"] = person["birth_date"] or id_birth_date(r["id_number"])
        person["status"] = person["status"] or "在职"
        person["name_initials"] = initials(r["name"])
        person["created_at"] = now  # given, so the rows take the bulk path
        new_people[r["id_number"]] = person
    if new_people:
        insert_rows(session, Person.__table__, list(new_people.values()))
        known.update(session.execute(select(Person.id_number, Person.id)
                                     .where(Person.id_number.in_(list(new_people)))).all())
    insert_rows(session, Honour.__table__, [
        {"person_id": known[r["id_number"]], "name": r["honour"], "level": HONOURS[r["honour"]],
         "year_awarded": r.get("year_awarded"), "awarding_body": r.get("awarding_body")}
        for r in rows])
    bump_versions(session, {"registry_person", "registry_honour"})


def _narrowed(stmt, counties, include_deceased: bool, search: PersonFilter | None):
    """``stmt`` (people joined to their honours) narrowed as an export is: deceased people left
    out unless asked for; ``search`` keeps the people a 人员名册 search finds, and the honours it
    asks for (searching 杭州工匠 exports those people's 杭州工匠, not their other honours)."""
    if search is not None:
        stmt = search.apply(stmt)
        for column, wanted in ((Honour.level, search.level), (Honour.name, search.honour),
                               (Honour.year_awarded, search.year)):
            if wanted:
                stmt = stmt.where(column == wanted)
    elif not include_deceased:
        stmt = stmt.where(Person.status != DECEASED)
    if counties is not None:
        stmt = stmt.where(Person.county_code.in_(counties))
    return stmt


def export_rows(session, counties, include_deceased: bool = False, search: PersonFilter | None = None):
    """One row per honour, deceased people left out (they stay on file) unless asked for;
    ``search`` as in ``_narrowed``."""
    stmt = (select(*(getattr(Person, k) for k in PERSON_KEYS), Honour.name.label("honour"),
                   Honour.year_awarded, Honour.awarding_body)
            .join(Honour, Honour.person_id == Person.id)
            .order_by(Person.county_code, Person.name, Person.id, Honour.year_awarded))
    stmt = _narrowed(stmt, counties, include_deceased, search)
    yield from session.execute(stmt.execution_options(yield_per=2000)).mappings()


HONOURS_HEADER = "荣誉（授予年份）"  # not 荣誉: the import passes this sheet over
PEOPLE_SHEET, HONOURS_SHEET = "人员名单", "荣誉明细"


def honour_text(name: str, year: int | None) -> str:
    """全国劳动模范（2015）, or the name alone when the year is not known."""
    return f"{name}（{year}）" if year else name


def people_rows(session, counties, include_deceased: bool = False,
                search: PersonFilter | None = None):
    """One row per person, their honours joined by ；, most recent first; people and honours
    narrowed as ``export_rows`` narrows them. Streamed: the honour rows come ordered by person
    and are folded as they arrive."""
    stmt = (select(Person.id.label("person_id"), *(getattr(Person, k) for k in PERSON_KEYS),
                   Honour.name.label("honour"), Honour.year_awarded)
            .outerjoin(Honour, Honour.person_id == Person.id)  # a person without honours is a row
            .order_by(Person.county_code, Person.name, Person.id,
                      Honour.year_awarded.desc().nulls_last(), Honour.id))
    stmt = _narrowed(stmt, counties, include_deceased, search)
    found = session.execute(stmt.execution_options(yield_per=2000)).mappings()
    for _, group in groupby(found, key=itemgetter("person_id")):
        rows = list(group)
        yield {**{k: rows[0][k] for k in PERSON_KEYS},
               "honours": "；".join(honour_text(r["honour"], r["year_awarded"]) for r in rows if r["honour"])}


def count_honours(session, counties, include_deceased: bool = False,
                  search: PersonFilter | None = None) -> int:
    """The rows of the 荣誉明细 sheet, in SQL: the honours ``export_rows`` would give."""
    stmt = select(func.count()).select_from(Person).join(Honour, Honour.person_id == Person.id)
    return int(session.scalar(_narrowed(stmt, counties, include_deceased, search)))


def count_exported_people(session, counties, include_deceased: bool = False) -> int:
    """The rows of the 人员名单 sheet of a whole-roster export, in SQL (a search's is
    ``queries.count_people`` of its filter)."""
    stmt = select(func.count()).select_from(Person)
    return int(session.scalar(_narrowed(stmt, counties, include_deceased, None)))


def _masked(row: dict) -> dict:
    return {**row, "id_number": mask_id(row["id_number"]), "phone": mask_phone(row["phone"]),
            "birth_date": mask_birth(row["birth_date"], show=False)}


PEOPLE_COLUMNS = (*(c for c in COLUMNS if c.key in PERSON_KEYS), Column("honours", HONOURS_HEADER))


def roster_sheets(session, counties, *, include_deceased: bool = False,
                  search: PersonFilter | None = None, masked: bool = False) -> list[Sheet]:
    """The export's two sheets: 人员名单 (one row per person) and 荣誉明细 (one per honour, in
    the import's columns); ID numbers, phones and birth dates masked when ``masked``."""
    people = people_rows(session, counties, include_deceased, search)
    honours = export_rows(session, counties, include_deceased, search)
    if masked:
        people, honours = map(_masked, people), map(_masked, honours)
    return [columns_sheet(PEOPLE_SHEET, PEOPLE_COLUMNS, people),
            columns_sheet(HONOURS_SHEET, COLUMNS, honours)]


ROSTER = SpreadsheetTable(
    name="roster", title="劳模工匠名册", columns=COLUMNS, natural_key=("id_number", "honour"),
    county_column="county_code", permission="registry.import", validate_row=check_row,
    existing_keys=existing_keys, write_rows=write_rows, export_rows=export_rows,
    export_sheets=roster_sheets,
    identity=IDENTITY, identity_fields=IDENTITY_FIELDS, existing_identities=existing_identities)


def pending_or_held(session, keys: list[tuple]) -> set[tuple]:
    """(id_number, honour) pairs already held, or already asked for in a pending 新增."""
    held = existing_keys(session, keys)
    numbers = {k[0] for k in keys}
    for payload, person_number in session.execute(
            select(ChangeRequest.payload, Person.id_number)
            .outerjoin(Person, Person.id == ChangeRequest.person_id)
            .where(ChangeRequest.kind == "新增", ChangeRequest.state.in_(("待审核", "退回修改")))):
        number = person_number or (payload.get("person") or {}).get("id_number")
        if number in numbers:
            held.add((number, payload.get("honour")))
    return held


def submit_additions(session, rows: list[dict], actor) -> None:
    """Staff's bulk 新增: each row becomes a pending request for a reviewer, nothing else."""
    found = session.execute(select(Person.id_number, Person.id, Person.name, Person.county_code,
                                   Person.status)
                            .where(Person.id_number.in_({r["id_number"] for r in rows}))).all()
    known = {}
    by_number = {r["id_number"]: r for r in rows}
    for number, pid, name, county, status in found:
        row = by_number[number]
        # the import checked name and county against the roster; this catches a change made
        # between that check and this write, and says nothing of the person found
        if county != row["county_code"] or name != row["name"]:
            raise RowsRefused(f"身份证号码 {number[:6]}…{number[-4:]} 与名册中的登记不符：请核对后单独提交")
        if status == DECEASED:
            raise RowsRefused(f"身份证号码 {number[:6]}…{number[-4:]} 的人员已去世，不能新增荣誉")
        known[number] = pid
    now = utcnow()
    requests = []
    for r in rows:
        payload = {"honour": r["honour"], "year_awarded": r.get("year_awarded")}
        person_id = known.get(r["id_number"])
        if person_id is None:
            payload["person"] = {
                **{k: r.get(k) for k in ("ethnicity", "political_status", "education", "employer",
                                         "post", "industry", "phone")},
                "name": r["name"], "id_number": r["id_number"], "county_code": r["county_code"],
                "gender": id_gender(r["id_number"]), "birth_date": id_birth_date(r["id_number"]).isoformat()}
        requests.append({"kind": "新增", "state": "待审核", "person_id": person_id,
                         "county_code": r["county_code"], "payload": payload, "before": None,
                         "reason": "批量导入", "submitted_by": actor.username, "submitted_at": now,
                         "open_key": f"新增:{r['id_number']}:{r['honour']}"})  # as changes.open_key
    insert_rows(session, ChangeRequest.__table__, requests)
    bump_versions(session, {"registry_change"})


ROSTER_WITH_DECEASED = SpreadsheetTable(
    name="roster_all", title="劳模工匠名册（含已去世）", columns=COLUMNS,
    natural_key=("id_number", "honour"), county_column="county_code", permission="registry.import",
    export_rows=lambda session, counties: export_rows(session, counties, include_deceased=True),
    export_sheets=lambda session, counties: roster_sheets(session, counties, include_deceased=True))

def masked_rows(session, counties, search: PersonFilter | None = None):
    """The roster as everyone who may view it may also take it away: ID numbers and phones
    masked, birth dates to the year, as the 人员名册 page shows them to staff."""
    return map(_masked, export_rows(session, counties, search=search))


ROSTER_MASKED = SpreadsheetTable(
    name="roster_masked", title="劳模工匠名册（号码已隐藏）", columns=COLUMNS,
    county_column="county_code", permission="registry.view", export_rows=masked_rows,
    export_sheets=lambda session, counties: roster_sheets(session, counties, masked=True))

ADDITIONS = SpreadsheetTable(
    name="roster_additions", title="批量新增申请",
    columns=tuple(c for c in COLUMNS if c.key not in ("status",)),
    natural_key=("id_number", "honour"), county_column="county_code", permission="registry.submit",
    validate_row=check_row, existing_keys=pending_or_held, write_rows=submit_additions,
    identity=IDENTITY, identity_fields=IDENTITY_FIELDS, existing_identities=existing_identities,
    # the rows become requests a reviewer decides: nothing entered the roster yet
    done_message="已提交 {n} 件新增申请，等待审核{skipped}。")

# The fields of the one-row 新增 form (提交变动, pages_changes.addition_form), read and refused as
# the bulk import reads them (core.spreadsheet.forms.check_one_row). Not a whole table form: the
# request is filed by changes.submit_addition, which also takes a reason and an attachment, files
# a returned request again, and names the open request a duplicate would repeat. Not registered
# as a table (no write_rows): the name may be left blank for someone already on the roster.
ADDITION_FORM_KEYS = ("id_number", "name", "county_code", "employer", "honour", "year_awarded")
ADDITION_FORM = SpreadsheetTable(
    name="roster_addition_form", title="新增申请",
    columns=tuple(replace(c, required=False) if c.key == "name" else c
                  for c in ADDITIONS.columns if c.key in ADDITION_FORM_KEYS),
    county_column="county_code", permission="registry.submit", validate_row=check_row)
