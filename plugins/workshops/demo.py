"""Demo studios: a few hundred across the counties, the same for the same seed on every machine.

People come from the roster through core (``core.host.people.get_people``), never from the
roster's tables: with the roster disabled nobody answers and the studios get names from
``faker`` (typed people, no id), with honours of their own. Each studio has a leader and 3 to
10 members of its county (living people first), the leader's employer as its host, three
years of standards (the city's default, and 建德市's own for this year), reviews scored per
criterion (the last two years for most studios, this year for about half: the rest are due),
output and funding. A few studios failed two years in a row (proposed for 摘牌), some are
暂停 or 摘牌 with their history.

建德市 looks like 长兴 in the source material: exactly 12 studios, and exactly 17 national
honourees (荣誉级别 全国) among their leaders and members; one of its studios has a leader who
died (the roster says so), flagged 需更换领办人.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable

from sqlalchemy import insert, select

from core.data.audit import bump_versions, record
from core.host.people import PersonRef, get_people
from core.settings import clock
from core.settings.counties import county_name, load_counties
from plugins.workshops.models import (
    CITY,
    Funding,
    Member,
    Output,
    Review,
    Score,
    StatusChange,
    Studio,
)
from plugins.workshops.standards import grade_for, new_default_standard
from plugins.workshops.vocab import (
    ACTIVE,
    EXCELLENT,
    FAIL,
    GOOD,
    KINDS,
    LEADER,
    MEMBER,
    NATIONAL,
    PASS,
    REMOVED,
    SUSPENDED,
)

LIKE_CHANGXING = "330182"  # 建德市: 12 studios, 17 national honourees among their people
LIKE_CHANGXING_STUDIOS, LIKE_CHANGXING_HONOUREES = 12, 17
PER_COUNTY = (15, 24)  # studios of every other county
MEMBERS = (3, 10)  # members besides the leader
ROSTER_IDS = range(1, 5001)  # the ids asked of the roster (its demo has 3,000 people)
REVIEWER = "demo_reviewer"
ADMIN = "demo_admin"

KIND_WEIGHTS = (3, 4, 3, 2)  # KINDS: 技能大师, 劳模创新, 工匠创新, 职工创新
LEVEL_WEIGHTS = {"国家级": 1, "省级": 4, "市级": 8, "区县级": 7}
EMPLOYERS = ("杭州汽轮动力集团", "杭州钢铁集团", "国网杭州供电公司", "杭州地铁集团", "西子电梯",
             "建德市新安江水电站", "农夫山泉建德工厂", "富春江纺织", "萧山机场", "余杭经济开发区管委会",
             "淳安县千岛湖旅游集团", "桐庐快递产业园", "临安山核桃合作社", "钱塘新区制造企业")
SPECIALITIES = ("数控加工", "电力检修", "焊接工艺", "精密装配", "智能制造", "水电运维", "茶叶制作",
                "汽车维修", "食品检测", "轨道交通", "建筑施工", "电梯维保", "纺织工艺", "中医护理")
# the honours a typed person is given when no roster answers (name, level, weight)
TYPED_HONOURS = (("全国劳动模范", NATIONAL, 1), ("全国五一劳动奖章", NATIONAL, 1),
                 ("浙江省劳动模范", "省级", 4), ("浙江工匠", "省级", 4),
                 ("杭州市劳动模范", "市级", 10), ("杭州工匠", "市级", 10), (None, None, 30))
NATIONAL_HONOURS = ("全国劳动模范", "全国五一劳动奖章")
# a grade's range of totals (out of 100) the demo draws a review's total from
GRADE_BANDS = {EXCELLENT: (0.90, 0.99), GOOD: (0.80, 0.895), PASS: (0.60, 0.795), FAIL: (0.38, 0.595)}
GRADE_WEIGHTS = {EXCELLENT: 2, GOOD: 5, PASS: 4, FAIL: 1}
SUSPEND_REASONS = ("领办人长期外派，工作室活动暂停", "依托单位搬迁，场所暂不具备条件", "依托单位改制重组")
PROPOSALS = 4  # studios with two 不合格 years in a row, not yet removed (摘牌 proposed)
REMOVED_STUDIOS = 3
SUSPENDED_STUDIOS = 6

TABLES = {"workshops_studio", "workshops_member", "workshops_status_change", "workshops_funding",
          "workshops_standard", "workshops_criterion", "workshops_review", "workshops_score",
          "workshops_output"}


class _People:
    """The people studios are made of: the roster's (by county, living first), or typed names."""

    def __init__(self, session, faker, rng: random.Random, codes: list[str]) -> None:
        self.rng, self.faker = rng, faker
        self.roster = bool(found := get_people(session, None, ROSTER_IDS))
        refs = [found[i] for i in sorted(found)]
        self.living = {c: [r for r in refs if r.county_code == c and not r.deceased] for c in codes}
        self.dead = {c: [r for r in refs if r.county_code == c and r.deceased] for c in codes}
        for pool in self.living.values():
            rng.shuffle(pool)
        self.used: set[int] = set()

    def take(self, county: str, *, national: bool | None = None, prefer_high: bool = False) -> PersonRef | None:
        """A living person of ``county`` not in a studio yet (``national``: True only national
        honourees, False none of them); None when the county has nobody left."""
        pool = [r for r in self.living.get(county, ()) if r.id not in self.used
                and (national is None or (r.honour_level == NATIONAL) == national)]
        if not pool:
            return None
        if prefer_high:
            rank = {NATIONAL: 0, "省级": 1, "市级": 2, "区县级": 3}
            pool.sort(key=lambda r: rank.get(r.honour_level, 4))
            pool = pool[:max(3, len(pool) // 4)]
        ref = self.rng.choice(pool)
        self.used.add(ref.id)
        return ref

    def typed(self, county: str, *, national: bool | None = None) -> PersonRef:
        """A typed person (no roster): a faker name and, sometimes, an honour of their own."""
        if national:
            honour, level = self.rng.choice(NATIONAL_HONOURS), NATIONAL
        else:
            choices = [h for h in TYPED_HONOURS if h[1] != NATIONAL] if national is False else TYPED_HONOURS
            honour, level, _ = self.rng.choices(choices, [w for *_, w in choices])[0]
        return PersonRef(id=None, name=self.faker.name(), county_code=county, status="",
                         honour=honour, honour_level=level)


def _member(studio_key: tuple[str, str], ref: PersonRef, role: str, joined: int) -> dict:
    return {"studio": studio_key, "person_id": ref.id, "name": ref.name, "role": role, "honour": ref.honour,
            "honour_level": ref.honour_level, "deceased": ref.deceased, "joined_year": joined}


def _scores(rng: random.Random, criteria: list[dict], grade: str, thresholds: tuple[float, float, float]):
    """Scores per criterion (halves of a point) whose total earns ``grade`` by ``thresholds``."""
    low, high = GRADE_BANDS[grade]
    full = sum(c["weight"] for c in criteria)
    for _ in range(200):
        target = rng.uniform(low, high)
        scores = [min(c["weight"], max(0.0, round(c["weight"] * (target + rng.uniform(-0.08, 0.08)) * 2) / 2))
                  for c in criteria]
        total = sum(scores)
        if grade_for(total, *thresholds) == grade:
            return scores, total, full
    raise AssertionError(f"no demo scores for {grade}")  # pragma: no cover - the bands are wide


def _grades(rng: random.Random, years: Iterable[int], *, failing: bool = False) -> dict[int, str]:
    """A grade per year; never two 不合格 in a row unless ``failing`` (then the first two are)."""
    grades: dict[int, str] = {}
    previous = None
    for i, year in enumerate(years):
        if failing and i < 2:
            grade = FAIL
        else:
            grade = rng.choices(list(GRADE_WEIGHTS), list(GRADE_WEIGHTS.values()))[0]
            if grade == FAIL and previous == FAIL:
                grade = PASS  # turned around, as in the source material
        grades[year] = previous = grade
    return grades


def load(session, faker, seed: int) -> None:
    rng = random.Random(seed)
    saved = faker.random.getstate()
    faker.seed_instance(seed)  # names the same for the same seed, whoever used faker before
    try:
        _load(session, faker, rng)
    finally:
        faker.random.setstate(saved)


def _load(session, faker, rng: random.Random) -> None:
    this_year = clock.this_year()
    years = (this_year - 2, this_year - 1, this_year)
    codes = [c.code for c in load_counties()]
    special = LIKE_CHANGXING if LIKE_CHANGXING in codes else codes[0]
    people = _People(session, faker, rng, codes)

    # --- studios and their people -------------------------------------------------------------
    studios: list[dict] = []
    members: list[dict] = []
    names: set[tuple[str, str]] = set()
    for code in codes:
        count = LIKE_CHANGXING_STUDIOS if code == special else rng.randint(*PER_COUNTY)
        plan = _special_plan(rng, people, code) if code == special else None
        for i in range(count):
            kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
            level = rng.choices(list(LEVEL_WEIGHTS), list(LEVEL_WEIGHTS.values()))[0]
            if plan is not None:
                leader, crew = plan[i]
            else:
                leader = (people.take(code, prefer_high=level in ("国家级", "省级"))
                          or people.typed(code))
                crew = [people.take(code) or people.typed(code) for _ in range(rng.randint(*MEMBERS))]
            named_year = rng.randint(2008, this_year) if rng.random() < 0.08 else rng.randint(2008, this_year - 2)
            speciality = rng.choice(SPECIALITIES)
            name = f"{leader.name}{kind}"
            if (code, name) in names:
                name = f"{leader.name}{speciality}{kind}"
            while (code, name) in names:
                name = f"{leader.name}{speciality}{kind}（{rng.randint(2, 99)}）"
            names.add((code, name))
            key = (code, name)
            employer = leader.employer or rng.choice(EMPLOYERS)
            short = county_name(code).removesuffix("区").removesuffix("县").removesuffix("市")
            studios.append({
                "name": name, "kind": kind, "level": level, "host_employer": employer, "county_code": code,
                "named_year": named_year, "named_doc": f"{short}总工〔{named_year}〕{rng.randint(3, 60)}号",
                "status": ACTIVE, "status_since": None, "status_reason": None, "leader_id": leader.id, "leader_name": leader.name,
                "needs_new_leader": leader.deceased, "leader_issue": "领办人已去世" if leader.deceased else None,
                "created_at": dt.datetime(named_year, 12, 31, 2, 0),  # fixed: a second load is the same
            })
            members.append(_member(key, leader, LEADER, named_year))
            members += [_member(key, ref, MEMBER, rng.randint(named_year, this_year)) for ref in crew]

    # statuses: a few suspended, a few removed after two failing years, a few proposed for removal
    others = [s for s in studios if s["county_code"] != special and s["named_year"] <= years[0]]
    picked = rng.sample(others, SUSPENDED_STUDIOS + REMOVED_STUDIOS + PROPOSALS)
    suspended = picked[:SUSPENDED_STUDIOS]
    removed = picked[SUSPENDED_STUDIOS:SUSPENDED_STUDIOS + REMOVED_STUDIOS]
    proposed = picked[SUSPENDED_STUDIOS + REMOVED_STUDIOS:]
    changes = []
    for studio in suspended:
        day = dt.date(years[1], rng.randint(3, 11), rng.randint(1, 28))
        reason = rng.choice(SUSPEND_REASONS)
        studio.update(status=SUSPENDED, status_since=day, status_reason=reason)
        changes.append({"studio": (studio["county_code"], studio["name"]), "status": SUSPENDED, "on": day,
                        "reason": reason, "by": ADMIN, "at": dt.datetime.combine(day, dt.time(2, 0))})
    for studio in removed:
        day = dt.date(this_year, rng.randint(2, 4), rng.randint(1, 28))
        reason = f"{years[0]}、{years[1]} 年度评审连续两年不合格，经确认摘牌"
        studio.update(status=REMOVED, status_since=day, status_reason=reason)
        changes.append({"studio": (studio["county_code"], studio["name"]), "status": REMOVED, "on": day,
                        "reason": reason, "by": ADMIN, "at": dt.datetime.combine(day, dt.time(2, 0))})

    session.execute(insert(Studio.__table__), studios)
    ids = {(c, n): i for i, c, n in session.execute(select(Studio.id, Studio.county_code, Studio.name))}
    session.execute(insert(Member.__table__),
                    [{**{k: v for k, v in m.items() if k != "studio"}, "studio_id": ids[m["studio"]]}
                     for m in members])
    session.execute(insert(StatusChange.__table__),
                    [{**{k: v for k, v in c.items() if k != "studio"}, "studio_id": ids[c["studio"]]}
                     for c in changes])

    # --- standards: the city's default each year, 建德市's own this year ---------------------------
    standards = {(year, CITY): new_default_standard(year) for year in years}
    own = new_default_standard(this_year, county_code=special,
                               title=f"{county_name(special)} {this_year} 年度工作室建设标准")
    for criterion in own.criteria:  # its own emphasis: apprentices over equipment
        if criterion.title == "带徒传技":
            criterion.weight, criterion.description = 14.0, "签订师徒协议，年度带徒不少于 5 人，有技能等级提升"
        elif criterion.title == "设备资料":
            criterion.weight = 8.0
    standards[(this_year, special)] = own
    for (year, _), standard in standards.items():
        standard.updated_by, standard.updated_at = ADMIN, dt.datetime(year - 1, 12, 20, 2, 0)
    session.add_all(standards.values())
    session.flush()
    criteria = {key: [{"id": c.id, "part": c.part, "title": c.title, "weight": c.weight} for c in s.criteria]
                for key, s in standards.items()}

    # --- reviews ---------------------------------------------------------------------------------
    failing = {(s["county_code"], s["name"]) for s in removed + proposed}
    reviews, review_scores = [], {}
    for studio in studios:
        key = (studio["county_code"], studio["name"])
        due_years = [y for y in years if y >= studio["named_year"]]
        grades = _grades(rng, due_years, failing=key in failing)
        for year in due_years:
            if year == this_year and (studio["status"] != ACTIVE or key in failing or rng.random() < 0.5):
                continue  # this year: about half reviewed so far; the rest are due
            scope = (year, studio["county_code"]) if (year, studio["county_code"]) in standards else (year, CITY)
            standard = standards[scope]
            thresholds = (standard.excellent_min, standard.good_min, standard.pass_min)
            scores, total, full = _scores(rng, criteria[scope], grades[year], thresholds)
            if year == this_year:
                # this year's reviews so far: from March (or January) to yesterday, by 20 November
                latest = max(min(clock.today() - dt.timedelta(days=1), dt.date(year, 11, 20)), dt.date(year, 1, 1))
                first = min(dt.date(year, 3, 1), latest)
                day = first + dt.timedelta(days=rng.randint(0, (latest - first).days))
            else:
                day = dt.date(year, 11, 1) + dt.timedelta(days=rng.randint(0, 50))
            reviews.append({
                "studio_id": ids[key], "year": year, "county_code": studio["county_code"],
                "standard_id": standard.id, "standard_title": standard.title,
                "excellent_min": thresholds[0], "good_min": thresholds[1], "pass_min": thresholds[2],
                "total": total, "full_marks": full, "grade": grades[year],
                "note": _note(rng, grades[year]), "reviewer": REVIEWER,
                "reviewed_at": dt.datetime.combine(day, dt.time(rng.randint(1, 9), rng.randint(0, 59))),
            })
            review_scores[(ids[key], year)] = [
                {"criterion_id": c["id"], "part": c["part"], "title": c["title"], "weight": c["weight"], "score": v}
                for c, v in zip(criteria[scope], scores, strict=True)]
    session.execute(insert(Review.__table__), reviews)
    review_ids = {(s, y): i for i, s, y in session.execute(select(Review.id, Review.studio_id, Review.year))}
    session.execute(insert(Score.__table__), [{**score, "review_id": review_ids[key]}
                                              for key, scores in review_scores.items() for score in scores])

    # --- output and funding --------------------------------------------------------------------------
    scale = {"国家级": 3.0, "省级": 2.0, "市级": 1.3, "区县级": 1.0}
    outputs, funding = [], []
    for studio in studios:
        sid, size = ids[(studio["county_code"], studio["name"])], scale[studio["level"]]
        for year in years:
            if year < studio["named_year"] or studio["status"] == REMOVED and year == this_year:
                continue
            if year == this_year and rng.random() < 0.3:
                continue  # not reported yet
            growth = 1.0 + 0.08 * (year - years[0])
            apprentices = rng.randint(1, int(6 * size * growth))
            technicians = rng.randint(0, apprentices // 2)
            outputs.append({
                "studio_id": sid, "year": year, "county_code": studio["county_code"],
                "patents_invention": rng.randint(0, int(2 * size * growth)),
                "patents_utility": rng.randint(0, int(4 * size * growth)),
                "patents_design": rng.randint(0, int(1 * size)),
                "innovations": rng.randint(0, int(5 * size * growth)),
                "proposals_adopted": rng.randint(0, int(8 * size * growth)),
                "apprentices": apprentices, "apprentices_technician": technicians,
                "apprentices_senior": rng.randint(0, technicians // 2),
                "awards": rng.randint(0, int(2 * size)),
                "benefit": round(rng.uniform(5, 120) * size * growth, 1),
            })
            if rng.random() < 0.6:
                funding.append({"studio_id": sid, "year": year,
                                "amount": float(rng.choice((2, 3, 5, 8, 10)) * (2 if size >= 2 else 1)),
                                "note": rng.choice(("年度运行补助", "命名奖励", "技术攻关项目补助"))})
    session.execute(insert(Output.__table__), outputs)
    session.execute(insert(Funding.__table__), funding)

    bump_versions(session, TABLES)
    record(session, "import", table="workshops_studio",
           summary=(f"演示数据：{len(studios)} 个工作室，{len(members)} 名领办人和成员，{len(reviews)} 次评审，"
                    f"{len(outputs)} 条年度成果，{len(funding)} 条补助资金"
                    + ("" if people.roster else "（名册未启用，人员为输入的姓名）")))


NOTES = {EXCELLENT: ("攻关成果突出，带徒成效明显", "制度健全，成果转化效益显著"),
         GOOD: ("运行规范，建议加强成果转化", "带徒成效较好，台账需进一步完善"),
         PASS: ("基本达到建设标准，场所设施有待改善", "攻关项目偏少，需加强"),
         FAIL: ("活动记录缺失，未开展带徒", "场所被挪用，制度未落实，限期整改")}


def _note(rng: random.Random, grade: str) -> str:
    return rng.choice(NOTES[grade])


def _special_plan(rng: random.Random, people: _People, code: str) -> list[tuple[PersonRef, list[PersonRef]]]:
    """建德市's 12 studios: (leader, members) each, with exactly 17 national honourees among them,
    and one leader who has died (flagged 需更换领办人)."""
    national = [people.take(code, national=True) for _ in range(LIKE_CHANGXING_HONOUREES)]
    national = [r for r in national if r is not None]
    national += [people.typed(code, national=True)
                 for _ in range(LIKE_CHANGXING_HONOUREES - len(national))]  # no roster: typed ones
    # the deceased leader: someone of the county the roster says has died, with no national honour
    dead = [r for r in people.dead.get(code, ()) if r.honour_level != NATIONAL]
    deceased = rng.choice(dead) if dead else PersonRef(
        id=None, name=people.faker.name(), county_code=code, status="去世", honour="杭州工匠", honour_level="市级")
    leaders = national[:9] + [deceased] + [people.take(code, national=False) or people.typed(code, national=False)
                                           for _ in range(2)]
    rng.shuffle(leaders)
    extra = national[9:]
    plan = []
    for i, leader in enumerate(leaders):
        crew = [people.take(code, national=False) or people.typed(code, national=False)
                for _ in range(rng.randint(*MEMBERS) - (1 if i < len(extra) else 0))]
        if i < len(extra):
            crew.append(extra[i])
        plan.append((leader, crew))
    return plan
