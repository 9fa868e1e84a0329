"""events: kinds (the defaults of ../shared/domain.md seeded), events, participants, photos,
yearly targets

Revision ID: events_0001
Revises:
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "events_0001"
down_revision = None
branch_labels = ("events",)
depends_on = "core_0001"

# the default kinds, as ../shared/domain.md named them when this revision was written
DEFAULT_KINDS = (
    ("事迹宣讲", "培训", "事迹宣讲和技术培训"),
    ("技术培训", "培训", "事迹宣讲和技术培训"),
    ("素质提升班", "培训", "素质提升班"),
    ("交流活动", "培训", "交流活动"),
    ("劳动教育", "活动", "劳动教育"),
    ("书画摄影展", "活动", "展览展示"),
    ("展示交流", "活动", "展览展示"),
    ("高峰访谈", "活动", "论坛访谈"),
    ("座谈会", "活动", "论坛访谈"),
    ("专场演出", "活动", "文艺演出"),
    ("创新创效市集", "活动", "创新创效市集"),
    ("宣讲", "活动", "宣讲"),
    ("金锤子志愿服务", "活动", "金锤子志愿服务"),
)


def upgrade() -> None:
    op.create_table(
        "events_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("organiser", sa.String(length=100), nullable=False),
        sa.Column("county_code", sa.String(length=12), nullable=False),
        sa.Column("place", sa.String(length=100), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("class_hours", sa.Float(), nullable=True),
        sa.Column("series", sa.String(length=50), nullable=True),
        sa.Column("status", sa.String(length=4), nullable=False),
        sa.Column("status_reason", sa.String(length=200), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events_event")),
    )
    op.create_index(
        "ix_events_event_county_starts", "events_event", ["county_code", "starts_at"], unique=False
    )
    op.create_index("ix_events_event_kind_starts", "events_event", ["kind", "starts_at"], unique=False)
    op.create_index("ix_events_event_series", "events_event", ["series", "starts_at"], unique=False)
    op.create_index("ix_events_event_starts", "events_event", ["starts_at"], unique=False)
    op.create_index("ix_events_event_status_starts", "events_event", ["status", "starts_at"], unique=False)
    op.create_table(
        "events_kind",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=4), nullable=False),
        sa.Column("plan_line", sa.String(length=30), nullable=False),
        sa.Column("county_code", sa.String(length=12), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events_kind")),
    )
    op.create_index("uq_events_kind_county_name", "events_kind", ["county_code", "name"], unique=True)
    op.create_table(
        "events_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=12), nullable=False),
        sa.Column("plan_line", sa.String(length=30), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events_target")),
    )
    op.create_index(
        "uq_events_target_year_county_line",
        "events_target",
        ["year", "county_code", "plan_line"],
        unique=True,
    )
    op.create_table(
        "events_participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("county_code", sa.String(length=12), nullable=False),
        sa.Column("employer", sa.String(length=100), nullable=True),
        sa.Column("honour", sa.String(length=40), nullable=True),
        sa.Column("role", sa.String(length=4), nullable=False),
        sa.Column("registration", sa.String(length=4), nullable=False),
        sa.Column("attendance", sa.String(length=4), nullable=True),
        sa.Column("attendance_at", sa.DateTime(), nullable=True),
        sa.Column("attendance_by", sa.String(length=64), nullable=True),
        sa.Column("deceased", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("invited_by", sa.String(length=64), nullable=False),
        sa.Column("invited_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events_event.id"],
            name=op.f("fk_events_participant_event_id_events_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events_participant")),
    )
    op.create_index(
        "ix_events_participant_county", "events_participant", ["county_code", "event_id"], unique=False
    )
    op.create_index(
        "ix_events_participant_event_attendance",
        "events_participant",
        ["event_id", "attendance"],
        unique=False,
    )
    op.create_index(
        "ix_events_participant_person", "events_participant", ["person_id", "event_id"], unique=False
    )
    op.create_index(
        "uq_events_participant_event_person", "events_participant", ["event_id", "person_id"], unique=True
    )
    op.create_table(
        "events_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events_event.id"],
            name=op.f("fk_events_photo_event_id_events_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events_photo")),
    )
    op.create_index("ix_events_photo_event", "events_photo", ["event_id"], unique=False)
    kinds = sa.table(
        "events_kind",
        sa.column("name", sa.String),
        sa.column("category", sa.String),
        sa.column("plan_line", sa.String),
        sa.column("county_code", sa.String),
        sa.column("position", sa.Integer),
        sa.column("active", sa.Boolean),
    )
    op.bulk_insert(
        kinds,
        [
            {
                "name": name,
                "category": category,
                "plan_line": line,
                "county_code": "",
                "position": position,
                "active": True,
            }
            for position, (name, category, line) in enumerate(DEFAULT_KINDS, 1)
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_events_photo_event", table_name="events_photo")
    op.drop_table("events_photo")
    op.drop_index("uq_events_participant_event_person", table_name="events_participant")
    op.drop_index("ix_events_participant_person", table_name="events_participant")
    op.drop_index("ix_events_participant_event_attendance", table_name="events_participant")
    op.drop_index("ix_events_participant_county", table_name="events_participant")
    op.drop_table("events_participant")
    op.drop_index("uq_events_target_year_county_line", table_name="events_target")
    op.drop_table("events_target")
    op.drop_index("uq_events_kind_county_name", table_name="events_kind")
    op.drop_table("events_kind")
    op.drop_index("ix_events_event_status_starts", table_name="events_event")
    op.drop_index("ix_events_event_starts", table_name="events_event")
    op.drop_index("ix_events_event_series", table_name="events_event")
    op.drop_index("ix_events_event_kind_starts", table_name="events_event")
    op.drop_index("ix_events_event_county_starts", table_name="events_event")
    op.drop_table("events_event")
