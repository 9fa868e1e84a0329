"""The audit log: who wrote what, when, with the row before and after.

Every ORM insert, update and delete in a :func:`core.data.db.session_scope` is recorded
automatically (``create``/``update``/``delete``). Plugins record the rest, such as approvals,
imports and exports, with :func:`record`::

    from core.data.audit import record
    record(session, "approve", table="registry_request", row_id=req.id, county=req.county_code,
           summary="批准 去世 申请")

A model can opt out with ``__audit__ = False`` (only for logs and counters) and hide columns
with ``__audit_exclude__ = {"password_hash"}`` (the change is recorded as "***"). An object may
describe its own write in words by setting ``obj._audit_summary = "提交去世申请：…"`` before the
flush (the entry's 说明; no ID number in full there).
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, func, insert, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.data.db import utcnow
from core.data.labels import field_label, table_label, value_label
from core.data.models import AuditEntry, DataVersion
from core.settings import clock

ACTION_LABELS = {
    "create": "新增",
    "update": "修改",
    "delete": "删除",
    "approve": "通过",
    "reject": "驳回",
    "withdraw": "撤回",
    "return": "退回修改",
    "resubmit": "重新提交",
    "import": "导入",
    "export": "导出",
    "login": "登录",
    "login_cookie": "凭登录状态恢复",
    "login_failed": "登录失败",
    "logout": "退出",
    "user_change": "账户变更",
    "read_sensitive": "查看敏感信息",
    "search_id": "按身份证号码查找",
}


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user, or a named system process (CLI, demo loader)."""

    username: str
    role: str
    county_code: str | None = None


SYSTEM = Actor("system", "admin", None)


class AuditError(RuntimeError):
    """A write was attempted without an actor to record."""


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _actor(session: Session) -> Actor:
    actor = session.info.get("actor")
    if actor is None:
        raise AuditError("a write needs an actor: open the session with session_scope(actor)")
    return actor


def record(
    session: Session,
    action: str,
    *,
    table: str | None = None,
    row_id: Any = None,
    county: str | None = None,
    before: dict | None = None,
    after: dict | None = None,
    summary: str = "",
) -> None:
    """Append one audit entry in the session's transaction (it commits or rolls back with it).

    Recording changes no data version: the rows an action changes through the ORM bump their
    own tables; a bulk write through SQLAlchemy Core calls :func:`bump_versions` itself.
    """
    actor = _actor(session)
    session.execute(
        insert(AuditEntry).values(
            at=utcnow(),
            actor=actor.username,
            actor_county=actor.county_code,
            action=action,
            table_name=table,
            row_id=None if row_id is None else str(row_id),
            county_code=county,
            before={k: _plain(v) for k, v in before.items()} if before else None,
            after={k: _plain(v) for k, v in after.items()} if after else None,
            summary=summary,
        )
    )


def bump_versions(session: Session, tables: set[str]) -> None:
    """Increment the data version of ``tables`` (call after bulk writes that bypass the ORM)."""
    dialect = session.get_bind().dialect.name
    ins = (postgresql if dialect == "postgresql" else sqlite).insert
    for table in sorted(tables):  # a fixed order avoids deadlocks between writers
        stmt = ins(DataVersion).values(table_name=table, version=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[DataVersion.table_name],
            set_={"version": DataVersion.version + 1},
        )
        session.connection().execute(stmt)


def data_version(session: Session, tables: set[str] | None = None) -> int:
    """A number that grows with every write to ``tables`` (all tables when None)."""
    stmt = select(func.coalesce(func.sum(DataVersion.version), 0))
    if tables is not None:
        stmt = stmt.where(DataVersion.table_name.in_(sorted(tables)))
    return int(session.scalar(stmt))


def _column_values(obj: Any, excluded: frozenset[str]) -> dict[str, Any]:
    state = inspect(obj)
    return {
        attr.key: ("***" if attr.key in excluded else _plain(getattr(obj, attr.key)))
        for attr in state.mapper.column_attrs
    }


def _changes(obj: Any, excluded: frozenset[str]) -> tuple[dict, dict]:
    before, after = {}, {}
    state = inspect(obj)
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        hidden = attr.key in excluded
        before[attr.key] = "***" if hidden else _plain(old)
        after[attr.key] = "***" if hidden else _plain(new)
    return before, after


def _row_id(obj: Any) -> str:
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    return ",".join(str(v) for v in key if v is not None)


@event.listens_for(Session, "before_flush")
def _capture_writes(session: Session, _ctx, _instances) -> None:
    # Updates must be read before the flush clears their history; inserts get ids only after.
    pending = session.info.setdefault("_audit_pending", [])
    for obj in session.dirty:
        if not getattr(obj, "__audit__", True) or not session.is_modified(obj):
            continue
        excluded = getattr(obj, "__audit_exclude__", frozenset())
        before, after = _changes(obj, excluded)
        if before or after:
            pending.append(("update", obj, before, after))
    for obj in session.deleted:
        if getattr(obj, "__audit__", True):
            excluded = getattr(obj, "__audit_exclude__", frozenset())
            pending.append(("delete", obj, _column_values(obj, excluded), None))
    for obj in session.new:
        if getattr(obj, "__audit__", True):
            pending.append(("create", obj, None, None))
    if pending:
        _actor(session)  # refuse the flush before anything is written


@event.listens_for(Session, "after_flush")
def _write_audit(session: Session, _ctx) -> None:
    pending = session.info.pop("_audit_pending", [])
    if not pending:
        return
    actor = _actor(session)
    rows, tables = [], set()
    for action, obj, before, after in pending:
        table = obj.__table__.name
        if action == "create":
            after = _column_values(obj, getattr(obj, "__audit_exclude__", frozenset()))
        county = getattr(obj, "county_code", None)
        rows.append(
            dict(
                at=utcnow(),
                actor=actor.username,
                actor_county=actor.county_code,
                action=action,
                table_name=table,
                row_id=_row_id(obj),
                county_code=county if isinstance(county, str) else None,
                before=before,
                after=after,
                # a model may describe the write in words (a request naming whom it is about)
                summary=getattr(obj, "_audit_summary", "") or "",
            )
        )
        tables.add(table)
    session.connection().execute(insert(AuditEntry), rows)
    bump_versions(session, tables)


def changes_text(table: str | None, values: dict | None) -> str:
    """An entry's before/after as a screen shows it: 角色: 审核员；区县: 330182 — the columns by
    the Chinese names their models declare (core.data.labels), unlabelled ones as stored."""
    return "；".join(f"{field_label(table, k)}: {value_label(table, k, v)}"
                    for k, v in (values or {}).items())


def describe(entry: AuditEntry) -> str:
    """What an entry says happened: its summary, or for a plain insert, update or delete (which
    are recorded without one) e.g. 修改用户账户：角色、区县."""
    if entry.summary:
        return entry.summary
    what = ACTION_LABELS.get(entry.action, entry.action) + table_label(entry.table_name)
    if entry.action == "update" and entry.after:
        return what + "：" + "、".join(field_label(entry.table_name, k) for k in entry.after)
    return what


@dataclass(frozen=True)
class AuditFilter:
    """What the 审计日志 page filters by; None means any. Dates are inclusive, and are the users'
    local days (JIANGXIN_TIME_ZONE, see core.settings.clock), as the page shows times."""

    actor: str | None = None
    county: str | None = None
    table: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def apply(self, stmt):
        if self.actor:
            stmt = stmt.where(AuditEntry.actor == self.actor)
        if self.county:
            stmt = stmt.where((AuditEntry.county_code == self.county)
                              | (AuditEntry.actor_county == self.county))
        if self.table:
            stmt = stmt.where(AuditEntry.table_name == self.table)
        if self.since:
            stmt = stmt.where(AuditEntry.at >= clock.local_day_bounds(self.since)[0])
        if self.until:
            stmt = stmt.where(AuditEntry.at < clock.local_day_bounds(self.until)[1])
        return stmt


def count_entries(session: Session, flt: AuditFilter) -> int:
    return int(session.scalar(flt.apply(select(func.count()).select_from(AuditEntry))))


def find_entries(session: Session, flt: AuditFilter, *, offset: int = 0,
                 limit: int | None = 50) -> list[AuditEntry]:
    """Newest first, one page at a time (``limit=None`` streams them all, for export)."""
    stmt = flt.apply(select(AuditEntry)).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if limit is not None:
        stmt = stmt.offset(offset).limit(limit)
        return list(session.scalars(stmt))
    return session.scalars(stmt.execution_options(yield_per=2000))
