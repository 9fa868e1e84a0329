"""core: an account whose password an administrator chose must choose its own

``core_user.must_change_password`` is set when an administrator creates an account or resets
its password (the 用户 page, ``jiangxin users add`` / ``passwd``); the shell then shows only
the change-password form until the user has chosen a password of their own, which clears it.
Existing accounts get False: nothing changes for them.

Revision ID: core_0004
Revises: core_0003
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0004"
down_revision = "core_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("core_user") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("core_user") as batch:
        batch.drop_column("must_change_password")
