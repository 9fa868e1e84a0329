"""The construction standard (建设标准) as data: the city's default checklist, finding the
standard a studio's review uses, and the grade a total earns.

A standard belongs to a year and to the city (``models.CITY``) or one county; a county's own
standard, where it has one, is the one its studios are reviewed against.
"""

from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.access.permissions import PermissionDenied, require
from core.data.db import utcnow
from plugins.workshops.models import CITY, Criterion, Standard
from plugins.workshops.queries import StudioError, check_county, counties_of
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


# --- editing the standard (H1): copying a year, saving the checklist, who may do either ---

MAX_TITLE, MAX_DESCRIPTION, MAX_WEIGHT = 100, 500, 1000.0
FIRST_YEAR = 2000  # the earliest year a standard may be kept for
NO_STANDARD = "找不到该建设标准"


class StandardError(StudioError):
    """A standard that cannot be copied or saved as asked; the message is Chinese."""


def scope_name(county_code: str) -> str:
    """全市 for the city's default, else the county's name."""
    from core.settings.counties import county_name

    return "全市" if county_code == CITY else county_name(county_code)


def may_edit(user, county_code: str) -> bool:
    """Whether ``user`` may create or change the standard of ``county_code``: it needs
    workshops.standard; the city's (``CITY``) only an administrator, a county's only users of
    that county (or of the whole city)."""
    from core.host.loader import get_host

    if user is None or not get_host().allowed(user, "workshops.standard"):
        return False
    if county_code == CITY:
        return user.role == "admin" and counties_of(user) is None
    counties = counties_of(user)
    return counties is None or county_code in counties


def _check_may_edit(user, county_code: str) -> None:
    require(user, "workshops.standard")
    if county_code == CITY:
        if user.role != "admin" or counties_of(user) is not None:
            raise PermissionDenied("全市建设标准只能由管理员修改")
    else:
        check_county(user, county_code)


def copy_source(session: Session, year: int, county_code: str = CITY) -> Standard | None:
    """What a new ``year`` standard of ``county_code`` starts from: the scope's latest earlier
    standard; for a county without one, the city's latest (that year's included); None: the
    default checklist."""
    def latest(scope: str, before: int) -> Standard | None:
        return session.scalars(select(Standard).where(Standard.county_code == scope, Standard.year < before)
                               .order_by(Standard.year.desc()).limit(1)).first()

    found = latest(county_code, year)
    if found is None and county_code != CITY:
        found = latest(CITY, year + 1)
    return found


def _new_title(source: Standard | None, year: int, county_code: str) -> str:
    if source is not None and source.county_code == county_code and str(source.year) in source.title:
        return source.title.replace(str(source.year), str(year))[:MAX_TITLE]
    scope = "" if county_code == CITY else scope_name(county_code)
    return f"{year} 年度{scope}工作室建设标准"


def copy_to_year(session: Session, user, year: int, county_code: str = CITY) -> Standard:
    """``year``'s standard of ``county_code`` (the city's by default), made as a copy of what
    :func:`copy_source` finds (or the default checklist), to be edited afterwards. Refused
    (StandardError) when that year's standard of that scope exists already."""
    _check_may_edit(user, county_code)
    from core.settings import clock

    if not isinstance(year, int) or not FIRST_YEAR <= year <= clock.this_year() + 1:
        raise StandardError(f"年度须在 {FIRST_YEAR} 到 {clock.this_year() + 1} 之间")
    if session.scalar(select(Standard.id).where(Standard.year == year, Standard.county_code == county_code)):
        raise StandardError(f"{year} 年度{scope_name(county_code)}建设标准已存在，请直接修改")
    source = copy_source(session, year, county_code)
    if source is None:
        standard = new_default_standard(year, county_code=county_code, title=_new_title(None, year, county_code))
        origin = "默认标准"
    else:
        standard = Standard(year=year, county_code=county_code, title=_new_title(source, year, county_code),
                            excellent_min=source.excellent_min, good_min=source.good_min,
                            pass_min=source.pass_min, copied_from_id=source.id)
        for c in source.criteria:
            standard.criteria.append(Criterion(part=c.part, part_order=c.part_order, position=c.position,
                                               title=c.title, description=c.description, weight=c.weight))
        origin = f" {source.year} 年度{scope_name(source.county_code)}标准"
    standard.updated_by = user.username
    standard._audit_summary = f"新建 {year} 年度{scope_name(county_code)}建设标准（复制自{origin}）"
    try:
        with session.begin_nested():  # (it flushes what is pending first: add the standard inside)
            session.add(standard)
            session.flush()
    except IntegrityError as exc:  # made at the same moment by someone else
        raise StandardError(f"{year} 年度{scope_name(county_code)}建设标准已存在，请直接修改") from exc
    return standard


def finite_number(value) -> float | None:
    """``value`` as a finite float, or None when empty or not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value) -> str:
    if value is None or isinstance(value, float) and math.isnan(value):
        return ""
    return str(value).strip()


def check_criteria(criteria: list[dict]) -> list[dict]:
    """The checklist as saved: each row's part, title, weight and description checked (a
    StandardError naming the first bad row, 第 N 行, counted from 1), ordered by part."""
    if not criteria:
        raise StandardError("建设标准至少需要一个条目")
    rows, titles = [], {}
    for n, raw in enumerate(criteria, start=1):
        part, title, description = _text(raw.get("part")), _text(raw.get("title")), _text(raw.get("description"))
        weight = finite_number(raw.get("weight"))
        if part not in PARTS:
            raise StandardError(f"第 {n} 行：部分须为{'、'.join(PARTS)}之一")
        if not title:
            raise StandardError(f"第 {n} 行：请填写条目名称")
        if len(title) > MAX_TITLE:
            raise StandardError(f"第 {n} 行（{title[:20]}…）：条目名称不能超过 {MAX_TITLE} 个字")
        if title in titles:
            raise StandardError(f"第 {n} 行（{title}）：与第 {titles[title]} 行的条目名称重复")
        titles[title] = n
        if weight is None:
            raise StandardError(f"第 {n} 行（{title}）：请填写分值（数字）")
        if weight <= 0:
            raise StandardError(f"第 {n} 行（{title}）：分值须大于 0")
        if weight > MAX_WEIGHT:
            raise StandardError(f"第 {n} 行（{title}）：分值不能超过 {MAX_WEIGHT:g}")
        if len(description) > MAX_DESCRIPTION:
            raise StandardError(f"第 {n} 行（{title}）：说明不能超过 {MAX_DESCRIPTION} 个字")
        identity = raw.get("id")
        identity = int(identity) if finite_number(identity) is not None else None
        rows.append({"id": identity, "part": part, "title": title, "weight": weight,
                     "description": description or None})
    return sorted(rows, key=lambda r: PARTS.index(r["part"]))  # stable: the order within a part stays


def check_thresholds(thresholds: dict, full_marks: float) -> tuple[float, float, float]:
    """(优秀, 良好, 合格) as numbers with 优秀 > 良好 > 合格 > 0 and 优秀 ≤ ``full_marks``."""
    values = []
    for grade in (EXCELLENT, GOOD, PASS):
        value = finite_number(thresholds.get(grade))
        if value is None:
            raise StandardError(f"请填写{grade}分数线（数字）")
        values.append(value)
    excellent, good, pass_ = values
    if not excellent > good > pass_ > 0:
        raise StandardError(f"分数线须满足 优秀（{excellent:g}）＞ 良好（{good:g}）＞ 合格（{pass_:g}）＞ 0")
    if excellent > full_marks:
        raise StandardError(f"优秀分数线（{excellent:g}）不能高于各条目分值合计（{full_marks:g}）")
    return excellent, good, pass_


def save_standard(session: Session, user, standard_id: int, criteria: list[dict], thresholds: dict) -> Standard:
    """Replace the checklist and thresholds of standard ``standard_id``.

    ``criteria``: dicts with part, title, weight and description (and ``id``, an existing
    criterion of this standard kept as the same row); ``thresholds``: {优秀: …, 良好: …, 合格: …}.
    Everything is checked before anything is written (StandardError names the row); past
    reviews keep their own copy of the checklist, so they are not changed."""
    require(user, "workshops.standard")
    standard = session.get(Standard, standard_id)
    if standard is None:
        raise StandardError(NO_STANDARD)
    _check_may_edit(user, standard.county_code)
    rows = check_criteria(criteria)
    excellent, good, pass_ = check_thresholds(thresholds, sum(r["weight"] for r in rows))
    existing = {c.id: c for c in standard.criteria}
    kept, positions = [], {}
    for row in rows:
        positions[row["part"]] = positions.get(row["part"], 0) + 1
        criterion = existing.pop(row["id"], None) if row["id"] is not None else None
        if criterion is None:
            criterion = Criterion()
        criterion.part, criterion.part_order = row["part"], PARTS.index(row["part"])
        criterion.position, criterion.title = positions[row["part"]], row["title"]
        criterion.weight, criterion.description = row["weight"], row["description"]
        kept.append(criterion)
    standard.criteria = kept  # the rows left in ``existing`` are deleted (delete-orphan)
    standard.excellent_min, standard.good_min, standard.pass_min = excellent, good, pass_
    standard.updated_by = user.username
    standard.updated_at = utcnow()
    total = sum(r["weight"] for r in rows)
    standard._audit_summary = (f"修改 {standard.year} 年度{scope_name(standard.county_code)}建设标准："
                               f"{len(rows)} 个条目，满分 {total:g}，优秀 {excellent:g}、良好 {good:g}、合格 {pass_:g}")
    session.flush()
    return standard
