"""core: a session generation per account, so that sessions can be ended

``core_user.session_generation`` is carried in the sign-in cookie and in every session; it is
compared with the database on every rerun. Signing out, a new password, disabling or
re-enabling the account and a change of role or county increment it, which ends every session
and refuses every cookie issued before.

Revision ID: core_0003
Revises: core_0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0003"
down_revision = "core_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("core_user") as batch:
        batch.add_column(sa.Column("session_generation", sa.Integer(), nullable=False,
                                   server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("core_user") as batch:
        batch.drop_column("session_generation")
