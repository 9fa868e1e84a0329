"""Core tables: accounts, failed sign-ins, the audit log and data versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.data.db import Base, JSONType, utcnow

# JSONType lived here; core.data.db.JSONType is its public home, and importing it from here still works

ROLES = ("admin", "reviewer", "staff", "manager")
ROLE_LABELS = {"admin": "管理员", "reviewer": "审核员", "staff": "区县工作人员", "manager": "领导"}


class User(Base):
    """An account. ``county_code`` None means the whole city."""

    __tablename__ = "core_user"
    __audit_exclude__ = frozenset({"password_hash"})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    county_code: Mapped[str | None] = mapped_column(String(12))
    password_hash: Mapped[str] = mapped_column(String(100))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Carried in the sign-in cookie and the session; incremented to end every session.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LoginFailure(Base):
    """One failed sign-in; the lockout counts these over a sliding window."""

    __tablename__ = "core_login_failure"
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
    __audit__ = False

    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
