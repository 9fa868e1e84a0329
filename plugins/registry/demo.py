"""Demo roster: a few thousand people across the counties, the same on every machine."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import insert, select

from core.data.audit import bump_versions, record
from core.settings.counties import load_counties
from core.spreadsheet.cells import id_check_char
from plugins.registry.models import ChangeRequest, Honour, Person, initials
from plugins.registry.vocab import HONOURS

PEOPLE = 3000
EMPLOYERS = ("杭州汽轮动力集团", "杭州钢铁集团", "国网杭州供电公司", "杭州地铁集团", "西子电梯",
             "建德市新安江水电站", "农夫山泉建德工厂", "富春江纺织", "萧山机场", "余杭经济开发区管委会",
             "淳安县千岛湖旅游集团", "桐庐快递产业园", "临安山核桃合作社", "钱塘新区制造企业")
POSTS = ("钳工", "焊工", "电工", "数控车工", "高级工程师", "车间主任", "班组长", "技师", "农艺师", "教师",
         "护士", "快递员", "公交驾驶员", "厨师")
INDUSTRIES = ("制造业", "电力", "交通运输", "农业", "教育", "卫生", "服务业", "建筑业")
EDUCATION = ("初中", "高中", "中专", "大专", "本科", "硕士研究生")
POLITICAL = ("中共党员", "群众", "民主党派", "共青团员")
# city and county honours are far more numerous than national ones
HONOUR_WEIGHTS = {name: {"全国": 1, "省级": 4, "市级": 12, "区县级": 10}[level]
                  for name, level in HONOURS.items()}


def load(session, faker, seed: int) -> None:
    rng = random.Random(seed)
    codes = [c.code for c in load_counties()]
    people, used = [], set()
    for _ in range(PEOPLE):
        gender = rng.choice(("男", "男", "女"))
        birth = dt.date(1945, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 52))
        while True:
            seq = rng.randrange(0, 500) * 2 + (1 if gender == "男" else 0)
            first = f"{rng.choice(codes)}{birth:%Y%m%d}{seq:03d}"
            if first not in used:
                used.add(first)
                break
        name = faker.name_male() if gender == "男" else faker.name_female()
        age = 2026 - birth.year
        status = "去世" if rng.random() < 0.04 else "转出" if rng.random() < 0.01 else \
            "退休" if age > 60 else "在职"
        people.append({
            "name": name, "name_initials": initials(name), "gender": gender, "birth_date": birth,
            "id_number": first + id_check_char(first), "ethnicity": "汉族" if rng.random() < 0.95 else "畲族",
            "political_status": rng.choice(POLITICAL), "education": rng.choice(EDUCATION),
            "employer": rng.choice(EMPLOYERS), "post": rng.choice(POSTS),
            "industry": rng.choice(INDUSTRIES), "county_code": rng.choice(codes),
            "phone": f"1{rng.choice('35789')}{rng.randrange(10**9):09d}", "status": status,
            "death_date": dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(0, 2000))
            if status == "去世" else None,
        })
    session.execute(insert(Person.__table__), people)
    ids = dict(session.execute(select(Person.id_number, Person.id)).all())
    # county titles (建德金匠, 建德银匠) belong to 建德市's own people
    county_titles = {n for n, level in HONOURS.items() if level == "区县级"}
    everywhere = [n for n in HONOUR_WEIGHTS if n not in county_titles]
    honours = []
    for person in people:
        names = list(HONOUR_WEIGHTS) if person["county_code"] == "330182" else everywhere
        weights = [HONOUR_WEIGHTS[n] for n in names]
        held = set(rng.choices(names, weights, k=rng.choice((1, 1, 1, 2, 2, 3))))
        first_year = max(person["birth_date"].year + 25, 1985)
        for name in held:
            honours.append({"person_id": ids[person["id_number"]], "name": name,
                            "level": HONOURS[name], "year_awarded": rng.randint(first_year, 2026),
                            "awarding_body": None})
    session.execute(insert(Honour.__table__), honours)
    requests = _change_history(rng, people, ids)
    session.execute(insert(ChangeRequest.__table__), requests)
    bump_versions(session, {"registry_person", "registry_honour", "registry_change"})
    record(session, "import", table="registry_person",
           summary=f"演示数据：{len(people)} 人，{len(honours)} 项荣誉，{len(requests)} 件变动申请")


def _change_history(rng: random.Random, people: list[dict], ids: dict[str, int]) -> list[dict]:
    """Decided requests over the past two years, and a queue of pending ones (some overdue)."""
    from core.data.db import utcnow

    now = utcnow().replace(microsecond=0)
    living = [p for p in people if p["status"] != "去世"]
    deceased = [p for p in people if p["status"] == "去世"]
    kinds = ("信息更正", "信息更正", "关系转移", "新增", "去世")
    reviewers, requests = ("demo_reviewer",), []
    for i in range(260):
        pending = i >= 240
        # a pending 新增 could repeat an honour the person holds: the queue gets the other kinds
        kind = rng.choice(kinds[:3] + kinds[4:] if pending else kinds)
        # history agrees with the roster: approved deaths are of people now deceased
        person = rng.choice(deceased if kind == "去世" and not pending else living)
        submitted = now - dt.timedelta(days=rng.randint(0, 12) if pending else rng.randint(10, 700),
                                       hours=rng.randint(0, 23))
        state = "待审核" if pending else ("已驳回" if rng.random() < 0.12 else "已通过")
        payload = {"education": "本科"} if kind == "信息更正" else \
            {"county_code": person["county_code"], "employer": "杭州市某新单位"} if kind == "关系转移" else \
            {"death_date": (submitted.date() - dt.timedelta(days=3)).isoformat()} if kind == "去世" else \
            {"honour": "杭州工匠", "year_awarded": submitted.year}
        requests.append({
            "kind": kind, "state": state, "person_id": ids[person["id_number"]],
            "county_code": person["county_code"], "payload": payload,
            "before": {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in person.items()
                       if k in ("name", "county_code", "employer", "status", "education")},
            "reason": {"信息更正": "学历信息更新", "关系转移": "工作调动", "新增": "新获评荣誉",
                       "去世": "家属告知"}[kind],
            "attachment_name": None, "attachment": None,
            "submitted_by": "demo_staff" if person["county_code"] == "330182" else "demo_admin",
            "submitted_at": submitted,
            "decided_by": None if pending else rng.choice(reviewers),
            "decided_at": None if pending else submitted + dt.timedelta(hours=rng.randint(2, 24 * 9)),
            "decision_reason": "材料不全" if state == "已驳回" else None,
        })
    return requests
