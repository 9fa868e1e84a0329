"""The roster plugin: search in SQL within the user's county, masking, metrics, spreadsheets."""

from __future__ import annotations

import openpyxl
import pytest
from sqlalchemy import func, select

from core.access.auth import CurrentUser
from core.cli import main
from core.data.db import read_session
from core.data.models import AuditEntry
from plugins.registry.models import Honour, Person
from plugins.registry.queries import PersonFilter, count_people, find_people
from plugins.registry.vocab import mask_id, mask_phone
from tests.helpers import signed_in_app, texts
from tests.roster_pages import click_row
from tests.sheets import county_workbook, make_id, save


def scalar(stmt):
    with read_session() as s:
        return s.scalar(stmt)


def test_the_demo_roster_covers_every_county_with_honours_and_statuses(roster_db):
    with read_session() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 3000
        assert s.scalar(select(func.count(func.distinct(Person.county_code)))) == 13
        statuses = set(s.scalars(select(Person.status).distinct()))
        assert {"在职", "退休", "去世"} <= statuses
        assert s.scalar(select(func.count()).select_from(Honour)) > 3000
        assert s.scalar(select(func.count(func.distinct(Honour.level)))) == 4


def test_search_by_name_initials_and_id_fragment(roster_db):
    with read_session() as s:
        person = s.scalars(select(Person).where(Person.status == "在职").order_by(Person.id)).first()
        reviewer = CurrentUser("reviewer", "审核员乙", "reviewer", None)  # sees full numbers
        for text in (person.name, person.name_initials, person.id_number[-4:], person.id_number[6:14]):
            found = find_people(s, PersonFilter(text=text, viewer=reviewer), page_size=500)
            assert person.id in [p.id for p in found], text


def test_pinyin_initials_find_every_name_they_begin_and_no_other(roster_db):
    with read_session() as s:
        for typed in ("z", "zh", "wj", "ZJ", "y"):
            # the oracle: every living person's initials, compared in Python
            want = {i for i, initials in s.execute(select(Person.id, Person.name_initials)
                                                   .where(Person.status != "去世"))
                    if initials.startswith(typed.lower())}
            found = count_people(s, PersonFilter(text=typed))
            assert found == len(want), typed


def test_deceased_people_stay_on_file_but_leave_default_searches(roster_db):
    with read_session() as s:
        dead = s.scalar(select(func.count()).where(Person.status == "去世"))
        everyone = count_people(s, PersonFilter(include_deceased=True))
        assert dead > 0 and everyone == 3000
        assert count_people(s, PersonFilter()) == 3000 - dead
        assert count_people(s, PersonFilter(status="去世")) == dead


def test_filters_and_pages_are_done_in_sql(roster_db):
    with read_session() as s:
        flt = PersonFilter(counties=("330182",), level="全国")
        expected = s.scalar(
            select(func.count(func.distinct(Person.id))).join(Honour)
            .where(Person.county_code == "330182", Person.status != "去世", Honour.level == "全国"))
        assert count_people(s, flt) == expected
        first, second = find_people(s, PersonFilter(), page=1), find_people(s, PersonFilter(), page=2)
        assert len(first) == len(second) == 50
        assert [p.name for p in first] == sorted(p.name for p in first)
        assert not {p.id for p in first} & {p.id for p in second}


def test_masks():
    assert mask_id("33018219680503123X") == "330182********123X"
    assert mask_phone("13812345678") == "138****5678"


def test_staff_see_only_their_county_with_masked_numbers(roster_db):
    at = signed_in_app("staff_jd", page="registry-people")
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["所属区县"]) == {"建德市"}
    assert all("********" in number for number in table["公民身份号码"])
    total = scalar(select(func.count()).where(Person.county_code == "330182", Person.status != "去世"))
    assert f"共 {-(-total // 50)} 页，{total} 人" in at.number_input[0].label

    person_id = click_row(at, 1)
    shown = texts(at)
    with read_session() as s:
        person = s.get(Person, person_id)
    assert person.phone  # the demo roster gives everyone a phone: its mask is checked below
    assert mask_id(person.id_number) in shown and mask_phone(person.phone) in shown
    assert person.id_number not in shown  # never the full number, anywhere on the page
    assert person.id_number[6:14] not in shown  # nor its birth-date digits
    assert person.phone not in shown
    with read_session() as s:
        assert not s.scalar(select(func.count()).where(AuditEntry.action == "read_sensitive"))


def test_a_reviewer_reads_the_full_id_number_and_it_is_audited(roster_db):
    at = signed_in_app("reviewer", page="registry-people")
    person_id = click_row(at, 1)
    with read_session() as s:
        person = s.get(Person, person_id)
        assert person.id_number in texts(at)
        read = s.scalars(select(AuditEntry).where(AuditEntry.action == "read_sensitive")).all()
    assert [(r.actor, r.row_id) for r in read] == [("reviewer", str(person_id))]


def test_managers_see_metrics_and_masked_roster_but_not_the_import_page(roster_db):
    at = signed_in_app("manager")
    tiles = {m.label: m.value for m in at.metric}
    living = scalar(select(func.count()).where(Person.status != "去世"))
    assert tiles["在册劳模工匠"] == f"{living:,}" or tiles["在册劳模工匠"] == str(living)
    assert len(at.get("vega_lite_chart")) >= 3
    at = signed_in_app("manager", page="registry-io")
    assert [e.value for e in at.error] == ["无权访问"]


def test_county_staff_overview_counts_only_their_county(roster_db):
    at = signed_in_app("staff_jd", page="core-overview")
    tiles = {m.label: m.value for m in at.metric}
    living = scalar(select(func.count()).where(Person.county_code == "330182", Person.status != "去世"))
    assert tiles["在册劳模工匠"] in (str(living), f"{living:,}")


HEADER = ["序号", "姓名", "身份证号", "性别", "所属区县", "工作单位", "荣誉", "授予年份"]


def test_import_roster_dry_run_reports_each_bad_row(roster_db, tmp_path, capsys):
    rows = [[1, "新劳模", make_id("19800101", 111), "男", "建德市", "建德某厂", "建德金匠", 2024],
            [2, "新劳模", make_id("19800101", 111), "男", "建德市", "建德某厂", "杭州工匠", 2025],
            [3, "错性别", make_id("19810101", 113), "女", "建德市", "", "建德银匠", 2024],
            [4, "错荣誉", make_id("19820101", 115), "男", "建德市", "", "优秀员工", 2024]]
    path = save(county_workbook(rows, HEADER), tmp_path / "建德.xlsx")
    assert main(["import", "roster", path, "--dry-run"]) == 1
    out = capsys.readouterr().out
    assert "row 8, 性别: 与身份证号码不符（号码显示为男）" in out
    assert "row 9, 荣誉: “优秀员工”不是可选值" in out

    good = save(county_workbook(rows[:2], HEADER), tmp_path / "ok.xlsx")
    assert main(["import", "roster", good]) == 0
    with read_session() as s:
        person = s.scalar(select(Person).where(Person.id_number == make_id("19800101", 111)))
        names = set(s.scalars(select(Honour.name).where(Honour.person_id == person.id)))
    assert names == {"建德金匠", "杭州工匠"} and person.county_code == "330182"
    assert main(["import", "roster", good]) == 0  # again: both rows already present
    assert "already present, skipped: 2 rows" in capsys.readouterr().out


def test_export_roster_within_a_county_leaves_the_deceased_out(roster_db, tmp_path):
    out = tmp_path / "jd.xlsx"
    assert main(["export", "roster", str(out), "--county", "330182"]) == 0
    ws = openpyxl.load_workbook(out)["荣誉明细"]  # one row per honour (人员名单: one per person)
    header = [c.value for c in ws[1]]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    county, status = header.index("所属区县"), header.index("人员状态")
    assert rows and {r[county] for r in rows} == {"建德市"} and "去世" not in {r[status] for r in rows}
    expected = scalar(select(func.count()).select_from(Honour).join(Person)
                      .where(Person.county_code == "330182", Person.status != "去世"))
    assert len(rows) == expected

    everyone = tmp_path / "all.xlsx"  # asked for: the deceased are on file and exported
    assert main(["export", "roster_all", str(everyone), "--county", "330182"]) == 0
    statuses = {r[status] for r in openpyxl.load_workbook(everyone)["荣誉明细"].iter_rows(
        min_row=2, values_only=True)}
    assert "去世" in statuses


@pytest.mark.parametrize("page", ["registry-people", "registry-io"])
def test_roster_pages_signed_out_show_only_the_sign_in_form(roster_db, page):
    at = signed_in_app(None, page=page)
    assert [t.label for t in at.text_input] == ["用户名", "密码"] and not at.dataframe


def test_roster_models_and_migrations_agree(roster_db):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from core.data.db import Base, get_engine
    from core.data.migrate import include_owned
    from core.host.loader import get_host

    owned = set(get_host().table_owners)
    assert {"registry_person", "registry_honour"} <= owned
    with get_engine().connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_owned(owned)})
        assert compare_metadata(context, Base.metadata) == []


def test_an_export_only_table_refuses_imports_cleanly(roster_db, tmp_path, capsys):
    path = tmp_path / "x.xlsx"
    openpyxl.Workbook().save(path)
    assert main(["import", "roster_all", str(path)]) == 2
    assert "can only be exported" in capsys.readouterr().err


@pytest.mark.parametrize(("username", "counties", "scope"), [
    ("staff_jd", ("330182",), "建德市"), ("manager", None, "全市")])
def test_everyone_who_views_the_roster_exports_it_with_numbers_masked(roster_db, tmp_path,
                                                                       username, counties, scope):
    at = signed_in_app(username, page="registry-people")
    living = select(func.count()).select_from(Honour).join(Person).where(Person.status != "去世")
    if counties:
        living = living.where(Person.county_code.in_(counties))
    people = scalar(living.with_only_columns(func.count(func.distinct(Person.id))))
    button = next(b for b in at.button if b.label.startswith("导出这"))
    expected = scalar(living)
    assert button.label == f"导出这 {people} 人（{expected} 项荣誉）到 Excel（号码已隐藏）"
    button.click().run()
    assert [b.label for b in at.get("download_button")] == [f"下载（{people} 行）"]
    summary = scalar(select(AuditEntry.summary).where(AuditEntry.action == "export",
                                                      AuditEntry.actor == username))
    assert summary == (f"导出 劳模工匠名册（搜索结果，号码已隐藏） {people} 行（{scope}）"
                       f"；工作表“荣誉明细” {expected} 行")

    # a narrower search exports only what it finds: the 杭州工匠 rows of the people found
    at.selectbox(key="registry_honour").select("杭州工匠").run()
    next(b for b in at.button if b.label.startswith("导出这")).click().run()
    craftsmen = scalar(living.where(Honour.name == "杭州工匠")
                       .with_only_columns(func.count(func.distinct(Person.id))))
    assert 0 < craftsmen < people
    assert [b.label for b in at.get("download_button")] == [f"下载（{craftsmen} 行）"]
    # back to the first search: its earlier file is not offered (one file is kept, the newest)
    at.selectbox(key="registry_honour").select(None).run()
    assert at.get("download_button") == []

    # what the file holds: the same rows as the full export, but no number in full
    masked, full = tmp_path / "masked.xlsx", tmp_path / "full.xlsx"
    for table, path in (("roster_masked", masked), ("roster", full)):
        assert main(["export", table, str(path), "--county", "330182"]) == 0
    rows, full_rows = ([list(r) for r in openpyxl.load_workbook(path)["荣誉明细"].iter_rows(values_only=True)]
                       for path in (masked, full))
    header = rows[0]
    assert header == full_rows[0] and len(rows) == len(full_rows) > 1
    numbers, phones, births = (header.index(h) for h in ("公民身份号码", "联系电话", "出生日期"))
    for shown, whole in zip(rows[1:], full_rows[1:], strict=True):
        assert shown[numbers] == mask_id(whole[numbers]) != whole[numbers]
        assert shown[phones] == (mask_phone(whole[phones]) or None)
        assert shown[births] == f"{whole[births].year} 年"
        others = [i for i in range(len(header)) if i not in (numbers, phones, births)]
        assert [shown[i] for i in others] == [whole[i] for i in others]
    assert main(["import", "roster_masked", str(masked)]) == 2  # export only
