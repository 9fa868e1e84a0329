"""jx_testkit: notes

Revision ID: jx_testkit_0001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "jx_testkit_0001"
down_revision = None
branch_labels = ("jx_testkit",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "jx_testkit_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(200), nullable=False),
        sa.Column("county_code", sa.String(12), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_jx_testkit_note"),
    )
    op.create_index("ix_jx_testkit_note_county_code", "jx_testkit_note", ["county_code"])


def downgrade() -> None:
    op.drop_table("jx_testkit_note")
