"""Roster tables: people and their honours."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pypinyin import Style, lazy_pinyin
from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.data.db import Base, JSONType, utcnow


def initials(name: str) -> str:
    """Pinyin initials, the way staff search a name they half remember: 张建国 -> zjg."""
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower()


class Person(Base):
    """A model worker or craftsman. ``county_code`` is where the person belongs now (never
    derived from the ID number, whose area code is where the card was issued)."""

    __tablename__ = "registry_person"
    __table_args__ = (
        Index("ix_registry_person_county_status_name", "county_code", "status", "name"),
        Index("ix_registry_person_status_name", "status", "name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    name_initials: Mapped[str] = mapped_column(String(50), index=True)
    gender: Mapped[str] = mapped_column(String(2))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    ethnicity: Mapped[str | None] = mapped_column(String(20))
    political_status: Mapped[str | None] = mapped_column(String(20))
    education: Mapped[str | None] = mapped_column(String(20))
    employer: Mapped[str | None] = mapped_column(String(100))
    post: Mapped[str | None] = mapped_column(String(50))
    industry: Mapped[str | None] = mapped_column(String(50))
    county_code: Mapped[str] = mapped_column(String(12))
    phone: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(8), default="在职")
    death_date: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    honours: Mapped[list[Honour]] = relationship(back_populates="person", order_by="Honour.year_awarded")


class Honour(Base):
    """One honour of a person, with the year it was awarded."""

    __tablename__ = "registry_honour"
    __table_args__ = (
        Index("ix_registry_honour_person_name", "person_id", "name", unique=True),
        Index("ix_registry_honour_level_year", "level", "year_awarded"),
        Index("ix_registry_honour_year", "year_awarded"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("registry_person.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(8))
    year_awarded: Mapped[int | None] = mapped_column(Integer)
    awarding_body: Mapped[str | None] = mapped_column(String(100))

    person: Mapped[Person] = relationship(back_populates="honours")


class ChangeRequest(Base):
    """A change to the roster that a reviewer decides: 新增, 关系转移, 去世 or 信息更正.

    ``payload`` holds what the change sets; ``before`` the person's fields when it was submitted
    (for the reviewer's diff). Only an approved request changes the roster.
    """

    __tablename__ = "registry_change"
    __table_args__ = (
        Index("ix_registry_change_state_submitted", "state", "submitted_at"),
        Index("ix_registry_change_county_state", "county_code", "state"),
        Index("ix_registry_change_submitted_by", "submitted_by"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(8), default="待审核")
    person_id: Mapped[int | None] = mapped_column(ForeignKey("registry_person.id"))
    county_code: Mapped[str] = mapped_column(String(12))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    reason: Mapped[str] = mapped_column(Text)
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
