"""The roster's export: one row per person (their honours joined in one cell), then one row per
honour; the search's button says both counts; an administrator's export loads back.

Counts come from plain SQL written here (the oracle), not from the code under test."""

from __future__ import annotations

import io
import re

import openpyxl
from sqlalchemy import text

from core.data.audit import Actor
from core.data.db import read_session
from core.host.loader import get_host
from core.spreadsheet import export_file, import_file
from plugins.registry.vocab import mask_id
from tests.helpers import signed_in_app

ADMIN = Actor("test-admin", "admin")
MASKED = re.compile(r"[0-9]{6}\*{8}[0-9]{3}[0-9X]")
PEOPLE = ("SELECT COUNT(*) FROM registry_person p WHERE p.status != '去世'")
HONOURS = ("SELECT COUNT(*) FROM registry_honour h JOIN registry_person p ON p.id = h.person_id "
           "WHERE p.status != '去世'")


def sql(query: str, **params):
    with read_session() as session:
        return session.execute(text(query), params).scalar()


def sheets(data: bytes) -> dict[str, list[dict]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    found = {}
    for ws in book.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        found[ws.title] = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    return found


def test_the_roster_export_has_a_row_per_person_then_a_row_per_honour(roster_db, tmp_path):
    out = io.BytesIO()
    table = get_host().spreadsheet_tables["roster"]
    count = export_file(table, out, ADMIN, ("330182",))
    book = sheets(out.getvalue())
    assert list(book) == ["人员名单", "荣誉明细"]
    people, honours = book["人员名单"], book["荣誉明细"]
    in_county = " AND p.county_code = '330182'"
    assert count == len(people) == sql(PEOPLE + in_county) > 0
    assert len({r["公民身份号码"] for r in people}) == len(people)  # nobody twice
    assert len(honours) == sql(HONOURS + in_county) > len(people)

    # a person with several honours: one row, the honours joined, most recent first
    with read_session() as session:
        pid, number = session.execute(text(
            "SELECT p.id, p.id_number FROM registry_person p JOIN registry_honour h ON h.person_id = p.id "
            "WHERE p.county_code = '330182' AND p.status != '去世' GROUP BY p.id, p.id_number "
            "HAVING COUNT(*) > 1 ORDER BY p.id LIMIT 1")).one()
        held = session.execute(text("SELECT name, year_awarded FROM registry_honour WHERE person_id = :p "
                                    "ORDER BY year_awarded DESC, id"), {"p": pid}).all()
    row = next(r for r in people if r["公民身份号码"] == number)
    assert row["荣誉（授予年份）"] == "；".join(f"{n}（{y}）" if y else n for n, y in held)
    assert sum(r["公民身份号码"] == number for r in honours) == len(held)

    summary = sql("SELECT summary FROM core_audit_log WHERE action = 'export' ORDER BY id DESC LIMIT 1")
    assert summary == f"导出 劳模工匠名册 {count} 行（建德市）；工作表“荣誉明细” {len(honours)} 行"

    # the administrator's export loads back: the import reads 荣誉明细, every row already there
    path = tmp_path / "roster.xlsx"
    path.write_bytes(out.getvalue())
    result = import_file(table, path, ADMIN, dry_run=True)
    assert result.ok and result.sheet == "荣誉明细"
    assert len(result.already_present) == len(honours) and result.to_write == 0


def test_the_search_export_says_both_counts_and_masks_both_sheets(roster_db):
    at = signed_in_app("staff_jd", page="registry-people")
    at.selectbox(key="registry_level").select("市级").run()
    level = " AND p.county_code = '330182'"
    people = sql("SELECT COUNT(DISTINCT p.id) FROM registry_person p JOIN registry_honour h "
                 "ON h.person_id = p.id WHERE p.status != '去世' AND h.level = '市级'" + level)
    honours = sql(HONOURS + level + " AND h.level = '市级'")
    button = next(b for b in at.button if b.label.startswith("导出这"))
    assert button.label == f"导出这 {people} 人（{honours} 项荣誉）到 Excel（号码已隐藏）"
    button.click().run()
    assert not at.exception
    made_for, count, data = at.session_state["export-roster_masked-file"]
    book = sheets(data)  # the file the download button offers
    assert count == len(book["人员名单"]) == people
    assert len(book["荣誉明细"]) == honours
    assert {r["荣誉"] for r in book["荣誉明细"]} <= {"杭州市劳动模范", "杭州市先进工作者", "杭州工匠"}
    with read_session() as session:
        numbers = set(session.scalars(text("SELECT id_number FROM registry_person")))
    for sheet in book.values():
        for row in sheet:
            shown = row["公民身份号码"]
            assert MASKED.fullmatch(shown) and shown not in numbers
            assert any(mask_id(n) == shown for n in numbers)


def test_the_administrators_button_says_both_counts(roster_db):
    at = signed_in_app("admin", page="registry-io")
    assert not at.exception
    labels = [b.label for b in at.button]
    assert f"导出名册（{sql(PEOPLE)} 人，{sql(HONOURS)} 项荣誉）" in labels
