"""core: accounts, failed sign-ins, append-only audit log, data versions

Revision ID: core_0001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "core_0001"
down_revision = None
branch_labels = ("core",)
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "core_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("county_code", sa.String(12), nullable=True),
        sa.Column("password_hash", sa.String(100), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_core_user"),
        sa.UniqueConstraint("username", name="uq_core_user_username"),
    )
    op.create_table(
        "core_login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_core_login_failure"),
    )
    op.create_index("ix_core_login_failure_username", "core_login_failure", ["username"])
    op.create_table(
        "core_audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("actor_county", sa.String(12), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("table_name", sa.String(64), nullable=True),
        sa.Column("row_id", sa.String(64), nullable=True),
        sa.Column("county_code", sa.String(12), nullable=True),
        sa.Column("before", JSON, nullable=True),
        sa.Column("after", JSON, nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_core_audit_log"),
    )
    op.create_index("ix_core_audit_log_at", "core_audit_log", ["at"])
    op.create_index("ix_core_audit_log_actor_at", "core_audit_log", ["actor", "at"])
    op.create_index("ix_core_audit_log_table_at", "core_audit_log", ["table_name", "at"])
    op.create_index("ix_core_audit_log_county_at", "core_audit_log", ["county_code", "at"])
    op.create_table(
        "core_data_version",
        sa.Column("table_name", sa.String(64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", name="pk_core_data_version"),
    )
    # The audit log is append-only: the database itself refuses to change or delete a row.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION core_audit_log_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'core_audit_log is append-only'; END;
            $$ LANGUAGE plpgsql""")
        op.execute("""
            CREATE TRIGGER core_audit_log_append_only BEFORE UPDATE OR DELETE ON core_audit_log
            FOR EACH ROW EXECUTE FUNCTION core_audit_log_append_only()""")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER core_audit_log_no_{verb.lower()} BEFORE {verb} ON core_audit_log
                BEGIN SELECT RAISE(ABORT, 'core_audit_log is append-only'); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER core_audit_log_append_only ON core_audit_log")
        op.execute("DROP FUNCTION core_audit_log_append_only()")
    op.drop_table("core_data_version")
    op.drop_table("core_audit_log")
    op.drop_table("core_login_failure")
    op.drop_table("core_user")
