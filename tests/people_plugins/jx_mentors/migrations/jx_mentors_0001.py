"""jx_mentors: mentor and apprentice pairs

Revision ID: jx_mentors_0001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "jx_mentors_0001"
down_revision = None
branch_labels = ("jx_mentors",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "jx_mentors_pairing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=True),
        sa.Column("mentor_name", sa.String(50), nullable=False),
        sa.Column("apprentice_id", sa.Integer(), nullable=True),
        sa.Column("apprentice_name", sa.String(50), nullable=False),
        sa.Column("county_code", sa.String(12), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_jx_mentors_pairing"),
    )
    op.create_index("ix_jx_mentors_pairing_county_code", "jx_mentors_pairing", ["county_code"])


def downgrade() -> None:
    op.drop_table("jx_mentors_pairing")
