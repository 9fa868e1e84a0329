"""Studio tables: studios, their people, funding, the construction standard, reviews, output.

People are kept as the roster's id with a snapshot of the name and honour (core.host.people),
so every page reads right when the roster is disabled or the person is outside the reader's
counties; ``leaders.py`` keeps the snapshots current from the roster's notifications.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.data.db import Base, utcnow

CITY = ""  # Standard.county_code of the city's default standard


class Studio(Base):
    """A studio (工作室): kind, level, host employer, county, naming, status and leader.

    ``leader_id`` is the roster's person id (None for a typed name); ``leader_name`` the
    snapshot shown when the roster cannot answer. ``needs_new_leader`` is set when the roster
    approves the leader's death or transfer (``leader_issue`` says which, in Chinese).
    """

    __tablename__ = "workshops_studio"
    __table_args__ = (
        Index("uq_workshops_studio_county_name", "county_code", "name", unique=True),
        Index("ix_workshops_studio_status_county", "status", "county_code"),
        Index("ix_workshops_studio_kind_level", "kind", "level"),
        Index("ix_workshops_studio_leader", "leader_id"),
        {"info": {"label": "工作室"}},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), info={"label": "工作室名称"})
    kind: Mapped[str] = mapped_column(String(20), info={"label": "类型"})
    level: Mapped[str] = mapped_column(String(8), info={"label": "级别"})
    host_employer: Mapped[str] = mapped_column(String(100), info={"label": "依托单位"})
    county_code: Mapped[str] = mapped_column(String(12), info={"label": "所属区县"})
    named_year: Mapped[int] = mapped_column(Integer, info={"label": "命名年份"})
    named_doc: Mapped[str | None] = mapped_column(String(100), info={"label": "命名文号"})
    status: Mapped[str] = mapped_column(String(8), default="运行", info={"label": "状态"})
    status_since: Mapped[dt.date | None] = mapped_column(Date, info={"label": "状态变更日期"})
    status_reason: Mapped[str | None] = mapped_column(Text, info={"label": "状态变更原因"})
    leader_id: Mapped[int | None] = mapped_column(Integer, info={"label": "领办人编号"})
    leader_name: Mapped[str | None] = mapped_column(String(50), info={"label": "领办人"})
    needs_new_leader: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                                   info={"label": "需更换领办人"})
    leader_issue: Mapped[str | None] = mapped_column(String(200), info={"label": "领办人变动"})
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    members: Mapped[list[Member]] = relationship(back_populates="studio", cascade="all, delete-orphan",
                                                 order_by="Member.id")


class StatusChange(Base):
    """One change of a studio's status (运行, 暂停, 摘牌): when, why, by whom."""

    __tablename__ = "workshops_status_change"
    __table_args__ = (Index("ix_workshops_status_change_studio", "studio_id", "on"),
                      {"info": {"label": "工作室状态变更"}})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("workshops_studio.id", ondelete="CASCADE"),
                                           info={"label": "工作室编号"})
    status: Mapped[str] = mapped_column(String(8), info={"label": "状态"})
    on: Mapped[dt.date] = mapped_column(Date, info={"label": "日期"})
    reason: Mapped[str] = mapped_column(Text, info={"label": "原因"})
    by: Mapped[str] = mapped_column(String(64), info={"label": "办理人"})
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Member(Base):
    """A person of a studio: its 领办人 or a 成员, with a snapshot of their name and highest
    honour (name and level, as the roster last said), kept current by ``leaders.py``."""

    __tablename__ = "workshops_member"
    __table_args__ = (
        Index("ix_workshops_member_studio", "studio_id", "role"),
        Index("ix_workshops_member_person", "person_id"),
        # the honoured people of 成果统计 and the overview, by level (bench/workshops.py)
        Index("ix_workshops_member_honour", "honour_level", "studio_id"),
        {"info": {"label": "工作室成员"}},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("workshops_studio.id", ondelete="CASCADE"),
                                           info={"label": "工作室编号"})
    person_id: Mapped[int | None] = mapped_column(Integer, info={"label": "人员编号"})
    name: Mapped[str] = mapped_column(String(50), info={"label": "姓名"})
    role: Mapped[str] = mapped_column(String(8), default="成员", info={"label": "角色"})
    honour: Mapped[str | None] = mapped_column(String(40), info={"label": "最高荣誉"})
    honour_level: Mapped[str | None] = mapped_column(String(8), info={"label": "荣誉级别"})
    deceased: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                           info={"label": "已故"})
    joined_year: Mapped[int | None] = mapped_column(Integer, info={"label": "加入年份"})

    studio: Mapped[Studio] = relationship(back_populates="members")


class Funding(Base):
    """Funding a studio received in a year (补助资金, 万元)."""

    __tablename__ = "workshops_funding"
    __table_args__ = (Index("uq_workshops_funding_studio_year", "studio_id", "year", unique=True),
                      {"info": {"label": "补助资金"}})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("workshops_studio.id", ondelete="CASCADE"),
                                           info={"label": "工作室编号"})
    year: Mapped[int] = mapped_column(Integer, info={"label": "年度"})
    amount: Mapped[float] = mapped_column(Float, info={"label": "金额（万元）"})
    note: Mapped[str | None] = mapped_column(String(200), info={"label": "说明"})


class Standard(Base):
    """The construction standard (建设标准) of a year: the city's default (``county_code``
    ``CITY``, the empty string) or a county's own. Its criteria add up to the most points a review can give; the
    thresholds are the least total for 优秀, 良好 and 合格 (below: 不合格)."""

    __tablename__ = "workshops_standard"
    __table_args__ = (
        # one standard per year and scope ('' for the city: NULLs would not clash in a unique index)
        Index("uq_workshops_standard_year_scope", "year", "county_code", unique=True),
        {"info": {"label": "建设标准"}},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, info={"label": "年度"})
    county_code: Mapped[str] = mapped_column(String(12), default="", info={"label": "适用范围"})
    title: Mapped[str] = mapped_column(String(100), info={"label": "标准名称"})
    excellent_min: Mapped[float] = mapped_column(Float, info={"label": "优秀分数线"})
    good_min: Mapped[float] = mapped_column(Float, info={"label": "良好分数线"})
    pass_min: Mapped[float] = mapped_column(Float, info={"label": "合格分数线"})
    copied_from_id: Mapped[int | None] = mapped_column(Integer, info={"label": "复制自"})
    updated_by: Mapped[str | None] = mapped_column(String(64), info={"label": "修改人"})
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow,
                                                    info={"label": "修改时间"})

    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="standard", cascade="all, delete-orphan",
        order_by="(Criterion.part_order, Criterion.position)")


class Criterion(Base):
    """One item of a standard's checklist, in one of the four parts, worth ``weight`` points."""

    __tablename__ = "workshops_criterion"
    __table_args__ = (Index("ix_workshops_criterion_standard", "standard_id", "part_order", "position"),
                      {"info": {"label": "标准条目"}})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("workshops_standard.id", ondelete="CASCADE"),
                                             info={"label": "标准编号"})
    part: Mapped[str] = mapped_column(String(8), info={"label": "部分"})
    part_order: Mapped[int] = mapped_column(Integer, info={"label": "部分序号"})
    position: Mapped[int] = mapped_column(Integer, info={"label": "序号"})
    title: Mapped[str] = mapped_column(String(100), info={"label": "条目"})
    description: Mapped[str | None] = mapped_column(String(500), info={"label": "说明"})
    weight: Mapped[float] = mapped_column(Float, info={"label": "分值"})

    standard: Mapped[Standard] = relationship(back_populates="criteria")


class Review(Base):
    """A studio's yearly review (年度评审), scored against its year's standard.

    The standard's thresholds and each criterion's part, title and weight are copied into the
    review and its scores when it is made, so a past review keeps its total and grade whatever
    is edited in the standard later."""

    __tablename__ = "workshops_review"
    __table_args__ = (
        Index("uq_workshops_review_studio_year", "studio_id", "year", unique=True),
        Index("ix_workshops_review_year_county", "year", "county_code", "grade"),
        {"info": {"label": "年度评审"}},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("workshops_studio.id", ondelete="CASCADE"),
                                           info={"label": "工作室编号"})
    year: Mapped[int] = mapped_column(Integer, info={"label": "年度"})
    county_code: Mapped[str] = mapped_column(String(12), info={"label": "所属区县"})
    standard_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshops_standard.id", ondelete="SET NULL"), info={"label": "标准编号"})
    standard_title: Mapped[str] = mapped_column(String(100), info={"label": "标准名称"})
    excellent_min: Mapped[float] = mapped_column(Float, info={"label": "优秀分数线"})
    good_min: Mapped[float] = mapped_column(Float, info={"label": "良好分数线"})
    pass_min: Mapped[float] = mapped_column(Float, info={"label": "合格分数线"})
    total: Mapped[float] = mapped_column(Float, info={"label": "总分"})
    full_marks: Mapped[float] = mapped_column(Float, info={"label": "满分"})
    grade: Mapped[str] = mapped_column(String(4), info={"label": "等次"})
    note: Mapped[str | None] = mapped_column(Text, info={"label": "评审意见"})
    reviewer: Mapped[str] = mapped_column(String(64), info={"label": "评审人"})
    reviewed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, info={"label": "评审时间"})

    scores: Mapped[list[Score]] = relationship(back_populates="review", cascade="all, delete-orphan",
                                               order_by="Score.id")


class Score(Base):
    """One criterion's score in a review, with the criterion as it stood then."""

    __tablename__ = "workshops_score"
    __audit__ = False  # the review's own audit entry lists every score
    __table_args__ = (Index("ix_workshops_score_review", "review_id"), {"info": {"label": "评审得分"}})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("workshops_review.id", ondelete="CASCADE"),
                                           info={"label": "评审编号"})
    criterion_id: Mapped[int | None] = mapped_column(Integer, info={"label": "条目编号"})
    part: Mapped[str] = mapped_column(String(8), info={"label": "部分"})
    title: Mapped[str] = mapped_column(String(100), info={"label": "条目"})
    weight: Mapped[float] = mapped_column(Float, info={"label": "分值"})
    score: Mapped[float] = mapped_column(Float, info={"label": "得分"})

    review: Mapped[Review] = relationship(back_populates="scores")


class Output(Base):
    """A studio's output in a year (年度成果). ``county_code`` is the studio's, kept for
    county-scoped sums without a join."""

    __tablename__ = "workshops_output"
    __table_args__ = (
        Index("uq_workshops_output_studio_year", "studio_id", "year", unique=True),
        Index("ix_workshops_output_year_county", "year", "county_code"),
        {"info": {"label": "年度成果"}},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("workshops_studio.id", ondelete="CASCADE"),
                                           info={"label": "工作室编号"})
    year: Mapped[int] = mapped_column(Integer, info={"label": "年度"})
    county_code: Mapped[str] = mapped_column(String(12), info={"label": "所属区县"})
    patents_invention: Mapped[int] = mapped_column(Integer, default=0, info={"label": "发明专利"})
    patents_utility: Mapped[int] = mapped_column(Integer, default=0, info={"label": "实用新型专利"})
    patents_design: Mapped[int] = mapped_column(Integer, default=0, info={"label": "外观设计专利"})
    innovations: Mapped[int] = mapped_column(Integer, default=0, info={"label": "技术革新"})
    proposals_adopted: Mapped[int] = mapped_column(Integer, default=0, info={"label": "合理化建议（采纳）"})
    apprentices: Mapped[int] = mapped_column(Integer, default=0, info={"label": "带徒"})
    apprentices_technician: Mapped[int] = mapped_column(Integer, default=0, info={"label": "达到技师"})
    apprentices_senior: Mapped[int] = mapped_column(Integer, default=0, info={"label": "达到高级技师"})
    awards: Mapped[int] = mapped_column(Integer, default=0, info={"label": "获奖"})
    benefit: Mapped[float] = mapped_column(Float, default=0.0, info={"label": "经济效益（万元）"})


MODELS = (Studio, StatusChange, Member, Funding, Standard, Criterion, Review, Score, Output)
