from sqlalchemy import select, tuple_

from core.data.audit import bump_versions
from core.spreadsheet import Column, SpreadsheetTable, insert_rows

from .models import VolunteerActivity

KEY = ("title", "county_code", "held_on")


def _check(row):
    # every cell of the row has been read; return (column key or None, reason) pairs
    if row["hours"] > 24:
        return [("hours", "一次活动不能超过 24 小时")]
    return []


def _existing(session, keys):
    t = VolunteerActivity.__table__
    columns = [t.c[k] for k in KEY]
    return {tuple(r) for r in session.execute(select(*columns).where(tuple_(*columns).in_(keys)))}


def _write(session, rows, actor):
    # a bulk insert: fast for 100,000 rows, but not seen by the audit events, so bump versions
    insert_rows(session, VolunteerActivity.__table__, rows)
    bump_versions(session, {"volunteer_activity"})


def _export(session, counties):
    t = VolunteerActivity.__table__
    stmt = select(t.c.title, t.c.county_code, t.c.held_on, t.c.hours).order_by(t.c.held_on, t.c.id)
    if counties is not None:
        stmt = stmt.where(t.c.county_code.in_(counties))
    yield from session.execute(stmt.execution_options(yield_per=2000)).mappings()


ACTIVITIES = SpreadsheetTable(
    name="volunteer_activity", title="志愿服务",
    columns=(Column("title", "活动", required=True, aliases=("活动名称",)),
             Column("county_code", "所属区县", kind="county", required=True, aliases=("区县",)),
             Column("held_on", "日期", kind="date", required=True, aliases=("活动日期",)),
             Column("hours", "时长（小时）", kind="decimal", required=True, aliases=("时长",),
                    help="可带一位小数，如 2.5")),
    natural_key=KEY, county_column="county_code", permission="volunteer.edit",
    validate_row=_check, existing_keys=_existing, write_rows=_write, export_rows=_export)
