"""Demo events: last year's and this year's sessions and events (by core's clock), city-wide
and in every county, the same for the same seed on every machine.

People come from the roster through core (``core.host.people.list_people``: the living, paged
through), never from the roster's tables; the roster's demo runs first. With the roster
disabled nobody answers and events invite a few guests by typed name (``person_id`` None).

What the pages and tiles then show:

- the 926工匠日 series each year (series ``926工匠日 <year>``, all on 26 September): the city's
  高峰访谈 and 创新创效市集, and one event in every county;
- attendance (出席, 请假, 缺席) for every held event; a few cancelled with a reason; a few
  recent ones ended with attendance never taken (the 待签到 to-do: one in 建德市, one in 淳安县);
  events planned for the coming weeks, with invitations (some registered) for the next three;
- the academy (city-wide) met its plan last year (11 事迹宣讲和技术培训 held of 10, 5
  素质提升班 of 4); this year it has held some and planned the rest for the coming weeks;
- every county has targets (4 lectures and trainings, 1 quality class a year) and is on
  schedule this year, except 淳安县 (one lecture held, none planned: 计划滞后); 建德市 has
  already met this year's plan.

Rows go in with Core bulk inserts (one audit entry for the load, data versions bumped): the
demo runs in every test template, so it must stay well under a second.
"""

from __future__ import annotations

import datetime as dt
import math
import random

from sqlalchemy import insert, select

from core.data.audit import bump_versions, record
from core.host.people import PeopleQuery, PersonRef, list_people
from core.settings import clock
from core.settings.counties import city_name, county_names, load_counties
from core.spreadsheet import insert_rows
from plugins.events.models import Event, Participant, Target
from plugins.events.vocab import (
    ABSENT,
    CANCELLED,
    CITY,
    DEFAULT_KINDS,
    EXCUSED,
    HELD,
    INVITED,
    LECTURER,
    LECTURES_AND_TRAININGS,
    PARTICIPANT,
    PLANNED,
    PRESENT,
    QUALITY_CLASSES,
    REGISTERED,
    SERIES_926,
    TRAINING,
)

LAGGING = "330127"  # 淳安县: behind its plan this year
ON_PLAN = "330182"  # 建德市: this year's plan already met
UNTAKEN = ("330182", "330127", "330109")  # a recent event each, attendance never taken
COUNTY_TARGETS = {LECTURES_AND_TRAININGS: 4, QUALITY_CLASSES: 1}
TRAINING_KINDS = frozenset(name for name, category, _ in DEFAULT_KINDS if category == TRAINING)
# the academy's sessions last year: (kind, how many); one lecture cancelled, so 11 + 5 held
CITY_SESSIONS = (("事迹宣讲", 5), ("技术培训", 7), ("素质提升班", 5), ("交流活动", 2), ("座谈会", 1),
                 ("书画摄影展", 1), ("专场演出", 1))
# this year's, held so far and planned for the coming weeks: short of 10 lectures, 4 classes on track
CITY_THIS_YEAR = {"事迹宣讲": (3, 0), "技术培训": (4, 2), "素质提升班": (3, 1)}
# a county's events a year besides its plan-line sessions and its 926 event: (kind, low, high)
COUNTY_EVENTS = (("劳动教育", 1, 2), ("金锤子志愿服务", 1, 2), ("宣讲", 0, 2), ("座谈会", 0, 1),
                 ("创新创效市集", 0, 1), ("展示交流", 0, 1), ("书画摄影展", 0, 1))
ADMIN = "demo_admin"
STAFF = {"330182": "demo_staff", "330127": "demo_staff_ca", "330109": "demo_staff_xs"}
PAGE = 200  # people per list_people call (core's most)
INVITE_AHEAD = 21  # days: planned events this close already have their invitations

TRADES = ("数控加工", "电力检修", "焊接工艺", "精密装配", "智能制造", "水电运维", "茶叶制作", "汽车维修",
          "电梯维保", "轨道交通", "食品检测", "中医护理")
TOPICS = ("劳模精神进企业", "工匠精神进校园", "劳模事迹进社区", "劳动精神进乡村")
DELTA_CITIES = ("上海", "苏州", "合肥", "宁波", "南京", "嘉兴")
TOWNS = ("社区", "乡村", "工业园区", "学校", "养老院", "农贸市场")
CANCEL_REASONS = ("台风预警，活动取消", "场地临时检修，另行安排", "与上级会议时间冲突", "报名人数不足")
SUMMARIES = ("活动按计划举行，参加人员反响良好。", "现场交流热烈，学员提出改进建议十余条。",
             "邀请劳模工匠现场授课，学员完成实操考核。", "活动照片和签到表已归档。")
GUEST_EMPLOYERS = ("上海市总工会", "江苏省总工会", "安徽省总工会", "宁波市总工会", "浙江工业大学")


def load(session, faker, seed: int) -> None:
    rng = random.Random(seed)
    saved = faker.random.getstate()
    faker.seed_instance(seed)  # names the same for the same seed, whoever used faker before
    try:
        _Demo(session, faker, rng).load()
    finally:
        faker.random.setstate(saved)


def _living(session) -> list[PersonRef]:
    """Every living roster person in the city (in post or retired), a page at a time."""
    people, offset = [], 0
    while True:
        page = list_people(session, None, PeopleQuery(), offset=offset, limit=PAGE)
        people += [p for p in page.people if p.status in ("在职", "退休")]
        offset += PAGE
        if offset >= page.total or not page.people:
            return people


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.choice((9, 9, 10, 14, 14, 15)), rng.choice((0, 0, 30))))


def _day_between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    """A day in ``[first, last]`` (``first`` when the range is empty)."""
    return first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))


class _Demo:
    def __init__(self, session, faker, rng: random.Random) -> None:
        self.session, self.faker, self.rng = session, faker, rng
        self.now = clock.now_local().replace(tzinfo=None, second=0, microsecond=0)
        self.today = self.now.date()
        self.this_year = self.today.year
        self.codes = [c.code for c in load_counties()]
        self.names = county_names()
        self.city = city_name()
        people = _living(session)
        self.roster = bool(people)
        # some people keep coming: a weight per person, drawn once (heavy tail); each pool with
        # its running sums of weights, to draw from with ``choices(cum_weights=...)``
        keen = {p.id: rng.paretovariate(1.5) for p in people}
        self.pools = {c: self._pool([p for p in people if p.county_code == c], keen) for c in self.codes}
        self.pools[CITY] = self._pool(people, keen)
        self.events: list[dict] = []

    # --- the events --------------------------------------------------------------------------------
    def add(self, code: str, kind: str, title: str, start: dt.datetime, *, series: str | None = None,
            training: bool = False, hours: float | None = None) -> dict:
        rng = self.rng
        where = self.names[code] if code else self.city
        if code:
            organiser = f"{where}总工会"
            place = rng.choice((f"{where}职工服务中心", f"{where}工人文化宫", f"{where}劳模工匠创新工作室",
                                f"{where}职业技术学校"))
        else:
            organiser = f"{self.city}劳模工匠学院"
            place = rng.choice((f"{self.city}工人文化宫", f"{self.city}劳模工匠学院报告厅",
                                f"{self.city}职工服务中心"))
        length = hours or (rng.choice((2.0, 3.0, 3.0, 6.0)) if training else rng.choice((2.0, 3.0, 4.0)))
        event = {"kind": kind, "title": title, "organiser": organiser, "county_code": code, "place": place,
                 "starts_at": start, "ends_at": start + dt.timedelta(hours=length),
                 "capacity": rng.choice((30, 40, 50, 60, 80, None)) if training else rng.choice((None, 100, 200)),
                 "class_hours": length if training else None, "series": series, "status": PLANNED,
                 "status_reason": None, "summary": None, "created_by": STAFF.get(code, ADMIN),
                 "created_at": clock.to_utc(start - dt.timedelta(days=rng.randint(20, 60)))}
        self.events.append(event)
        return event

    def days(self, year: int, n: int, *, before: dt.date | None = None,
             after: dt.date | None = None) -> list[dt.date]:
        """``n`` days of ``year`` (within ``after`` .. ``before`` when given), not 26 September."""
        first = max(dt.date(year, 1, 6), after or dt.date(year, 1, 6))
        last = min(dt.date(year, 12, 28), before or dt.date(year, 12, 28))
        days = []
        for _ in range(n):
            day = _day_between(self.rng, first, last)
            days.append(day + dt.timedelta(days=1) if (day.month, day.day) == (9, 26) else day)
        return sorted(days)

    def title(self, code: str, kind: str, year: int) -> str:
        """A title of ``kind`` with ``{n}`` for its number, filled in once the year's events
        are in order of time (``number``)."""
        rng = self.rng
        short = self.names[code] if code else ""
        return {
            "事迹宣讲": f"{short}{rng.choice(TOPICS)}事迹宣讲（第{{n}}场）",
            "技术培训": f"{short}{rng.choice(TRADES)}技术培训（第{{n}}期）",
            "素质提升班": f"{short}{year}年劳模工匠素质提升班（第{{n}}期）",
            "交流活动": f"长三角劳模工匠交流活动·{rng.choice(DELTA_CITIES)}（第{{n}}场）",
            "劳动教育": f"{short}万名师生进农场劳动教育（第{{n}}场）",
            "金锤子志愿服务": f"{short}金锤子志愿服务队进{rng.choice(TOWNS)}（第{{n}}次）",
            "宣讲": f"{short}劳模工匠宣讲进企业（第{{n}}场）",
            "座谈会": f"{short}{year}年劳模工匠座谈会（第{{n}}场）",
            "创新创效市集": f"{short}职工创新创效市集（第{{n}}场）",
            "展示交流": f"{short}工匠技艺展示交流（第{{n}}场）",
            "书画摄影展": f"{short}劳模工匠书画摄影展（第{{n}}场）",
            "专场演出": f"{short}劳模工匠专场演出（第{{n}}场）",
        }[kind]

    def number(self) -> None:
        """Sort the events by time and number each scope's kind within its year: 第1期, 第2期…"""
        self.events.sort(key=lambda e: (e["starts_at"], e["county_code"], e["kind"], e["title"]))
        counts: dict[tuple, int] = {}
        for event in self.events:
            key = (event["county_code"], event["starts_at"].year, event["kind"])
            counts[key] = counts.get(key, 0) + 1
            event["title"] = event["title"].replace("{n}", str(counts[key]))

    def plan_year(self, code: str, year: int) -> None:
        """One scope's events of ``year``: its sessions, its other events and its 926 event."""
        rng, this_year = self.rng, year == self.this_year
        yesterday = self.today - dt.timedelta(days=1)
        soon = (self.today + dt.timedelta(days=5), self.today + dt.timedelta(days=40))

        def put(kind: str, day: dt.date, **extra) -> dict:
            return self.add(code, kind, self.title(code, kind, year), _at(day, rng),
                            training=kind in TRAINING_KINDS, **extra)

        if not code:  # the academy
            for kind, count in CITY_SESSIONS:
                if this_year and kind in CITY_THIS_YEAR:
                    held, later = CITY_THIS_YEAR[kind]
                    past = self.days(year, held, before=yesterday)
                    coming = [_day_between(rng, *soon) for _ in range(later)]
                else:
                    past, coming = self.days(year, count), []
                for day in past + coming:
                    put(kind, day, hours=6.0 if kind == "素质提升班" else None)
            self.series_926(code, year, ("高峰访谈", "创新创效市集"))
            return
        # the plan-line sessions: this year on schedule by today (淳安县: one lecture, nothing planned)
        share = min(1.0, max(0.0, (self.today - dt.date(year, 1, 1)).days / 365)) if this_year else 1.0
        for line, kinds in ((LECTURES_AND_TRAININGS, ("事迹宣讲", "技术培训")), (QUALITY_CLASSES, ("素质提升班",))):
            target = COUNTY_TARGETS[line]
            if this_year and code == LAGGING:
                held, later = (1, 0) if line == LECTURES_AND_TRAININGS else (0, 0)
            elif this_year:
                held = min(target + 2, math.ceil(target * share) + rng.randint(0, 1)
                           + (target if code == ON_PLAN else 0))
                later = max(0, target - held) + rng.randint(0, 1)
            else:
                held, later = target + rng.randint(0, 2), 0
            days = (self.days(year, held, before=yesterday) if this_year else self.days(year, held)) + [
                _day_between(rng, soon[0], min(soon[1], dt.date(year, 12, 28))) for _ in range(later)]
            for day in days:
                put(rng.choice(kinds), day)
        for kind, low, high in COUNTY_EVENTS:
            for day in self.days(year, rng.randint(low, high)):
                put(kind, day)
        self.series_926(code, year, (rng.choice(("劳动教育", "展示交流", "创新创效市集")),))

    def series_926(self, code: str, year: int, kinds: tuple[str, ...]) -> None:
        where = self.names[code] if code else self.city
        series = f"{SERIES_926} {year}"
        names = {"高峰访谈": "劳模工匠高峰访谈", "创新创效市集": "职工创新创效市集",
                 "劳动教育": "劳模工匠进农场", "展示交流": "工匠技艺展示交流"}
        for i, kind in enumerate(kinds):
            start = dt.datetime(year, 9, 26, 9 + 5 * i, 0 if code else 30)
            self.add(code, kind, f"{series}·{where}{names[kind]}", start, series=series)

    def settle(self) -> None:
        """Statuses by the clock: past events held, a few cancelled, a few recent ones never
        signed in; the academy's lecture cancelled last year."""
        rng, now = self.rng, self.now
        past = [e for e in self.events if e["ends_at"] < now]
        for event in past:
            event["status"] = HELD
            event["summary"] = rng.choice(SUMMARIES) if rng.random() < 0.6 else None
        # the cancelled: never a plan-line session of a county, nor a 926 event
        optional = [e for e in past if e["county_code"] and e["kind"] not in TRAINING_KINDS
                    and not e["series"]]
        for event in rng.sample(optional, min(5, len(optional))):
            event.update(status=CANCELLED, status_reason=rng.choice(CANCEL_REASONS), summary=None)
        last_year = [e for e in past if not e["county_code"] and e["kind"] == "事迹宣讲"
                     and e["starts_at"].year == self.this_year - 1]
        if last_year:
            rng.choice(last_year).update(status=CANCELLED, status_reason=CANCEL_REASONS[1], summary=None)
        for code in UNTAKEN:  # the latest optional event of the last 45 days: attendance not taken
            recent = [e for e in past if e["county_code"] == code and e["status"] == HELD and not e["series"]
                      and e["kind"] not in TRAINING_KINDS and (now - e["ends_at"]).days < 45]
            if not recent:  # none: one is added, ended two days ago
                day = max(self.today - dt.timedelta(days=2), dt.date(self.this_year, 1, 1))
                recent = [self.add(code, "金锤子志愿服务", self.title(code, "金锤子志愿服务", day.year),
                                   dt.datetime.combine(day, dt.time(9)))]
                if recent[0]["ends_at"] >= now:
                    continue
            max(recent, key=lambda e: e["starts_at"]).update(status=PLANNED, summary=None)

    # --- the people ---------------------------------------------------------------------------------
    @staticmethod
    def _pool(people: list[PersonRef], keen: dict[int, float]) -> tuple[list[PersonRef], list[float]]:
        running, total = [], 0.0
        for person in people:
            total += keen[person.id]
            running.append(total)
        return people, running

    def pick(self, code: str, k: int, leave_out: set) -> list[PersonRef]:
        """``k`` people of ``code``'s pool (the city's: everyone) without repeats and none of
        ``leave_out``, the keen ones more often."""
        people, running = self.pools[code]
        chosen: dict[int, PersonRef] = {}
        for _ in range(20):  # a few draws more than needed, until k are distinct
            if len(chosen) >= k or not people:
                break
            for person in self.rng.choices(people, cum_weights=running, k=2 * (k - len(chosen))):
                if person.id not in leave_out and person.id not in chosen and len(chosen) < k:
                    chosen[person.id] = person
        return list(chosen.values())

    def guest(self, code: str, *, lecturer: bool = False) -> PersonRef:
        employer = self.rng.choice(GUEST_EMPLOYERS) if lecturer else ""
        return PersonRef(id=None, name=self.faker.name(), county_code=code, status="", employer=employer)

    def participants(self, event: dict, event_id: int) -> list[dict]:
        rng, now = self.rng, self.now
        start, code = event["starts_at"], event["county_code"]
        if event["status"] == PLANNED and start > now + dt.timedelta(days=INVITE_AHEAD):
            return []  # not yet invited
        pool = self.pools[code][0]
        size = rng.randint(10, min(event["capacity"] or 40, 40))
        lecturers: list[PersonRef] = []
        if event["kind"] in TRAINING_KINDS:
            if event["kind"] == "交流活动" or not self.roster:
                lecturers = [self.guest(code, lecturer=True)]
            else:
                honoured = [p for p in pool if p.honour_level in ("全国", "省级")] or pool
                lecturers = [rng.choice(honoured)] if honoured else []
        taken = {p.id for p in lecturers}
        people = self.pick(code, size, taken) if self.roster else \
            [self.guest(code) for _ in range(rng.randint(4, 10))]
        start_utc = clock.to_utc(start)  # once per event: the zone's offset holds for its hours
        invited_at = start_utc - dt.timedelta(days=rng.randint(7, 20))
        held, rate = event["status"] == HELD, rng.uniform(0.7, 0.92)
        rows = []
        for role, ref in [(LECTURER, p) for p in lecturers] + [(PARTICIPANT, p) for p in people]:
            attendance = None
            if held:
                roll = rng.random()
                attendance = PRESENT if role == LECTURER or roll < rate else EXCUSED if roll < rate + 0.06 \
                    else ABSENT
            registered = role == LECTURER or rng.random() < (0.8 if held else 0.4)
            rows.append({"event_id": event_id, "person_id": ref.id, "name": ref.name,
                         "county_code": ref.county_code, "employer": ref.employer or None,
                         "honour": ref.honour, "role": role, "registration": REGISTERED if registered else INVITED,
                         "attendance": attendance,
                         "attendance_at": start_utc + dt.timedelta(minutes=rng.randint(-20, 15))
                         if attendance else None,
                         "attendance_by": event["created_by"] if attendance else None,
                         "deceased": False, "invited_by": event["created_by"], "invited_at": invited_at})
        return rows

    # --- loading ------------------------------------------------------------------------------------
    def load(self) -> None:
        session = self.session
        for year in (self.this_year - 1, self.this_year):
            for code in (CITY, *self.codes):
                self.plan_year(code, year)
        self.settle()
        self.number()
        table = Event.__table__
        ids = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                              self.events).scalars().all()
        participants = [row for event, event_id in zip(self.events, ids, strict=True)
                        for row in self.participants(event, event_id)]
        insert_rows(session, Participant.__table__, participants)
        targets = self.targets(session)
        bump_versions(session, {"events_event", "events_participant", "events_target"})
        held = sum(e["status"] == HELD for e in self.events)
        record(session, "import", table="events_event",
               summary=(f"演示数据：{len(self.events)} 场活动培训（{held} 场已举办），{len(participants)} 人次邀请，"
                        f"{targets} 项年度计划目标" + ("" if self.roster else "（名册未启用，人员为输入的姓名）")))

    def targets(self, session) -> int:
        """Every county's targets for both years (the city keeps the academy's defaults)."""
        have = {tuple(row) for row in session.execute(select(Target.year, Target.county_code, Target.plan_line))}
        rows = [{"year": year, "county_code": code, "plan_line": line, "target": target, "updated_by": ADMIN,
                 "updated_at": dt.datetime(year - 1, 12, 20, 2, 0)}
                for year in (self.this_year - 1, self.this_year) for code in self.codes
                for line, target in COUNTY_TARGETS.items() if (year, code, line) not in have]
        if rows:
            session.execute(insert(Target.__table__), rows)
        return len(rows)


