"""Demo roster: a few thousand people across the counties, the same on every machine."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import insert, select

from core.data.audit import bump_versions, record
from core.settings.counties import county_name, load_counties
from core.spreadsheet.cells import id_check_char
from plugins.registry.changes import open_key
from plugins.registry.models import ChangeEvent, ChangeRequest, Honour, Person, initials
from plugins.registry.vocab import HONOURS, awarding_body

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
        # deduplicated in the order drawn: a set's order follows the process's string hashes,
        # and the years drawn below would then differ from one run to the next
        held = dict.fromkeys(rng.choices(names, weights, k=rng.choice((1, 1, 1, 2, 2, 3))))
        first_year = max(person["birth_date"].year + 25, 1985)
        for name in held:
            honours.append({"person_id": ids[person["id_number"]], "name": name,
                            "level": HONOURS[name], "year_awarded": rng.randint(first_year, 2026),
                            "awarding_body": awarding_body(name, county_name(person["county_code"]))})
    session.execute(insert(Honour.__table__), honours)
    requests = _change_history(rng, people, ids)
    session.execute(insert(ChangeRequest.__table__), [r for r, _ in requests])
    # the requests were inserted in order into an empty table: their ids are the last ones
    request_ids = sorted(session.scalars(select(ChangeRequest.id).order_by(ChangeRequest.id.desc())
                                         .limit(len(requests))))
    session.execute(insert(ChangeEvent.__table__),
                    [{**e, "request_id": rid} for rid, (_, events) in zip(request_ids, requests, strict=True)
                     for e in events])
    bump_versions(session, {"registry_person", "registry_honour", "registry_change", "registry_change_event"})
    record(session, "import", table="registry_person",
           summary=f"演示数据：{len(people)} 人，{len(honours)} 项荣誉，{len(requests)} 件变动申请")


# county staff file the demo's requests (core's demo accounts); demo_reviewer decides them
SUBMITTERS = {"330182": "demo_staff", "330127": "demo_staff_ca", "330109": "demo_staff_xs"}
REVIEWER = "demo_reviewer"
REASONS = {"信息更正": ("学历信息更新", "单位更名", "手机号码变更", "职务调整"),
           "关系转移": ("工作调动", "随单位整体划转", "退休后迁居"),
           "新增": ("新获评荣誉",), "去世": ("家属告知", "单位报送")}
REJECTIONS = ("材料不全", "缺少死亡证明", "单位名称与营业执照不符", "该荣誉已在名册中登记")
RETURN_NOTES = ("请补充学历证书扫描件", "转入单位名称请写全称，并附调动文件", "去世日期与证明不一致，请核对")


def _payload(rng: random.Random, kind: str, person: dict, submitted: dt.datetime) -> dict:
    if kind == "信息更正":
        return rng.choice(({"education": "本科"}, {"post": "高级技师"},
                           {"phone": f"13{rng.randrange(10**9):09d}"}))
    if kind == "关系转移":
        return {"county_code": person["county_code"], "employer": rng.choice(EMPLOYERS)}
    if kind == "去世":
        return {"death_date": (submitted.date() - dt.timedelta(days=3)).isoformat()}
    return {"honour": "杭州工匠", "year_awarded": submitted.year}


def _change_history(rng: random.Random, people: list[dict], ids: dict[str, int]) -> list[tuple[dict, list[dict]]]:
    """Requests of three counties' staff, each with its history (events without request ids):
    240 decided over the past two years, 20 still open (some overdue), and for demo_staff one of
    every state, among them one sent back for revision and one fixed and sent again; the latest
    decisions on demo_staff's requests are still unread."""
    from core.data.db import utcnow

    # times count back from today's start (UTC), not from this second: a load minutes later (the
    # test template and a second load) must give the same dates, e.g. a death's in its payload
    now = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    ours = [p for p in people if p["county_code"] in SUBMITTERS]
    living = [p for p in ours if p["status"] != "去世"]
    deceased = [p for p in ours if p["status"] == "去世"]
    kinds = ("信息更正", "信息更正", "关系转移", "新增", "去世")
    requests, open_keys = [], set()

    def add(kind, person, state, submitted, *, returned=False, resubmitted=False, seen=True):
        """One request and its events: ``returned`` ends sent back, ``resubmitted`` was sent back
        and filed again before ``state``."""
        submitter = SUBMITTERS[person["county_code"]]
        payload = _payload(rng, kind, person, submitted)
        reason = rng.choice(REASONS[kind])
        events = [{"action": "提交", "actor": submitter, "at": submitted, "note": reason}]
        if returned or resubmitted:
            events.append({"action": "退回修改", "actor": REVIEWER, "note": rng.choice(RETURN_NOTES),
                           "at": submitted + dt.timedelta(hours=rng.randint(2, 48))})
        if resubmitted:  # fixed and sent again: back in the queue since then
            resent = events[-1]["at"] + dt.timedelta(hours=rng.randint(1, 24))
            events.append({"action": "重新提交", "actor": submitter, "at": resent, "note": reason + "，已补充材料"})
        decided = min(events[-1]["at"] + dt.timedelta(hours=rng.randint(2, 24 * 9)), now - dt.timedelta(hours=1))
        decision = {"已通过": "通过", "已驳回": "驳回", "已撤回": "撤回"}.get(state)
        note = rng.choice(REJECTIONS) if state == "已驳回" else None
        if decision:
            events.append({"action": decision, "actor": submitter if state == "已撤回" else REVIEWER,
                           "at": decided, "note": note})
        open_ = state in ("待审核", "退回修改")
        key = open_key(kind, ids[person["id_number"]], person["id_number"], payload.get("honour"))
        if open_:
            open_keys.add(key)
        last = events[-1]
        filed = [e for e in events if e["action"] in ("提交", "重新提交")][-1]  # as the request now reads
        requests.append(({
            "kind": kind, "state": state, "person_id": ids[person["id_number"]],
            "county_code": person["county_code"], "payload": payload,
            "before": {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in person.items()
                       if k in ("name", "county_code", "employer", "status", "education", "post", "phone")},
            "reason": filed["note"],
            "attachment_name": None, "attachment": None, "submitted_by": submitter,
            "submitted_at": filed["at"],
            "decided_by": last["actor"] if state != "待审核" else None,
            "decided_at": last["at"] if state != "待审核" else None,
            "decision_reason": last["note"] if state in ("已驳回", "退回修改") else None,
            "open_key": key if open_ else None, "seen_by_submitter": seen,
        }, events))

    def free(kind, pool):  # a person with no open request of this kind (no double work)
        while True:
            person = rng.choice(pool)
            key = open_key(kind, ids[person["id_number"]], person["id_number"], "杭州工匠")
            if key not in open_keys:
                return person

    for _ in range(240):
        kind = rng.choice(kinds)
        # history agrees with the roster: approved deaths are of people now deceased
        person = rng.choice(deceased if kind == "去世" else living)
        roll = rng.random()
        state = "已驳回" if roll < 0.12 else "已撤回" if roll < 0.16 else "已通过"
        add(kind, person, state, now - dt.timedelta(days=rng.randint(10, 700), hours=rng.randint(0, 23)),
            resubmitted=state == "已通过" and rng.random() < 0.1)
    for i in range(20):
        # a pending 新增 could repeat an honour the person holds: the queue gets the other kinds
        kind = rng.choice(kinds[:3] + kinds[4:])
        add(kind, free(kind, living), "待审核",
            now - dt.timedelta(days=rng.randint(0, 12), hours=rng.randint(0, 23)), resubmitted=i % 7 == 3)
    # demo_staff (建德市) has a request in every state; the recent decisions are not yet read
    jiande = [p for p in living if p["county_code"] == "330182"]
    recent = now - dt.timedelta(days=2, hours=rng.randint(0, 12))
    add("信息更正", free("信息更正", jiande), "退回修改", recent, returned=True, seen=False)
    add("关系转移", free("关系转移", jiande), "已通过", recent, seen=False)
    add("去世", free("去世", jiande), "已驳回", recent, seen=False)
    add("信息更正", free("信息更正", jiande), "已撤回", recent)
    add("去世", free("去世", jiande), "待审核", recent)
    return requests
