"""The yearly report (年度工作报告): the Word document and the Excel workbook say what the database
holds, for the city and for a county; the charts are pictures in the document; county staff get
only their county; every file is audited as an export; `jiangxin report` writes both; the
年度报告 page as a manager and as county staff.

The oracle is the roster read with plain SQL and counted here in Python, not the report's code.
"""

from __future__ import annotations

import datetime as dt
import io
import statistics
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from core.access.auth import CurrentUser
from core.access.permissions import PermissionDenied
from core.data.db import read_session
from core.data.models import AuditEntry
from tests.helpers import signed_in_app, texts

JIANDE, CHUNAN = "330182", "330127"
LEVELS = ("全国", "省级", "市级", "区县级")
PNG = b"\x89PNG\r\n\x1a\n"
MANAGER = CurrentUser("manager", "领导丙", "manager", None)
STAFF_JD = CurrentUser("staff_jd", "建德工作人员", "staff", JIANDE)
REVIEWER = CurrentUser("reviewer", "审核员乙", "reviewer", None)


def _year() -> int:
    """Last year: the demo's decisions reach back 700 days, so all of it has approvals."""
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).year - 1


# --- the oracle: raw rows, counted here ---------------------------------------------------


def expected(year: int, county: str | None) -> dict:
    """What the report must say, from the raw tables."""
    with read_session() as s:
        people = s.execute(text("SELECT id, county_code, status, death_date FROM registry_person")).all()
        honours = s.execute(text("SELECT person_id, name, level, year_awarded FROM registry_honour")).all()
        changes = s.execute(text("SELECT kind, county_code, submitted_at, decided_at FROM registry_change "
                                 "WHERE state = '已通过'")).all()
    year_end = dt.date(year, 12, 31)
    where = {p.id: p.county_code for p in people}
    alive = {p.id for p in people if p.status != "去世"
             or (p.death_date is not None and dt.date.fromisoformat(str(p.death_date)) > year_end)}
    best: dict[int, int] = {}
    for h in honours:
        if h.year_awarded is None or h.year_awarded <= year:
            rank = LEVELS.index(h.level) if h.level in LEVELS else 4
            best[h.person_id] = min(best.get(h.person_id, 9), rank)
    headcount = Counter((where[pid], LEVELS[rank]) for pid, rank in best.items()
                        if pid in alive and county in (None, where[pid]))
    awarded = Counter(h.name for h in honours
                      if h.year_awarded == year and county in (None, where[h.person_id]))
    zone = ZoneInfo("Asia/Shanghai")
    waits: dict[str, list[float]] = {}
    for c in changes:
        decided = _stamp(c.decided_at)
        if decided.replace(tzinfo=dt.UTC).astimezone(zone).year == year and county in (None, c.county_code):
            waits.setdefault(c.kind, []).append((decided - _stamp(c.submitted_at)).total_seconds() / 86400)
    return {"headcount": headcount, "awarded": awarded, "waits": waits}


def _stamp(value) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def _number(value) -> float | None:
    if value in (None, "", "—"):
        return None
    return float(str(value).replace(",", ""))


def add_edge_cases(year: int) -> None:
    """Three 建德市 people the year's end decides: one who died early next year (counted, at
    全国), one whose only honour came the year after (not counted), one whose honour's year is
    not recorded (counted, at 市级)."""
    from core.data.audit import Actor
    from core.data.db import session_scope
    from plugins.registry.models import Honour, Person

    cases = [("早逝者", "去世", dt.date(year + 1, 1, 10), [("全国劳动模范", "全国", year - 3)]),
             ("后来者", "在职", None, [("杭州工匠", "市级", year + 1)]),
             ("无年者", "退休", None, [("杭州市劳动模范", "市级", None)])]
    with session_scope(Actor("fixture", "admin")) as s:
        for i, (name, status, died, honours) in enumerate(cases):
            s.add(Person(name=name, name_initials="x", gender="男", birth_date=dt.date(1960, 1, 1),
                         id_number=f"99999919600101{i:03d}X", county_code=JIANDE, status=status,
                         death_date=died,
                         honours=[Honour(name=n, level=lv, year_awarded=y) for n, lv, y in honours]))

# --- reading the files --------------------------------------------------------------------


def docx_tables(data: bytes) -> list[list[dict[str, str]]]:
    from docx import Document

    found = []
    for table in Document(io.BytesIO(data)).tables:
        rows = [[c.text for c in row.cells] for row in table.rows]
        found.append([dict(zip(rows[0], r, strict=True)) for r in rows[1:]])
    return found


def xlsx_tables(data: bytes) -> tuple[list[str], list[list[dict]]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    tables = []
    for name in book.sheetnames[1:]:
        rows = list(book[name].iter_rows(values_only=True))
        tables.append([dict(zip(rows[0], r, strict=True)) for r in rows[1:]])
    return book.sheetnames, tables


def check_tables(tables: list[list[dict]], want: dict, county: str | None) -> None:
    """Table 1 (people by county and level), 2 (honours of the year), 3 (approvals by kind)
    against the oracle, whatever the file (cells as text or numbers)."""
    from core.settings.counties import county_names

    people, honours, changes = tables
    names = county_names()
    by_county = {r["区县"]: r for r in people}
    for code, name in names.items():
        if county not in (None, code):
            assert name not in by_county
            continue
        for level in LEVELS:
            assert _number(by_county[name][level]) == want["headcount"][(code, level)], (name, level)
    if county is None:
        assert _number(by_county["合计"]["合计"]) == sum(want["headcount"].values())
    got = {r["荣誉"]: _number(r["人数"]) for r in honours if r["荣誉"] != "合计"}
    assert got == want["awarded"] and want["awarded"]
    waits = want["waits"]
    for row in changes:
        kind_waits = [w for ws in waits.values() for w in ws] if row["变动类型"] == "合计" \
            else waits.get(row["变动类型"], [])
        assert _number(row["件数"]) == len(kind_waits), row
        for header, how in (("中位等待（天）", statistics.median), ("平均等待（天）", statistics.mean)):
            assert _number(row[header]) == (round(how(kind_waits), 1) if kind_waits else None), row


# --- the files against the database -------------------------------------------------------


@pytest.mark.parametrize("county", [None, JIANDE])
def test_the_document_and_workbook_hold_the_databases_figures(roster_db, county):
    from docx import Document

    from core.report.build import build_report
    from core.report.files import DOCX, XLSX, report_file

    year = _year()
    add_edge_cases(year)
    want = expected(year, county)
    report = build_report(MANAGER, year, (county,) if county else None)
    docx_data = report_file(MANAGER, report, DOCX)
    xlsx_data = report_file(MANAGER, report, XLSX)

    check_tables(docx_tables(docx_data), want, county)
    sheets, tables = xlsx_tables(xlsx_data)
    check_tables(tables, want, county)
    assert sheets[0] == "说明" and all(len(name) <= 31 for name in sheets) and len(set(sheets)) == len(sheets)

    document = Document(io.BytesIO(docx_data))
    place = "建德市" if county else "全市"
    # the title names the city (the built-in county list is Hangzhou's); the text says 全市
    assert document.paragraphs[0].text == f"{'建德市' if county else '杭州市'} {year} 年度工作报告"
    words = "\n".join(p.text for p in document.paragraphs)
    every = [w for ws in want["waits"].values() for w in ws]
    assert f"{place}在册劳模工匠 {sum(want['headcount'].values()):,} 人" in words
    assert f"审核通过变动申请 {len(every):,} 件" in words
    assert f"中位等待 {statistics.median(every):.1f} 天" in words
    # the workbook's 说明 sheet carries the same text
    from openpyxl import load_workbook

    readme = [r for r in load_workbook(io.BytesIO(xlsx_data))["说明"].iter_rows(values_only=True)]
    assert any(r[1] and f"中位等待 {statistics.median(every):.1f} 天" in r[1] for r in readme)


def test_the_figures_hold_on_postgresql(pg_url, monkeypatch):
    """The same SQL on PostgreSQL (its CASE, dates and time bounds): the demo roster loaded into
    a fresh database, the city's workbook against the oracle."""
    from faker import Faker

    from core.data.audit import Actor
    from core.data.db import get_engine, session_scope
    from core.data.migrate import upgrade
    from core.host.loader import get_host
    from core.report.build import build_report
    from core.report.files import XLSX, report_file

    monkeypatch.setenv("JIANGXIN_PLUGIN_PATH", "")
    monkeypatch.setenv("JIANGXIN_DISABLED_PLUGINS", "workshops,events")  # the roster's figures alone
    host = get_host()
    upgrade(get_engine(), host)
    faker = Faker("zh_CN")
    faker.seed_instance(7)
    with session_scope(Actor("fixture", "admin")) as session:
        host.call_each("jiangxin_demo_data", savepoints=session, session=session, faker=faker, seed=7)
    year = _year()
    actor = Actor("fixture", "admin")
    data = report_file(actor, build_report(actor, year, None), XLSX)
    check_tables(xlsx_tables(data)[1], expected(year, None), None)

def test_the_charts_are_pictures_in_the_document_with_their_captions(roster_db):
    from docx import Document

    from core.report.build import build_report
    from core.report.files import DOCX, report_file

    report = build_report(MANAGER, _year(), None)
    document = Document(io.BytesIO(report_file(MANAGER, report, DOCX)))
    charts = [chart for section in report.sections for chart in section.charts]
    assert len(document.inline_shapes) == len(charts) == 2
    images = [rel.target_part.blob for rel in document.part.rels.values() if "image" in rel.reltype]
    assert len(images) == 2 and all(blob.startswith(PNG) and len(blob) > 5_000 for blob in images)
    captions = [p.text for p in document.paragraphs if p.text.startswith("图 ")]
    assert captions[0].startswith("图 1  ") and "各区县在册劳模工匠人数" in captions[0]
    assert "按最高荣誉级别计" in captions[0]
    # the Chinese font is named for Word (w:eastAsia on the Normal style)
    from docx.oxml.ns import qn

    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "宋体"


# --- scope and audit ----------------------------------------------------------------------


def _exports() -> list[AuditEntry]:
    with read_session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)))


def test_county_staff_get_their_own_county_only(roster_db):
    from core.report.build import build_report
    from core.report.files import DOCX, report_file

    year = _year()
    with pytest.raises(PermissionDenied):
        build_report(STAFF_JD, year, (CHUNAN,))
    own = build_report(STAFF_JD, year, None)  # asking for the city gets their county
    assert own.counties == (JIANDE,) and own.title == f"建德市 {year} 年度工作报告"
    city = build_report(MANAGER, year, None)
    with pytest.raises(PermissionDenied):  # handed the city's report, staff cannot make its files
        report_file(STAFF_JD, city, DOCX)
    with pytest.raises(PermissionDenied):  # reviewers have no report at all
        build_report(REVIEWER, year, None)
    assert _exports() == []

    report_file(STAFF_JD, own, DOCX)
    [entry] = _exports()
    assert (entry.actor, entry.actor_county, entry.county_code) == ("staff_jd", JIANDE, JIANDE)
    assert f"{year} 年度工作报告" in entry.summary and "建德市" in entry.summary


def test_a_year_not_begun_or_an_unknown_county_is_refused(roster_db):
    from core.report.build import ReportRefused, build_report

    with pytest.raises(ReportRefused, match="年度须在"):
        build_report(MANAGER, _year() + 2, None)
    with pytest.raises(ReportRefused, match="没有这个区县"):
        build_report(MANAGER, _year(), ("999999",))


def test_the_city_report_is_titled_with_the_citys_name(roster_db, tmp_path, monkeypatch):
    from core.report.build import build_report
    from core.settings.counties import DEFAULT_FILE

    assert build_report(MANAGER, _year(), None).title == f"杭州市 {_year()} 年度工作报告"
    # another city's county list, without its name: the title says 全市, never 杭州市
    other = tmp_path / "counties.csv"
    other.write_text(DEFAULT_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("JIANGXIN_COUNTIES_FILE", str(other))
    assert build_report(MANAGER, _year(), None).title == f"全市 {_year()} 年度工作报告"
    monkeypatch.setenv("JIANGXIN_CITY_NAME", "湖州市")
    assert build_report(MANAGER, _year(), None).title == f"湖州市 {_year()} 年度工作报告"


# --- the command line ---------------------------------------------------------------------


def test_the_command_line_writes_both_files_and_audits_them(roster_db, tmp_path, capsys):
    from docx import Document

    from core.cli import main

    year = str(_year())
    assert main(["report", "--year", year, "--county", JIANDE, str(tmp_path / "r.docx")]) == 0
    assert main(["report", "--year", year, str(tmp_path / "r.xlsx")]) == 0
    assert "建德市" in capsys.readouterr().out
    assert Document(tmp_path / "r.docx").paragraphs[0].text == f"建德市 {year} 年度工作报告"
    check_tables(xlsx_tables((tmp_path / "r.xlsx").read_bytes())[1], expected(int(year), None), None)
    entries = _exports()
    assert [e.county_code for e in entries] == [JIANDE, None]
    assert all(e.actor.startswith("cli:") for e in entries)
    assert "Word" in entries[0].summary and "Excel" in entries[1].summary

    for args, message in (
        (["--year", str(int(year) + 2), "x.docx"], "the year must be from"),
        (["--year", year, "--county", "999", "x.docx"], "unknown county code 999"),
        (["--year", year, "x.pdf"], "must end in .docx"),
        (["--year", year, str(tmp_path / "no" / "x.docx")], "no such folder"),
    ):
        assert main(["report", *args]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert len(_exports()) == 2 and not (tmp_path / "x.docx").exists()


# --- the page -----------------------------------------------------------------------------


def test_the_page_previews_the_city_then_a_county_for_a_manager(roster_db):
    at = signed_in_app("manager", page="core-report")
    assert not at.exception
    year = at.selectbox(key="report_year")
    assert year.value in (_year(), _year() + 1)
    year.set_value(_year()).run()
    want = expected(_year(), None)
    shown = texts(at)
    assert f"全市在册劳模工匠 {sum(want['headcount'].values()):,} 人" in shown
    assert len(at.dataframe) == 3 and len(at.get("vega_lite_chart")) == 2
    assert [b.proto.label for b in at.get("download_button")] == ["下载 Word 文档", "下载 Excel 表格"]

    at.selectbox(key="report_county").set_value(JIANDE).run()
    jiande = expected(_year(), JIANDE)
    assert f"建德市在册劳模工匠 {sum(jiande['headcount'].values()):,} 人" in texts(at)

    # a year without approvals: its waits are shown as —, never as the grid's English None
    year.set_value(_year() - 8).run()  # the oldest year offered
    waits = at.dataframe[2].value
    assert "全年没有审核通过的变动申请" in texts(at)
    assert set(waits["中位等待（天）"]) == {"—"} and "None" not in texts(at)


def test_the_page_locks_county_staff_to_their_county(roster_db):
    at = signed_in_app("staff_jd", page="core-report")
    assert not at.exception
    [scope] = [s for s in at.selectbox if s.label == "范围"]
    assert scope.disabled and scope.options == ["建德市"]
    assert "建德市在册劳模工匠" in texts(at) and "全市在册" not in texts(at)
    assert len(at.dataframe) == 3 and len(at.get("vega_lite_chart")) == 2


def test_the_page_is_closed_to_reviewers(roster_db):
    at = signed_in_app("reviewer", page="core-report")
    assert "无权访问" in texts(at) and not at.get("download_button")

