"""registry: change requests

Revision ID: registry_0002
Revises: registry_0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "registry_0002"
down_revision = "registry_0001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "registry_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("county_code", sa.String(12), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("before", JSON, nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("attachment_name", sa.String(200), nullable=True),
        sa.Column("attachment", sa.LargeBinary(), nullable=True),
        sa.Column("submitted_by", sa.String(64), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["registry_person.id"],
                                name="fk_registry_change_person_id_registry_person"),
        sa.PrimaryKeyConstraint("id", name="pk_registry_change"),
    )
    op.create_index("ix_registry_change_state_submitted", "registry_change", ["state", "submitted_at"])
    op.create_index("ix_registry_change_county_state", "registry_change", ["county_code", "state"])
    op.create_index("ix_registry_change_submitted_by", "registry_change", ["submitted_by"])


def downgrade() -> None:
    op.drop_table("registry_change")
