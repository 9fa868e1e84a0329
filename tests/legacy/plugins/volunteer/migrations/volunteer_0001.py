"""volunteer: activities

Revision ID: volunteer_0001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "volunteer_0001"
down_revision = None
branch_labels = ("volunteer",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "volunteer_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("county_code", sa.String(12), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(6, 1), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_volunteer_activity"),
    )
    op.create_index("ix_volunteer_activity_county_code", "volunteer_activity", ["county_code"])


def downgrade() -> None:
    op.drop_table("volunteer_activity")
