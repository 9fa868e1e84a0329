"""The construction standard (建设标准) as data: the city's default checklist, finding the
standard a studio's review uses, and the grade a total earns.

A standard belongs to a year and to the city (``models.CITY``) or one county; a county's own
standard, where it has one, is the one its studios are reviewed against.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugins.workshops.models import CITY, Criterion, Standard
from plugins.workshops.vocab import DEFAULT_THRESHOLDS, EXCELLENT, FAIL, GOOD, PARTS, PASS

# the city's default checklist, after the published county standards: (part, title, weight,
# description); the weights add up to 100
DEFAULT_CRITERIA: tuple[tuple[str, str, float, str], ...] = (
    ("组织架构", "领办人", 10, "领办人为劳模、工匠或技能大师，在岗并实际主持工作室"),
    ("组织架构", "团队成员", 8, "成员不少于 5 人，结构合理，分工明确"),
    ("组织架构", "依托单位支持", 7, "依托单位明确分管领导，提供经费和人员保障"),
    ("职责任务", "技术攻关", 12, "每年承担技术攻关或创新项目，有立项和结题记录"),
    ("职责任务", "带徒传技", 12, "签订师徒协议，年度带徒不少于 3 人"),
    ("职责任务", "成果转化", 11, "专利、技术革新和合理化建议在生产中应用，有经济效益"),
    ("场所设施", "固定场所", 10, "有固定场所，面积满足研修、交流需要，统一标识上墙"),
    ("场所设施", "设备资料", 10, "配备开展攻关和培训所需的设备、图书和资料"),
    ("制度", "管理制度", 10, "有学习、攻关、带徒、考核等制度并上墙"),
    ("制度", "台账档案", 10, "活动记录、成果台账完整，按年度归档"),
)


def grade_for(total: float, excellent_min: float, good_min: float, pass_min: float) -> str:
    """The grade of ``total`` by a standard's thresholds (each the least total of its grade)."""
    if total >= excellent_min:
        return EXCELLENT
    if total >= good_min:
        return GOOD
    if total >= pass_min:
        return PASS
    return FAIL


def standard_for(session: Session, year: int, county_code: str) -> Standard | None:
    """The standard a studio of ``county_code`` is reviewed against in ``year``: the county's
    own when it keeps one, else the city's default; None when neither exists for that year."""
    found = {s.county_code: s for s in session.scalars(
        select(Standard).where(Standard.year == year, Standard.county_code.in_((county_code, CITY))))}
    return found.get(county_code) or found.get(CITY)


def new_default_standard(year: int, *, county_code: str = CITY, title: str | None = None) -> Standard:
    """A standard of ``year`` with the city's default checklist and thresholds (not added to any
    session), for a fresh database or the demo."""
    standard = Standard(year=year, county_code=county_code,
                        title=title or f"{year} 年度工作室建设标准",
                        excellent_min=DEFAULT_THRESHOLDS[EXCELLENT],
                        good_min=DEFAULT_THRESHOLDS[GOOD], pass_min=DEFAULT_THRESHOLDS[PASS])
    positions: dict[str, int] = {}
    for part, title_, weight, description in DEFAULT_CRITERIA:
        positions[part] = positions.get(part, 0) + 1
        standard.criteria.append(Criterion(part=part, part_order=PARTS.index(part),
                                           position=positions[part], title=title_,
                                           description=description, weight=float(weight)))
    return standard
