"""The studios' contributions to core: overview tiles, to-dos and the yearly report's section,
each checked against raw SQL on the demo database (roster + studios), county scope included."""

from __future__ import annotations

import datetime as dt
import sqlite3
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import make_url

from core.access.auth import CurrentUser
from core.data.db import read_session
from core.host.metrics import MetricContext
from core.host.todos import NORMAL, SOON, collect_todos
from tests.helpers import ACCOUNTS, signed_in_app

JIANDE, CHUNAN = "330182", "330127"
# the demo's years count back from this year (as the demo template was made)
THIS_YEAR = dt.datetime.now(ZoneInfo("Asia/Shanghai")).year
LAST, BEFORE = THIS_YEAR - 1, THIS_YEAR - 2


@pytest.fixture
def db(studios_db, monkeypatch) -> str:
    """The demo database's file; the clock set to 20 November of this year (Beijing), before
    the year's last month."""
    from core.settings import clock

    monkeypatch.setattr(clock, "_utc_now", lambda: dt.datetime(THIS_YEAR, 11, 20, 2, 0, tzinfo=dt.UTC))
    return make_url(studios_db).database


def sql(path: str, query: str, *args):
    with sqlite3.connect(path) as conn:
        return conn.execute(query, args).fetchall()


def one(path: str, query: str, *args):
    return sql(path, query, *args)[0][0]


def scope(county: str | None, column: str = "county_code") -> str:
    return f" AND {column} = '{county}'" if county else ""


def user(username: str, county: str | None = "same") -> CurrentUser:
    _, name, role, own = next(a for a in ACCOUNTS if a[0] == username)
    return CurrentUser(username, name, role, own if county == "same" else county)


# --- the oracle: what each tile must count, in raw SQL -----------------------------------------


def oracle(path: str, county: str | None, year: int) -> dict[str, int]:
    s = scope(county)
    ss = scope(county, "s.county_code")
    reviewed = one(path, f"SELECT count(*) FROM workshops_review WHERE year = ?{s}", year)
    due = one(path, f"""SELECT count(*) FROM workshops_studio st WHERE status = '运行' AND named_year <= ?
                        AND NOT EXISTS (SELECT 1 FROM workshops_review r WHERE r.studio_id = st.id AND r.year = ?)
                        {scope(county, 'st.county_code')}""", year, year)
    patents = one(path, f"""SELECT coalesce(sum(patents_invention + patents_utility + patents_design), 0)
                            FROM workshops_output WHERE year = ?{s}""", year)
    # every studio's people, the deceased too; a typed name (no id) is one person per row
    people = sql(path, f"""SELECT m.id, m.person_id FROM workshops_member m
                           JOIN workshops_studio s ON s.id = m.studio_id WHERE m.honour_level = '全国'{ss}""")
    return {
        "workshops-by-kind": one(path, f"SELECT count(*) FROM workshops_studio WHERE status != '摘牌'{s}"),
        "workshops-reviews": reviewed, "due": reviewed + due,
        "workshops-grades": reviewed,
        "workshops-output": patents,
        "workshops-honoured": len({pid if pid is not None else f"row {mid}" for mid, pid in people}),
        "workshops-leaders": one(path, f"SELECT count(*) FROM workshops_studio WHERE needs_new_leader = 1 "
                                       f"AND status != '摘牌'{s}"),
    }


def computed(county: str | None, year: int | None):
    from core.host.loader import get_host

    metrics = {k: m for k, m in get_host().metrics.items() if k.startswith("workshops-")}
    with read_session() as s:
        ctx = MetricContext(session=s, counties=(county,) if county else None, year=year)
        return {key: metric.compute(ctx) for key, metric in metrics.items()}


@pytest.mark.parametrize(("county", "year"), [(None, None), (JIANDE, None), (CHUNAN, LAST), (None, BEFORE)])
def test_each_tile_counts_what_raw_sql_counts(db, county, year):
    results = computed(county, year)
    assert sorted(results) == sorted(["workshops-by-kind", "workshops-reviews", "workshops-grades",
                                      "workshops-output", "workshops-honoured", "workshops-leaders"])
    want = oracle(db, county, year or THIS_YEAR)
    for key, result in results.items():
        assert result.value == want[key], key
    the_year = year or THIS_YEAR
    assert results["workshops-reviews"].caption == f"{the_year} 年应评 {want['due']} 家，已评 {want['workshops-reviews']} 家"
    # the grade chart's bars add up to the number, each bar what raw SQL counts for its grade
    grades = dict(sql(db, f"SELECT grade, count(*) FROM workshops_review WHERE year = ?{scope(county)} "
                          "GROUP BY grade", the_year))
    assert {r["等次"]: r["工作室数"] for r in results["workshops-grades"].rows} == {
        g: grades.get(g, 0) for g in ("优秀", "良好", "合格", "不合格")}
    chart = results["workshops-grades"].chart
    assert "工作室数" in chart.to_dict()["title"]["text"]
    assert sorted(chart.data["工作室数"]) == sorted([*grades.values()] + [0] * (4 - len(grades)))
    # output against the year before: the caption says the change in patents
    before = oracle(db, county, the_year - 1)["workshops-output"]
    now = want["workshops-output"]
    caption = results["workshops-output"].caption
    assert (f"减少 {before - now:,} 件" if now < before else f"增加 {now - before:,} 件") in caption or now == before
    # the honoured tile's chart: the national bar is the number
    honoured = {r["荣誉级别"]: r["人数"] for r in results["workshops-honoured"].rows}
    assert honoured["全国级"] == want["workshops-honoured"]
    # every tile's rows are there for the Excel download
    assert all(result.rows for result in results.values() if result.value)


def test_jiande_looks_like_changxing_on_the_overview(db):
    results = computed(JIANDE, None)
    assert results["workshops-by-kind"].value == 12
    assert results["workshops-honoured"].value == 17
    assert results["workshops-leaders"].value == 1  # the leader who died


# --- the overview, as county staff and the administrator see it -----------------------------------


def tiles(at) -> dict:
    found = {}

    def walk(node):
        for child in getattr(node, "children", {}).values():
            if getattr(child, "type", None) == "metric":
                found[child.label] = node
            else:
                walk(child)

    walk(at.main)
    return found


def link_of(block) -> tuple[str, dict[str, str]]:
    [link] = block.get("page_link")
    return link.proto.page, dict(parse_qsl(link.proto.query_string))


TITLES = {"workshops-by-kind": "在册工作室", "workshops-reviews": "年度评审进度",
          "workshops-grades": "年度评审等次", "workshops-output": "年度成果（专利）",
          "workshops-honoured": "全国级荣誉成员", "workshops-leaders": "需更换领办人"}


def test_county_staff_see_their_countys_figures_only_and_links_list_the_same(db):
    at = signed_in_app("staff_jd", page="core-overview")
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    want = oracle(db, JIANDE, THIS_YEAR)
    city = oracle(db, None, THIS_YEAR)
    for key, title in TITLES.items():
        assert shown[title] == str(want[key]), title
    assert city["workshops-by-kind"] > want["workshops-by-kind"]  # the city has more: staff_jd sees 建德 only
    blocks = tiles(at)
    links = {key: link_of(blocks[title]) for key, title in TITLES.items()}
    assert links["workshops-by-kind"] == ("workshops-list", {"county": JIANDE})
    assert links["workshops-grades"] == ("workshops-list", {"county": JIANDE, "year": str(THIS_YEAR), "grade": "已评审"})
    assert links["workshops-leaders"] == ("workshops-list", {"county": JIANDE, "flag": "leader"})
    assert links["workshops-honoured"] == ("workshops-output", {"county": JIANDE, "level": "全国"})
    assert links["workshops-output"] == ("workshops-output", {"county": JIANDE, "year": str(THIS_YEAR)})
    assert links["workshops-reviews"][1] == {"county": JIANDE}


def test_a_chosen_year_reaches_the_review_tiles_and_not_the_headcounts(db):
    at = signed_in_app("admin", page="core-overview")
    at.selectbox(key="overview_year").select(LAST).run()
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    want = oracle(db, None, LAST)
    assert shown["年度评审等次"] == str(want["workshops-grades"])
    assert shown["在册工作室"] == str(want["workshops-by-kind"])
    blocks = tiles(at)
    assert link_of(blocks["年度评审等次"]) == ("workshops-list", {"year": str(LAST), "grade": "已评审"})
    assert link_of(blocks["在册工作室"]) == ("workshops-list", {})  # headcount now: no year
    assert link_of(blocks["需更换领办人"]) == ("workshops-list", {"flag": "leader"})


# --- to-dos ---------------------------------------------------------------------------------------


def removal_oracle(path: str, county: str | None) -> int:
    """Studios not removed whose latest review and the one of the year before are 不合格 (in Python)."""
    reviews: dict[int, dict[int, str]] = {}
    for studio, year, grade in sql(path, "SELECT studio_id, year, grade FROM workshops_review"):
        reviews.setdefault(studio, {})[year] = grade
    studios = sql(path, f"SELECT id FROM workshops_studio WHERE status != '摘牌'{scope(county)}")
    n = 0
    for (sid,) in studios:
        years = reviews.get(sid, {})
        if years:
            latest = max(years)
            n += years[latest] == "不合格" and years.get(latest - 1) == "不合格"
    return n


def studio_todos(username: str, county: str | None = "same") -> dict[str, tuple]:
    with read_session() as s:
        return {t.key: (t.count, t.urgency, t.link, t.link_params)
                for t in collect_todos(s, user(username, county)) if t.key.startswith("workshops-")}


def test_each_role_gets_its_studio_to_dos_with_raw_sql_counts(db):
    leaders_jd = oracle(db, JIANDE, THIS_YEAR)["workshops-leaders"]
    due = {c: oracle(db, c, THIS_YEAR)["due"] - oracle(db, c, THIS_YEAR)["workshops-reviews"]
           for c in (None, JIANDE)}
    assert leaders_jd == 1 and due[JIANDE] > 0
    assert studio_todos("staff_jd") == {
        "workshops-leaders": (1, SOON, "workshops-list", {"flag": "leader"}),
        "workshops-reviews-due": (due[JIANDE], NORMAL, "workshops-review", {}),
    }
    assert studio_todos("reviewer") == {"workshops-reviews-due": (due[None], NORMAL, "workshops-review", {})}
    proposals = removal_oracle(db, None)
    assert proposals >= 3
    admin = studio_todos("admin")
    assert admin["workshops-removal"] == (proposals, NORMAL, "workshops-review", {})
    assert admin["workshops-leaders"][0] == oracle(db, None, THIS_YEAR)["workshops-leaders"]
    assert studio_todos("manager") == {}


def test_reviews_due_become_urgent_in_december(db, monkeypatch):
    from core.settings import clock

    monkeypatch.setattr(clock, "_utc_now", lambda: dt.datetime(THIS_YEAR, 11, 30, 17, 0, tzinfo=dt.UTC))  # 1 Dec, 01:00
    assert studio_todos("reviewer")["workshops-reviews-due"][1] == SOON


def test_to_dos_disappear_at_zero_and_stay_in_the_users_counties(db):
    # staff_jd moved to 淳安 sees 淳安's
    chunan = oracle(db, CHUNAN, THIS_YEAR)
    got = studio_todos("staff_jd", county=CHUNAN)
    assert got.get("workshops-reviews-due", (0,))[0] == chunan["due"] - chunan["workshops-reviews"]
    assert got.get("workshops-leaders", (0,))[0] == chunan["workshops-leaders"]
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE workshops_studio SET needs_new_leader = 0")
        conn.execute("INSERT INTO workshops_review (studio_id, year, county_code, standard_title, excellent_min, "
                     "good_min, pass_min, total, full_marks, grade, reviewer, reviewed_at) "
                     f"SELECT id, {THIS_YEAR}, county_code, 't', 90, 80, 60, 85, 100, '良好', 'x', '{THIS_YEAR}-06-01' "
                     "FROM workshops_studio s WHERE county_code = '330182' AND status = '运行' AND NOT EXISTS "
                     f"(SELECT 1 FROM workshops_review r WHERE r.studio_id = s.id AND r.year = {THIS_YEAR})")
    assert studio_todos("staff_jd") == {}
    assert "workshops-reviews-due" in studio_todos("reviewer")


# --- the yearly report ----------------------------------------------------------------------------


def test_the_report_section_says_the_figures_of_the_year(db):
    from plugins.workshops.report import sections

    with read_session() as s:
        [section] = sections(s, LAST, (JIANDE,))
    assert section.title == "工作室"
    grades = dict(sql(db, "SELECT grade, count(*) FROM workshops_review WHERE year = ? AND county_code = ? "
                          "GROUP BY grade", LAST, JIANDE))
    reviewed = sum(grades.values())
    assert "建德市共有工作室 12 家" in section.text
    assert f"{LAST} 年度评审工作室 {reviewed} 家，其中" in section.text
    for grade, n in grades.items():
        assert f"{grade} {n} 家" in section.text
    now, before = oracle(db, JIANDE, LAST)["workshops-output"], oracle(db, JIANDE, BEFORE)["workshops-output"]
    word = "增加" if now > before else "减少"
    assert f"专利 {now:,} 件（比上年{word} {abs(now - before)} 件" in section.text
    assert "获全国级荣誉的 17 人" in section.text
    by_kind, by_grade, output = section.tables
    assert by_kind.rows[-1]["合计"] == 12
    levels = dict(sql(db, "SELECT level, count(*) FROM workshops_studio WHERE county_code = ? AND status != '摘牌' "
                          "GROUP BY level", JIANDE))
    assert {k: v for k, v in by_kind.rows[-1].items() if k in levels} == levels
    assert by_grade.rows == [{"区县": "建德市", **{g: grades.get(g, 0) for g in ("优秀", "良好", "合格", "不合格")},
                              "已评审": reviewed, "未评审": 0}]
    assert output.rows[0] == {"指标": "专利合计", f"{LAST} 年": now, f"{BEFORE} 年": before, "增减": now - before}
    assert [c.to_dict()["title"]["text"] for c in section.charts] == [
        f"建德市 {LAST} 年各评审等次的工作室数", f"建德市 {LAST} 年与 {BEFORE} 年工作室各项成果数量"]


def test_the_citys_report_of_the_year_under_way_counts_the_studios_still_due(db):
    from plugins.workshops.report import sections

    with read_session() as s:
        [section] = sections(s, THIS_YEAR, None)
    want = oracle(db, None, THIS_YEAR)
    assert f"全市共有工作室 {want['workshops-by-kind']:,} 家" in section.text
    assert f"尚有 {want['due'] - want['workshops-reviews']:,} 家待评审" in section.text
    removed = one(db, "SELECT count(DISTINCT studio_id) FROM workshops_status_change WHERE status = '摘牌' "
                      f"AND \"on\" BETWEEN '{THIS_YEAR}-01-01' AND '{THIS_YEAR}-12-31'")
    assert f"{THIS_YEAR} 年摘牌 {removed} 家" in section.text
    [total] = [r for r in section.tables[1].rows if r["区县"] == "合计"]
    assert total["已评审"] == want["workshops-reviews"]


def test_tiles_to_dos_and_report_on_postgresql(pg_roster, monkeypatch):
    """The demo (no roster people: typed names) on PostgreSQL, every tile, to-do and the report
    computed there: 建德's figures as the demo makes them."""
    from faker import Faker

    from core.data.audit import Actor
    from core.data.db import session_scope
    from plugins.workshops import jiangxin_demo_data
    from plugins.workshops.report import sections

    faker = Faker("zh_CN")
    with session_scope(Actor("fixture", "admin"), url=pg_roster) as s:
        jiangxin_demo_data(session=s, faker=faker, seed=7)
    results = computed(JIANDE, None)
    assert results["workshops-by-kind"].value == 12
    assert results["workshops-honoured"].value == 17
    assert results["workshops-leaders"].value == 1
    assert all(r.chart is None or r.chart.to_dict() for r in computed(None, LAST).values())
    with read_session() as s:
        todos = {t.key: t.count for t in collect_todos(s, user("staff_jd"))}
        [section] = sections(s, THIS_YEAR, None)
    assert todos["workshops-leaders"] == 1 and todos["workshops-reviews-due"] > 0
    assert "获全国级荣誉的" in section.text


def test_a_national_honouree_in_two_studios_counts_once(db):
    from core.data.db import session_scope
    from tests.workshops_data import ADMIN, make_studio

    pid, name = sql(db, """SELECT m.person_id, m.name FROM workshops_member m JOIN workshops_studio s
                           ON s.id = m.studio_id WHERE s.county_code = ? AND m.honour_level = '全国'
                           AND m.person_id IS NOT NULL LIMIT 1""", JIANDE)[0]
    with session_scope(ADMIN) as s:
        studio = make_studio(s, name="新安江第二工作室", county=JIANDE, members=((pid, name),))
        studio.members[0].honour_level = "全国"
    results = computed(JIANDE, None)
    assert results["workshops-by-kind"].value == 13
    assert results["workshops-honoured"].value == 17
