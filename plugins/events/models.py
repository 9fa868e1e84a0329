"""Event tables: kinds (data, so a county may add its own), events and training sessions, the
people invited to them with their attendance, photos, and the yearly plan's targets.

People are kept as the roster's id with a snapshot of the name, county and honour
(core.host.people), so every page reads right when the roster is disabled or the person is
outside the reader's counties; ``roster.py`` keeps the snapshots current from the roster's
notifications. A guest is a typed name (``person_id`` None).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.data.db import Base, utcnow


class EventKind(Base):
    """A kind of event (事迹宣讲, 素质提升班, 劳动教育, …): its category (培训 or 活动) and the
    plan line it counts towards. ``county_code`` "" is a city kind every county uses; a
    county's own kind is seen by that county and the city. Kinds are never deleted (events
    name them); ``active`` False hides one from new events."""

    __tablename__ = "events_kind"
    __table_args__ = (Index("uq_events_kind_county_name", "county_code", "name", unique=True),
                      {"info": {"label": "活动类型"}})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(20), info={"label": "类型"})
    category: Mapped[str] = mapped_column(String(4), info={"label": "类别"})
    plan_line: Mapped[str] = mapped_column(String(30), info={"label": "计划项目"})
    county_code: Mapped[str] = mapped_column(String(12), default="", info={"label": "所属区县"})
    position: Mapped[int] = mapped_column(Integer, default=100, info={"label": "排序"})
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(),
                                         info={"label": "启用"})


class Event(Base):
    """An event or training session: kind, title, organiser, county ("" city-wide), place,
    start and end, capacity, class hours, series, status (计划, 已举办, 取消) and summary."""

    __tablename__ = "events_event"
    __table_args__ = (
        Index("ix_events_event_starts", "starts_at"),
        Index("ix_events_event_county_starts", "county_code", "starts_at"),
        Index("ix_events_event_kind_starts", "kind", "starts_at"),
        Index("ix_events_event_status_starts", "status", "starts_at"),
        Index("ix_events_event_series", "series", "starts_at"),
        {"info": {"label": "活动"}},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), info={"label": "类型"})
    title: Mapped[str] = mapped_column(String(100), info={"label": "名称"})
    organiser: Mapped[str] = mapped_column(String(100), info={"label": "主办单位"})
    county_code: Mapped[str] = mapped_column(String(12), default="", info={"label": "所属区县"})
    place: Mapped[str] = mapped_column(String(100), info={"label": "地点"})
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime, info={"label": "开始时间"})
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime, info={"label": "结束时间"})
    capacity: Mapped[int | None] = mapped_column(Integer, info={"label": "名额"})
    class_hours: Mapped[float | None] = mapped_column(Float, info={"label": "课时"})
    series: Mapped[str | None] = mapped_column(String(50), info={"label": "系列"})
    status: Mapped[str] = mapped_column(String(4), default="计划", info={"label": "状态"})
    status_reason: Mapped[str | None] = mapped_column(String(200), info={"label": "状态说明"})
    summary: Mapped[str | None] = mapped_column(Text, info={"label": "活动小结"})
    created_by: Mapped[str] = mapped_column(String(64), info={"label": "登记人"})
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    participants: Mapped[list[Participant]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Participant.id")


class Participant(Base):
    """A person invited to an event, as 讲师 or 学员: their registration (已邀请, 已报名) and
    attendance (出席, 缺席, 请假; NULL not yet taken). ``county_code`` is the person's county
    (moved by a transfer), ``deceased`` marks a person who died after the event."""

    __tablename__ = "events_participant"
    __table_args__ = (
        # NULL person ids (guests) are distinct in both SQLite and PostgreSQL
        Index("uq_events_participant_event_person", "event_id", "person_id", unique=True),
        Index("ix_events_participant_person", "person_id", "event_id"),
        Index("ix_events_participant_event_attendance", "event_id", "attendance"),
        Index("ix_events_participant_county", "county_code", "event_id"),
        {"info": {"label": "参加人员"}},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events_event.id", ondelete="CASCADE"),
                                          info={"label": "活动编号"})
    person_id: Mapped[int | None] = mapped_column(Integer, info={"label": "人员编号"})
    name: Mapped[str] = mapped_column(String(50), info={"label": "姓名"})
    county_code: Mapped[str] = mapped_column(String(12), default="", info={"label": "所属区县"})
    employer: Mapped[str | None] = mapped_column(String(100), info={"label": "工作单位"})
    honour: Mapped[str | None] = mapped_column(String(40), info={"label": "最高荣誉"})
    role: Mapped[str] = mapped_column(String(4), default="学员", info={"label": "角色"})
    registration: Mapped[str] = mapped_column(String(4), default="已邀请", info={"label": "报名"})
    attendance: Mapped[str | None] = mapped_column(String(4), info={"label": "出勤"})
    attendance_at: Mapped[dt.datetime | None] = mapped_column(DateTime, info={"label": "签到时间"})
    attendance_by: Mapped[str | None] = mapped_column(String(64), info={"label": "签到登记人"})
    deceased: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                           info={"label": "已故"})
    invited_by: Mapped[str] = mapped_column(String(64), info={"label": "邀请人"})
    invited_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    event: Mapped[Event] = relationship(back_populates="participants")


class Photo(Base):
    """A photo of an event (jpg or png, at most vocab.MAX_PHOTO_MB), kept in the database like
    the roster's attachments; lists never load ``data``."""

    __tablename__ = "events_photo"
    __table_args__ = (Index("ix_events_photo_event", "event_id"), {"info": {"label": "活动照片"}})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events_event.id", ondelete="CASCADE"),
                                          info={"label": "活动编号"})
    filename: Mapped[str] = mapped_column(String(200), info={"label": "文件名"})
    size: Mapped[int] = mapped_column(Integer, info={"label": "大小"})
    data: Mapped[bytes] = mapped_column(LargeBinary, info={"label": "照片"})
    uploaded_by: Mapped[str] = mapped_column(String(64), info={"label": "上传人"})
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Target(Base):
    """The yearly plan: at least ``target`` held sessions of ``plan_line`` in ``year``, city-wide
    (``county_code`` "") or for one county. Without a city row, vocab.DEFAULT_TARGETS apply."""

    __tablename__ = "events_target"
    __table_args__ = (Index("uq_events_target_year_county_line", "year", "county_code", "plan_line",
                            unique=True),
                      {"info": {"label": "年度计划"}})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, info={"label": "年度"})
    county_code: Mapped[str] = mapped_column(String(12), default="", info={"label": "所属区县"})
    plan_line: Mapped[str] = mapped_column(String(30), info={"label": "计划项目"})
    target: Mapped[int] = mapped_column(Integer, info={"label": "目标（场次）"})
    updated_by: Mapped[str] = mapped_column(String(64), info={"label": "修改人"})
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


MODELS = (EventKind, Event, Participant, Photo, Target)
