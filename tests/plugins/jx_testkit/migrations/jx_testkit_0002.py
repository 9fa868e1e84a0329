"""jx_testkit: people (for the spreadsheet tests)

Revision ID: jx_testkit_0002
Revises: jx_testkit_0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "jx_testkit_0002"
down_revision = "jx_testkit_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jx_testkit_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("gender", sa.String(2), nullable=True),
        sa.Column("id_number", sa.String(18), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("joined", sa.String(10), nullable=True),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("county_code", sa.String(12), nullable=False),
        sa.Column("honour", sa.String(40), nullable=True),
        sa.Column("year_awarded", sa.Integer(), nullable=True),
        sa.Column("bonus", sa.Numeric(12, 2), nullable=True),
        sa.Column("employer", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_jx_testkit_person"),
        sa.UniqueConstraint("id_number", name="uq_jx_testkit_person_id_number"),
    )
    op.create_index("ix_jx_testkit_person_county_code", "jx_testkit_person", ["county_code"])


def downgrade() -> None:
    op.drop_table("jx_testkit_person")
