"""Events and sign-in sheets as spreadsheet tables: a template, a checked all-or-nothing import
and a county-scoped export each, through core's spreadsheet layer.

- ``EVENTS`` (活动): one row per event, natural key (所属区县, 活动名称, 日期), the rule by which
  the 日程 refuses a duplicate. A city user leaves 所属区县 blank for a city-wide event. The
  kind must be one the county may use (the city's, or the county's own); 已举办 only for an
  event begun, 取消 only with its reason (状态说明), as on the event's page. The export lists
  each event's 活动编号, which the sign-in sheet names.
- ``ATTENDANCE`` (签到表): one row per person and event: 活动编号, 姓名, 人员编号 (optional),
  出勤 (出席, 缺席, 请假). A row is matched to the event's invited person by 人员编号 when
  given, else by name among that event's invited; two invited of that name make the row
  ambiguous. Each row that names an unknown event, an event of another county, an event not
  begun or cancelled, or a person not invited is reported at its row, and nothing is written.
  Importing records the attendance (who and when) and, as on 签到, makes a started 计划
  event with someone present 已举办.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from typing import Any

from sqlalchemy import select, tuple_, update

from core.data.audit import bump_versions
from core.data.db import utcnow
from core.spreadsheet import insert_rows
from core.spreadsheet.table import Column, RowProblem, RowsRefused, SpreadsheetTable
from plugins.events.attendance import check_open
from plugins.events.events import mark_held_if_started
from plugins.events.models import Event, EventKind, Participant
from plugins.events.queries import EventError, now_wall
from plugins.events.vocab import ATTENDANCE as ATTENDANCE_VALUES
from plugins.events.vocab import CANCELLED, CITY, HELD, PLANNED, PRESENT, STATUSES

PERMISSION = "events.import"
EVENT_TABLES = {"events_event"}
ATTENDANCE_TABLES = {"events_participant", "events_event"}
MOST_CAPACITY = 100_000
MOST_CLASS_HOURS = 1_000

E = Event.__table__.c
P = Participant.__table__.c

NO_KIND = "不是可用的活动类型：请填写年度计划中列出的类型（区县可在年度计划中新增本区县的类型）"
NO_EVENT = "找不到该活动编号，或该活动不属于您可导入的区县"
CITY_EVENT = "市级活动的签到只能由市协会导入"


def _length(column) -> int:
    return column.type.length


# ---------------------------------------------------------------- events

CLOCK = re.compile(r"(\d{1,2})\s*[:：时点]\s*(\d{1,2})?\s*(?:[:：分]\s*(\d{1,2})?\s*秒?)?")


def parse_clock(value: Any) -> dt.time | None:
    """A time of day as typed (9:00, 09:30:00, 9点30, 14时) or read from a time cell; None if
    it is none."""
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, dt.datetime):
        return value.time().replace(second=0, microsecond=0)
    match = CLOCK.fullmatch(str(value or "").strip())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    return dt.time(hour, minute) if hour < 24 and minute < 60 else None


EVENT_COLUMNS = (
    Column("id", "活动编号", kind="integer",
           help="导出时列出，签到表用它指明活动；导入新活动时不用填写（填了也不读取）"),
    Column("kind", "类型", required=True, aliases=("活动类型",), max_length=_length(E.kind),
           help="如 事迹宣讲、技术培训、素质提升班；须是年度计划中列出的类型"),
    Column("title", "活动名称", required=True, aliases=("名称", "标题"), max_length=_length(E.title)),
    Column("organiser", "主办单位", required=True, aliases=("主办",), max_length=_length(E.organiser)),
    Column("county_code", "所属区县", kind="county", aliases=("区县",),
           help="市级活动不填（只有市协会可导入市级活动）；区县工作人员不填即为本区县"),
    Column("place", "地点", required=True, aliases=("活动地点",), max_length=_length(E.place)),
    Column("day", "日期", kind="date", required=True, aliases=("活动日期", "开始日期")),
    Column("start", "开始时间", required=True, max_length=10, help="如 9:00"),
    Column("end", "结束时间", required=True, max_length=10, help="如 11:30；跨天的活动另填结束日期"),
    Column("end_day", "结束日期", kind="date", help="不填为同一天"),
    Column("capacity", "名额", kind="integer", help="不填为不限"),
    Column("class_hours", "课时", kind="decimal"),
    Column("series", "系列", max_length=_length(E.series), help="如 926工匠日 2026"),
    Column("status", "状态", kind="choice", choices=STATUSES,
           help="不填为计划；已经开始的活动才能填已举办；取消的活动须填写状态说明"),
    Column("status_reason", "状态说明", aliases=("取消原因",), max_length=_length(E.status_reason),
           help="状态为取消时必填：取消的原因"),
    Column("summary", "活动小结", aliases=("小结",), max_length=2000),
)
EVENT_KEY = ("county_code", "title", "day")


def times_of(row: dict[str, Any]) -> tuple[dt.datetime, dt.datetime] | None:
    """The row's start and end as naive local times, None if either time is unreadable."""
    start, end = parse_clock(row.get("start")), parse_clock(row.get("end"))
    if start is None or end is None or row.get("day") is None:
        return None
    return (dt.datetime.combine(row["day"], start),
            dt.datetime.combine(row.get("end_day") or row["day"], end))


def check_event(row: dict[str, Any]) -> list[RowProblem]:
    """Readable times, an end not before the start, 已举办 only once started, sane numbers."""
    problems: list[RowProblem] = []
    for key in ("start", "end"):
        if row.get(key) is not None and parse_clock(row[key]) is None:
            problems.append((key, f"无法识别的时间“{row[key]}”，请写成 9:00 或 14:30"))
    times = times_of(row)
    if times and times[1] < times[0]:
        problems.append(("end", "结束时间不能早于开始时间"))
    if times and row.get("status") == HELD and times[0] > now_wall():
        problems.append(("status", "活动还没有开始，不能填已举办"))
    if row.get("status") == CANCELLED and not row.get("status_reason"):
        # at 状态, the column the file surely has (状态说明 may be missing from it)
        problems.append(("status", "取消的活动须在“状态说明”中填写取消原因"))
    if row.get("capacity") is not None and not 1 <= row["capacity"] <= MOST_CAPACITY:
        problems.append(("capacity", f"应在 1 至 {MOST_CAPACITY:,} 之间"))
    hours = row.get("class_hours")
    if hours is not None and not 0 <= hours <= MOST_CLASS_HOURS:
        problems.append(("class_hours", f"应在 0 至 {MOST_CLASS_HOURS:,} 之间"))
    return problems


def _county(row: dict[str, Any]) -> str:
    return row.get("county_code") or CITY


def event_references(session, rows: list[dict], counties: tuple[str, ...] | None) -> list[tuple]:
    """Each row's kind must be an active kind of the city or of the row's county."""
    wanted = {_county(r) for r in rows} | {CITY}
    kinds = {(county, name) for county, name in session.execute(
        select(EventKind.county_code, EventKind.name)
        .where(EventKind.active, EventKind.county_code.in_(sorted(wanted))))}
    return [(i, "kind", f"“{r['kind']}”{NO_KIND}") for i, r in enumerate(rows)
            if (CITY, r["kind"]) not in kinds and (_county(r), r["kind"]) not in kinds]


def existing_events(session, keys: list[tuple]) -> set[tuple]:
    """Which (county, title, day) are on file (county None or "" is the city)."""
    pairs = {(county or CITY, title) for county, title, _ in keys}
    days = [day for _, _, day in keys]
    found = session.execute(
        select(Event.county_code, Event.title, Event.starts_at)
        .where(tuple_(Event.county_code, Event.title).in_(sorted(pairs)),
               Event.starts_at >= dt.datetime.combine(min(days), dt.time()),
               Event.starts_at < dt.datetime.combine(max(days) + dt.timedelta(days=1), dt.time())))
    on_file = {(county, title, starts.date()) for county, title, starts in found}
    return {key for key in keys if (key[0] or CITY, key[1], key[2]) in on_file}


def write_events(session, rows: list[dict], actor) -> None:
    """Bulk insert, the county "" for a city-wide row."""
    now = utcnow()
    values = []
    for r in rows:
        times = times_of(r)
        if times is None:  # validate_row let it through: cannot happen, but never write a guess
            raise RowsRefused(f"无法识别“{r['title']}”的开始或结束时间")
        hours = r.get("class_hours")
        values.append({
            "kind": r["kind"], "title": r["title"], "organiser": r["organiser"], "county_code": _county(r),
            "place": r["place"], "starts_at": times[0], "ends_at": times[1], "capacity": r.get("capacity"),
            "class_hours": None if hours is None else float(hours), "series": r.get("series") or None,
            "status": r.get("status") or PLANNED, "status_reason": r.get("status_reason") or None, "summary": r.get("summary") or None,
            "created_by": actor.username, "created_at": now})
    insert_rows(session, Event.__table__, values)
    bump_versions(session, EVENT_TABLES)


def export_events(session, counties: tuple[str, ...] | None):
    """The events of ``counties`` (None: all, city-wide ones included), in date order."""
    stmt = select(Event.id, Event.kind, Event.title, Event.organiser, Event.county_code, Event.place,
                  Event.starts_at, Event.ends_at, Event.capacity, Event.class_hours, Event.series,
                  Event.status, Event.status_reason, Event.summary).order_by(Event.starts_at, Event.id)
    if counties is not None:
        stmt = stmt.where(Event.county_code.in_(counties))
    for r in session.execute(stmt.execution_options(yield_per=2000)).mappings():
        starts, ends = r["starts_at"], r["ends_at"]
        yield {**r, "day": starts.date(), "start": f"{starts:%H:%M}", "end": f"{ends:%H:%M}",
               "end_day": ends.date() if ends.date() != starts.date() else None}


EVENTS = SpreadsheetTable(
    name="events_events", title="活动", columns=EVENT_COLUMNS, natural_key=EVENT_KEY,
    county_column="county_code", permission=PERMISSION, validate_row=check_event,
    existing_keys=existing_events, write_rows=write_events, export_rows=export_events,
    check_references=event_references, row_name=lambda row: row.get("title") or "活动")


# ---------------------------------------------------------------- sign-in sheets

ATTENDANCE_COLUMNS = (
    Column("event_id", "活动编号", kind="integer", required=True,
           help="见活动详情页或活动导出表中的活动编号"),
    Column("event_title", "活动名称", max_length=_length(E.title),
           help="可不填；填了则须与该编号的活动名称一致，以免填错编号"),
    Column("name", "姓名", required=True, max_length=_length(P.name)),
    Column("person_id", "人员编号", kind="integer",
           help="名册中的人员编号，可不填；同一活动邀请了同名的人时必填"),
    Column("attendance", "出勤", kind="choice", choices=ATTENDANCE_VALUES, required=True,
           aliases=("出勤情况", "签到")),
)


def _events(session, ids) -> dict[int, Event]:
    ids = sorted({i for i in ids if i is not None})
    return {e.id: e for e in session.scalars(select(Event).where(Event.id.in_(ids)))} if ids else {}


def _invited(session, event_ids) -> dict[int, list[tuple[int, int | None, str]]]:
    """(participant id, person id, name) of every invited person of ``event_ids``, by event."""
    found: dict[int, list[tuple[int, int | None, str]]] = defaultdict(list)
    if event_ids:
        for pid, event_id, person_id, name in session.execute(
                select(Participant.id, Participant.event_id, Participant.person_id, Participant.name)
                .where(Participant.event_id.in_(sorted(event_ids)))):
            found[event_id].append((pid, person_id, name))
    return found


def _match(invited: list[tuple[int, int | None, str]], row: dict) -> tuple[int | None, tuple | None]:
    """The participant id a row names, or (None, (column key, reason))."""
    name, person_id = row["name"], row.get("person_id")
    if person_id is not None:
        found = [p for p in invited if p[1] == person_id]
        if not found:
            return None, ("person_id", f"人员编号 {person_id} 不在该活动的邀请名单中")
        if found[0][2] != name:
            return None, ("name", f"人员编号 {person_id} 在邀请名单中的姓名是“{found[0][2]}”，与本行不符")
        return found[0][0], None
    found = [p for p in invited if p[2] == name]
    if not found:
        return None, ("name", f"“{name}”不在该活动的邀请名单中：请先在活动详情页邀请")
    if len(found) > 1:
        return None, ("person_id", f"该活动邀请了 {len(found)} 位“{name}”，请填写人员编号")
    return found[0][0], None


def _event_problem(event: Event | None, row: dict, counties: tuple[str, ...] | None) -> tuple | None:
    """Why a row's event takes no attendance from this import, or None."""
    if event is None or counties is not None and event.county_code not in (*counties, CITY):
        return "event_id", NO_EVENT
    if counties is not None and event.county_code == CITY:
        return "event_id", CITY_EVENT
    try:
        check_open(event)
    except EventError as exc:
        return "event_id", str(exc)
    title = row.get("event_title")
    if title and title != event.title:
        return "event_title", f"与编号 {event.id} 的活动名称“{event.title}”不符"
    return None


def resolve(session, rows: list[dict], counties: tuple[str, ...] | None):
    """Each row's participant id (None where refused) and the problems as (index, key, reason)."""
    events = _events(session, (r["event_id"] for r in rows))
    problems: list[tuple[int, str | None, str]] = []
    ok_events = {}
    for i, r in enumerate(rows):
        problem = _event_problem(events.get(r["event_id"]), r, counties)
        if problem:
            problems.append((i, *problem))
        else:
            ok_events[i] = r["event_id"]
    invited = _invited(session, set(ok_events.values()))
    matched: list[int | None] = [None] * len(rows)
    first_row: dict[int, int] = {}
    for i, event_id in ok_events.items():
        participant, problem = _match(invited[event_id], rows[i])
        if problem:
            problems.append((i, *problem))
        elif first_row.setdefault(participant, i) != i:
            problems.append((i, "name", "与前面一行是同一位参加人员"))
        else:
            matched[i] = participant
    return matched, sorted(problems)


def attendance_references(session, rows: list[dict], counties: tuple[str, ...] | None) -> list[tuple]:
    return resolve(session, rows, counties)[1]


def write_attendance(session, rows: list[dict], actor) -> None:
    """Record each row's attendance (who and when) in one UPDATE per value; a started 计划
    event with someone now present becomes 已举办 (events.mark_held_if_started, audited)."""
    counties = getattr(actor, "county_code", None)
    matched, problems = resolve(session, rows, None if counties is None else (counties,))
    if problems:  # changed between the check and the write
        index, _, reason = problems[0]
        raise RowsRefused(f"{rows[index]['name']}：{reason}")
    by_value: dict[str, list[int]] = defaultdict(list)
    for participant, row in zip(matched, rows, strict=True):
        by_value[row["attendance"]].append(participant)
    now = utcnow()
    for value, ids in by_value.items():
        session.execute(update(Participant).where(Participant.id.in_(ids))
                        .values(attendance=value, attendance_at=now, attendance_by=actor.username),
                        execution_options={"synchronize_session": False})
    for event in _events(session, {r["event_id"] for r in rows if r["attendance"] == PRESENT}).values():
        mark_held_if_started(session, actor, event)
    bump_versions(session, ATTENDANCE_TABLES)


def export_attendance(session, counties: tuple[str, ...] | None):
    """Every invited person of the events of ``counties`` (None: all), by event date: a sign-in
    sheet to fill in (出勤 blank where not yet taken)."""
    stmt = (select(Participant.event_id, Event.title.label("event_title"), Participant.name,
                   Participant.person_id, Participant.attendance)
            .join(Event, Event.id == Participant.event_id)
            .order_by(Event.starts_at, Event.id, Participant.id))
    if counties is not None:
        stmt = stmt.where(Event.county_code.in_(counties))
    yield from session.execute(stmt.execution_options(yield_per=2000)).mappings()


ATTENDANCE = SpreadsheetTable(
    name="events_attendance", title="签到表", columns=ATTENDANCE_COLUMNS,
    natural_key=("event_id", "name", "person_id"), permission=PERMISSION,
    write_rows=write_attendance, export_rows=export_attendance,
    check_references=attendance_references, done_message="已登记 {n} 人次的出勤{skipped}。",
    row_name=lambda row: row.get("name") or "参加人员")

TABLES = [EVENTS, ATTENDANCE]
