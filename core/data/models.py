"""Core tables: accounts, failed sign-ins, the audit log and data versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from core.data.db import Base, JSONType, utcnow

# JSONType lived here; core.data.db.JSONType is its public home, and importing it from here still works

ROLES = ("admin", "reviewer", "staff", "manager")
ROLE_LABELS = {"admin": "管理员", "reviewer": "审核员", "staff": "区县工作人员", "manager": "领导"}
# The roles from the least to the most powerful: the order a form offers them in.
ROLES_BY_POWER = ("staff", "manager", "reviewer", "admin")


class User(Base):
    """An account. ``county_code`` None means the whole city."""

    __tablename__ = "core_user"
    __table_args__ = {"info": {"label": "用户账户"}}  # Chinese names: core.data.labels
    __audit_exclude__ = frozenset({"password_hash"})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, info={"label": "用户名"})
    display_name: Mapped[str] = mapped_column(String(64), info={"label": "姓名"})
    role: Mapped[str] = mapped_column(String(16), info={"label": "角色", "values": ROLE_LABELS})
    county_code: Mapped[str | None] = mapped_column(String(12), info={"label": "区县"})
    password_hash: Mapped[str] = mapped_column(String(100), info={"label": "密码"})
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, info={"label": "已停用"})
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, info={"label": "创建时间"})
    # Carried in the sign-in cookie and the session; incremented to end every session.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0",
                                                    info={"label": "登录会话代次"})
    # Set by an administrator's new account or password reset: the user chooses their own
    # password at the next sign-in before seeing anything else (dashboard/password_gate.py).
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default=false(),
                                                       info={"label": "须修改密码"})


class LoginFailure(Base):
    """One failed sign-in; the lockout counts these over a sliding window."""

    __tablename__ = "core_login_failure"
    __table_args__ = {"info": {"label": "登录失败记录"}}
    __audit__ = False

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AuditEntry(Base):
    """One write, append-only: database triggers refuse UPDATE, DELETE, REPLACE and TRUNCATE
    (core_0001, core_0002; docs/architecture.md)."""

    __tablename__ = "core_audit_log"
    __audit__ = False
    __table_args__ = (
        Index("ix_core_audit_log_at", "at"),
        Index("ix_core_audit_log_actor_at", "actor", "at"),
        Index("ix_core_audit_log_table_at", "table_name", "at"),
        Index("ix_core_audit_log_county_at", "county_code", "at"),
        {"info": {"label": "审计日志"}},
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    actor_county: Mapped[str | None] = mapped_column(String(12))
    action: Mapped[str] = mapped_column(String(32))
    table_name: Mapped[str | None] = mapped_column(String(64))
    row_id: Mapped[str | None] = mapped_column(String(64))
    county_code: Mapped[str | None] = mapped_column(String(12))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    summary: Mapped[str] = mapped_column(Text, default="")


class DataVersion(Base):
    """A counter per table, bumped in the same transaction as every write to it.

    Cached query results are keyed by these counters, so a write on any app server invalidates
    the caches of all of them at their next read.
    """

    __tablename__ = "core_data_version"
    __table_args__ = {"info": {"label": "数据版本"}}
    __audit__ = False

    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
