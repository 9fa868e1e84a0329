"""registry: people and honours

Revision ID: registry_0001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "registry_0001"
down_revision = None
branch_labels = ("registry",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "registry_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("name_initials", sa.String(50), nullable=False),
        sa.Column("gender", sa.String(2), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("id_number", sa.String(18), nullable=False),
        sa.Column("ethnicity", sa.String(20), nullable=True),
        sa.Column("political_status", sa.String(20), nullable=True),
        sa.Column("education", sa.String(20), nullable=True),
        sa.Column("employer", sa.String(100), nullable=True),
        sa.Column("post", sa.String(50), nullable=True),
        sa.Column("industry", sa.String(50), nullable=True),
        sa.Column("county_code", sa.String(12), nullable=False),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("death_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registry_person"),
        sa.UniqueConstraint("id_number", name="uq_registry_person_id_number"),
    )
    op.create_index("ix_registry_person_name_initials", "registry_person", ["name_initials"])
    op.create_index("ix_registry_person_county_status_name", "registry_person",
                    ["county_code", "status", "name"])
    op.create_index("ix_registry_person_status_name", "registry_person", ["status", "name"])
    op.create_table(
        "registry_honour",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("year_awarded", sa.Integer(), nullable=True),
        sa.Column("awarding_body", sa.String(100), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["registry_person.id"], ondelete="CASCADE",
                                name="fk_registry_honour_person_id_registry_person"),
        sa.PrimaryKeyConstraint("id", name="pk_registry_honour"),
    )
    op.create_index("ix_registry_honour_person_name", "registry_honour", ["person_id", "name"],
                    unique=True)
    op.create_index("ix_registry_honour_level_year", "registry_honour", ["level", "year_awarded"])
    op.create_index("ix_registry_honour_year", "registry_honour", ["year_awarded"])


def downgrade() -> None:
    op.drop_table("registry_honour")
    op.drop_table("registry_person")
