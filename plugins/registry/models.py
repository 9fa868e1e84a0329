"""Roster tables: people and their honours."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.data.db import Base, JSONType, utcnow

# Surnames read otherwise than the character's usual reading, which pypinyin gives (it reads
# words, not names): 曾桂兰 is Zeng Guilan, found by zgl. Only readings without a second common
# one as a surname (乐 is Yue and Le: left as pypinyin reads it).
SURNAME_INITIALS = {"曾": "z", "覃": "q", "解": "x", "单": "s", "查": "z", "仇": "q", "区": "o",
                    "繁": "p", "翟": "z", "种": "c", "秘": "b", "召": "s", "句": "g", "隗": "w",
                    "祭": "z", "阚": "k"}


def initials(name: str) -> str:
    """Pinyin initials, the way staff search a name they half remember: 张建国 -> zjg, and a
    surname as a surname is read (曾桂兰 -> zgl, see SURNAME_INITIALS)."""
    # imported at the first name written, not at start-up: its phrase dictionary takes 0.2 s
    from pypinyin import Style, lazy_pinyin

    letters = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower()
    surname = SURNAME_INITIALS.get(name[:1])
    return surname + letters[1:] if surname and letters else letters


class Person(Base):
    """A model worker or craftsman. ``county_code`` is where the person belongs now (never
    derived from the ID number, whose area code is where the card was issued)."""

    __tablename__ = "registry_person"
    __table_args__ = (
        Index("ix_registry_person_county_status_name", "county_code", "status", "name"),
        Index("ix_registry_person_status_name", "status", "name"),
        # the list in name order, a page at a time, without sorting the whole roster first
        Index("ix_registry_person_name", "name"),
        {"info": {"label": "劳模工匠"}},  # Chinese names for the audit log: core.data.labels
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), info={"label": "姓名"})
    name_initials: Mapped[str] = mapped_column(String(50), index=True, info={"label": "拼音首字母"})
    gender: Mapped[str] = mapped_column(String(2), info={"label": "性别"})
    birth_date: Mapped[dt.date] = mapped_column(Date, info={"label": "出生日期"})
    id_number: Mapped[str] = mapped_column(String(18), unique=True, info={"label": "公民身份号码"})
    ethnicity: Mapped[str | None] = mapped_column(String(20), info={"label": "民族"})
    political_status: Mapped[str | None] = mapped_column(String(20), info={"label": "政治面貌"})
    education: Mapped[str | None] = mapped_column(String(20), info={"label": "学历"})
    employer: Mapped[str | None] = mapped_column(String(100), info={"label": "工作单位"})
    post: Mapped[str | None] = mapped_column(String(50), info={"label": "职务/工种"})
    industry: Mapped[str | None] = mapped_column(String(50), info={"label": "行业"})
    county_code: Mapped[str] = mapped_column(String(12), info={"label": "所属区县"})
    phone: Mapped[str | None] = mapped_column(String(20), info={"label": "联系电话"})
    status: Mapped[str] = mapped_column(String(8), default="在职", info={"label": "人员状态"})
    death_date: Mapped[dt.date | None] = mapped_column(Date, info={"label": "去世日期"})
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    honours: Mapped[list[Honour]] = relationship(back_populates="person", order_by="Honour.year_awarded")


class PersonGram(Base):
    """A search index, not data: each 1-, 2- and 3-character piece of a person's name (lower
    case) and each 4-character piece of their ID number ('#' first), one row each. Written
    only by the database's triggers (migration registry_0004), in the transaction that writes
    the person; ``queries.PersonFilter`` looks a fragment up here instead of reading the roster."""

    __tablename__ = "registry_person_gram"
    __table_args__ = {"sqlite_with_rowid": False, "info": {"label": "人员检索索引"}}

    gram: Mapped[str] = mapped_column(String(5), primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class Honour(Base):
    """One honour of a person, with the year it was awarded."""

    __tablename__ = "registry_honour"
    __table_args__ = (
        Index("ix_registry_honour_person_name", "person_id", "name", unique=True),
        # "has an honour of this level": answered from the index, never the honour's row
        Index("ix_registry_honour_person_level", "person_id", "level"),
        Index("ix_registry_honour_level_year", "level", "year_awarded"),
        Index("ix_registry_honour_year", "year_awarded"),
        {"info": {"label": "荣誉"}},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("registry_person.id", ondelete="CASCADE"),
                                           info={"label": "人员编号"})
    name: Mapped[str] = mapped_column(String(40), info={"label": "荣誉"})
    level: Mapped[str] = mapped_column(String(8), info={"label": "级别"})
    year_awarded: Mapped[int | None] = mapped_column(Integer, info={"label": "授予年份"})
    awarding_body: Mapped[str | None] = mapped_column(String(100), info={"label": "授予单位"})

    person: Mapped[Person] = relationship(back_populates="honours")


OPEN_WHERE = "state IN ('待审核', '退回修改')"


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
        # a person's record lists the requests about them: without it, a read of every request
        Index("ix_registry_change_person", "person_id", "submitted_at"),
        # one open request (待审核 or 退回修改) per person and kind, or per ID number and honour for a
        # 新增: the database refuses the second even when two sessions submit at the same moment
        Index("uq_registry_change_open_key", "open_key", unique=True,
              sqlite_where=text(OPEN_WHERE), postgresql_where=text(OPEN_WHERE)),
        {"info": {"label": "变动申请"}},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), info={"label": "变动类型"})
    state: Mapped[str] = mapped_column(String(8), default="待审核", info={"label": "状态"})
    person_id: Mapped[int | None] = mapped_column(ForeignKey("registry_person.id"), info={"label": "人员编号"})
    county_code: Mapped[str] = mapped_column(String(12), info={"label": "区县"})
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, info={"label": "变动内容"})
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType, info={"label": "变动前"})
    reason: Mapped[str] = mapped_column(Text, info={"label": "变动理由"})
    attachment_name: Mapped[str | None] = mapped_column(String(200), info={"label": "附件名"})
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary, info={"label": "附件"})
    submitted_by: Mapped[str] = mapped_column(String(64), info={"label": "提交人"})
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, info={"label": "提交时间"})
    decided_by: Mapped[str | None] = mapped_column(String(64), info={"label": "审核人"})
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, info={"label": "审核时间"})
    decision_reason: Mapped[str | None] = mapped_column(Text, info={"label": "审核意见"})
    # what the request may not have twice while open (see changes.open_key)
    open_key: Mapped[str | None] = mapped_column(String(80), info={"label": "未结申请标识"})
    # False from a reviewer's decision until the submitter opens 我的申请
    seen_by_submitter: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(),
                                                    info={"label": "提交人已读"})


class ChangeEvent(Base):
    """One step in a request's history: 提交, 退回修改, 重新提交, 通过, 驳回 or 撤回, by whom, when,
    with the note given (a reviewer's reason, or the submitter's reason when resubmitting)."""

    __tablename__ = "registry_change_event"
    __audit__ = False  # each step is already an audit entry of its request (submit, approve, …)
    __table_args__ = (Index("ix_registry_change_event_request", "request_id", "at"),
                      {"info": {"label": "申请办理经过"}})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("registry_change.id", ondelete="CASCADE"),
                                            info={"label": "申请编号"})
    action: Mapped[str] = mapped_column(String(8), info={"label": "办理动作"})
    actor: Mapped[str] = mapped_column(String(64), info={"label": "办理人"})
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, info={"label": "时间"})
    note: Mapped[str | None] = mapped_column(Text, info={"label": "说明"})
