"""dependent: a table of its own, after core's newest revision."""

import sqlalchemy as sa
from alembic import op

revision = "dependent_0001"
down_revision = None
branch_labels = ("dependent",)
depends_on = "core_0004"


def upgrade() -> None:
    op.create_table("dependent_thing", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("dependent_thing")
