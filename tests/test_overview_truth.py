"""The overview tells the truth (issue #11): each tile's chart draws what its number counts, the
year and county filters reach every number and chart, 查看明细 opens the same people, a tile at
0 says 暂无数据, the overdue count is on screen, and the wall screen fills and can be pinned."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import distinct, func, select

from core.data.db import read_session
from tests.helpers import signed_in_app, texts

JIANDE, CHUNAN = "330182", "330127"


def tiles(at) -> dict:
    """Each tile's block (the bordered container around its st.metric), by the tile's title."""
    found = {}

    def walk(node):
        for child in getattr(node, "children", {}).values():
            if getattr(child, "type", None) == "metric":
                found[child.label] = node
            else:
                walk(child)

    walk(at.main)
    return found


def values(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def chart_data(block):
    """The data of the one chart in a tile (a DataFrame), and its Vega-Lite spec."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    [chart] = block.get("vega_lite_chart")
    [dataset] = chart.proto.datasets
    return convert_arrow_bytes_to_pandas_df(dataset.data.data), json.loads(chart.proto.spec)


def link_of(block) -> tuple[str, dict[str, str]]:
    [link] = block.get("page_link")
    return link.proto.page, dict(parse_qsl(link.proto.query_string))


def captions(block) -> list[str]:
    from tests.helpers import shown

    return [shown(c.value) for c in block.get("caption")]


def overview(username: str = "admin", county: str | None = None, year: int | None = None):
    at = signed_in_app(username, page="core-overview")
    if county:
        at.selectbox(key="overview_county").select(county).run()
    if year:
        at.selectbox(key="overview_year").select(year).run()
    assert not at.exception
    return at


def national_gap_year(county: str) -> int:
    """A year the overview offers in which ``county``'s roster got honours but no national one."""
    from core.settings import clock
    from plugins.registry.models import Honour, Person

    with read_session() as s:
        by_year = dict(s.execute(
            select(Honour.year_awarded, func.count().filter(Honour.level == "全国"))
            .join(Person, Person.id == Honour.person_id)
            .where(Person.county_code == county, Person.status != "去世")
            .group_by(Honour.year_awarded)).all())
    years = [y for y in range(clock.this_year(), clock.this_year() - 10, -1) if by_year.get(y) == 0]
    assert years, "the demo roster has no such year"
    return years[0]


def test_a_tile_at_zero_says_no_data_instead_of_drawing_an_empty_axis(roster_db):
    year = national_gap_year(JIANDE)
    at = overview(county=JIANDE, year=year)
    national = tiles(at)["全国级荣誉获得者"]
    assert values(at)["全国级荣誉获得者"] == "0"
    assert not national.get("vega_lite_chart")
    assert "暂无数据" in captions(national)
    # a tile with something to count still draws its chart, and does not say 暂无数据
    levels_drawn = tiles(at)["在册劳模工匠"]
    assert levels_drawn.get("vega_lite_chart") and "暂无数据" not in captions(levels_drawn)


def roster_total(query: dict[str, str], username: str = "admin") -> int:
    """The count 人员名册 shows when opened with ``query`` (a tile's 查看明细 link)."""
    import re

    at = signed_in_app(username, page="registry-people", query=query)
    assert not at.exception
    found = re.search(r"共 (\d+) 人", texts(at))
    assert found, texts(at)
    return int(found[1])


def test_details_links_carry_the_tiles_filters_and_open_the_same_people(roster_db):
    from core.settings import clock

    year = clock.this_year() - 3
    at = overview(county=JIANDE, year=year)
    blocks, shown = tiles(at), values(at)

    assert link_of(blocks["全国级荣誉获得者"]) == (
        "registry-people", {"county": JIANDE, "year": str(year), "level": "全国"})
    assert link_of(blocks["在职人员"]) == (
        "registry-people", {"county": JIANDE, "year": str(year), "status": "在职"})
    assert link_of(blocks["在册劳模工匠"]) == ("registry-people", {"county": JIANDE, "year": str(year)})
    assert link_of(blocks["荣誉授予"]) == (
        "registry-people", {"county": JIANDE, "year": str(year), "status": "全部"})
    # pending changes are counted as they are now, whatever the year: the queue gets the county
    assert link_of(blocks["待审核变动"]) == ("registry-review", {"county": JIANDE})
    # the year's approvals: no page lists them, and the queue (pending only) is not what it counts
    assert blocks["本年度通过变动"].get("page_link") == []

    # each link opens the roster on the very people its tile counts
    for title in ("全国级荣誉获得者", "在职人员", "在册劳模工匠"):
        assert roster_total(link_of(blocks[title])[1]) == int(shown[title]) > 0, title
    honoured = next(c for c in captions(blocks["荣誉授予"]) if c.startswith("共 "))
    assert roster_total(link_of(blocks["荣誉授予"])[1]) == int(honoured.split()[1])


def test_the_national_tile_of_the_whole_city_opens_those_people_not_the_whole_roster(roster_db):
    at = overview()
    page, query = link_of(tiles(at)["全国级荣誉获得者"])
    assert query == {"level": "全国"}
    national = int(values(at)["全国级荣誉获得者"])
    assert roster_total(query) == national < int(values(at)["在册劳模工匠"])


def test_the_year_filter_changes_every_chart_with_its_number(roster_db):
    from core.settings import clock

    year = clock.this_year() - 3
    every_year, that_year = overview(), overview(year=year)
    for at in (every_year, that_year):
        blocks, shown = tiles(at), values(at)
        # the chart sums to the number, or its counted (darker) bar is the number
        for title, count in (("在册劳模工匠", "人数"), ("荣誉授予", "荣誉数"), ("待审核变动", "件数")):
            data, _ = chart_data(blocks[title])
            assert data[count].sum() == int(shown[title]), title
        for title, category, counted in (("全国级荣誉获得者", "级别", "全国"), ("在职人员", "状态", "在职")):
            data, spec = chart_data(blocks[title])
            assert spec["encoding"]["color"]["condition"]["test"] == f"(datum['{category}'] === '{counted}')"
            assert int(data.set_index(category).loc[counted, "人数"]) == int(shown[title]), title

    for title in ("在册劳模工匠", "全国级荣誉获得者", "在职人员", "荣誉授予"):
        before, after = chart_data(tiles(every_year)[title])[0], chart_data(tiles(that_year)[title])[0]
        assert values(every_year)[title] != values(that_year)[title], title
        assert not before.equals(after), title
    # the year's honours are drawn by level, not the years of every honour
    assert list(chart_data(tiles(that_year)["荣誉授予"])[0]["级别"]) == ["全国", "省级", "市级", "区县级"]


def test_charts_label_their_axes_in_chinese_and_counties_read_across(roster_db):
    at = overview()
    for title, block in tiles(at).items():
        for chart in block.get("vega_lite_chart"):
            spec = json.loads(chart.proto.spec)
            said = spec.get("title")  # what the chart draws, when it is not just the number
            assert not (said.get("text") if isinstance(said, dict) else said).isascii(), title
            for axis in ("x", "y"):
                encoding = spec["encoding"][axis]
                label = encoding.get("axis", {}).get("title") or encoding.get("title")
                assert label and not label.isascii(), (title, axis)
            for tip in spec["encoding"]["tooltip"]:
                assert not tip.get("title", tip["field"]).isascii(), title
    _, spec = chart_data(tiles(at)["在册劳模工匠"])
    # counties down the side, their names level; the bars run across
    assert spec["encoding"]["y"]["field"] == "区县" and spec["encoding"]["y"]["axis"]["labelAngle"] == 0
    assert spec["encoding"]["x"]["field"] == "人数"


def test_the_pending_tile_shows_its_overdue_count_without_hovering(roster_db):
    from plugins.registry.changes import count_pending

    with read_session() as s:
        pending, late = count_pending(s, (JIANDE,))
    assert late > 0
    at = overview(county=JIANDE)
    assert values(at)["待审核变动"] == str(pending)
    assert f"其中 {late} 件超过 7 天" in captions(tiles(at)["待审核变动"])


def test_the_wall_screen_pinned_to_a_county_shows_that_countys_figures(roster_db):
    wall = signed_in_app("manager", query={"wall": "1", "county": JIANDE})
    assert not wall.exception and not wall.selectbox and not wall.get("page_link")
    assert any("建德市" in m.value for m in wall.markdown)
    pinned = values(wall)
    city = values(signed_in_app("manager", query={"wall": "1"}))
    county = values(overview("manager", county=JIANDE))
    assert pinned == county and pinned != city
    assert pinned["在册劳模工匠"] != city["在册劳模工匠"]
    # the tiles fill rows across the screen: a column for each tile, none left empty
    assert len(wall.columns) == len(wall.metric) == 6
    assert all(column.get("metric") for column in wall.columns)


def test_a_county_user_cannot_pin_the_wall_to_another_county(roster_db):
    own = values(signed_in_app("staff_jd", query={"wall": "1", "county": JIANDE}))
    assert own == values(overview("staff_jd"))
    other = signed_in_app("staff_jd", query={"wall": "1", "county": CHUNAN})
    assert not other.metric
    assert "无权查看该区县的数据" in texts(other)


def test_the_tiles_service_refuses_a_county_outside_the_users_scope(roster_db):
    from core.access.auth import CurrentUser
    from core.access.permissions import PermissionDenied
    from core.ui import host
    from dashboard.overview_data import compute_tiles, pinned_counties

    staff = CurrentUser("staff_jd", "建德工作人员", "staff", JIANDE)
    metrics = list(host().metrics.values())
    with pytest.raises(PermissionDenied):
        compute_tiles(metrics, (CHUNAN,), None, staff)
    with pytest.raises(PermissionDenied):
        pinned_counties(staff, CHUNAN)
    with pytest.raises(LookupError):
        pinned_counties(staff, "999999")
    assert pinned_counties(staff, None) == (JIANDE,)
    # asked for the whole city, a county user gets their county's figures
    [(_, mine)] = [t for t in compute_tiles(metrics, None, None, staff) if t[0].key == "registry-people"]
    with read_session() as s:
        from plugins.registry.models import Person

        living = s.scalar(select(func.count(distinct(Person.id))).where(
            Person.county_code == JIANDE, Person.status != "去世"))
    assert mine.value == living


def test_the_tiles_sql_counts_the_same_on_postgresql(pg_roster):
    """Every roster tile, with and without the county and year, on PostgreSQL: a small roster
    whose figures are known (the demo roster is SQLite's)."""
    import datetime as dt

    from core.data.audit import Actor
    from core.data.db import session_scope
    from core.host.loader import get_host
    from core.host.metrics import MetricContext
    from plugins.registry.models import Honour, Person

    people = [("甲", JIANDE, "在职", [("全国劳动模范", 2023), ("杭州工匠", 2020)]),
              ("乙", JIANDE, "退休", [("浙江工匠", 2023)]),
              ("丙", JIANDE, "去世", [("大国工匠", 2023)]),
              ("丁", CHUNAN, "在职", [("全国先进工作者", 2021)]),
              ("戊", JIANDE, "在职", [("建德金匠", 2019)])]
    with session_scope(Actor("fixture", "admin")) as s:
        for i, (name, county, status, honours) in enumerate(people):
            s.add(Person(name=name, name_initials=name, gender="男", birth_date=dt.date(1970, 1, 1),
                         id_number=f"33018219700101{i:04d}", county_code=county, status=status,
                         honours=[Honour(name=h, level=_level(h), year_awarded=y) for h, y in honours]))
    metrics = {m.key: m for m in get_host().metrics.values() if m.key.startswith("registry-")}

    def figures(counties, year):
        with read_session() as s:
            ctx = MetricContext(session=s, counties=counties, year=year)
            return {key: m.compute(ctx).value for key, m in metrics.items()}

    assert figures(None, None) == {"registry-people": 4, "registry-levels": 2, "registry-status": 3,
                                   "registry-honours-per-year": 6, "registry-pending": 0,
                                   "registry-approvals": 0}
    assert figures((JIANDE,), 2023) == {"registry-people": 2, "registry-levels": 1,
                                        "registry-status": 1, "registry-honours-per-year": 3,
                                        "registry-pending": 0, "registry-approvals": 0}
    assert figures((CHUNAN,), 2023)["registry-levels"] == 0


def _level(honour: str) -> str:
    from plugins.registry.vocab import HONOURS

    return HONOURS[honour]
