"""core: close the audit log's remaining ways to rewrite or empty it

core_0001 refuses UPDATE and DELETE on ``core_audit_log``. That left:

- SQLite: ``INSERT OR REPLACE`` / ``REPLACE INTO`` with an existing id deletes the old row
  and inserts a new one, and the DELETE trigger does not fire for a REPLACE (unless
  ``PRAGMA recursive_triggers``). A BEFORE INSERT trigger now refuses any insert whose id is
  already taken; it fires before the conflict is resolved, so it also refuses REPLACE, upserts
  (``ON CONFLICT … DO UPDATE``) and ``INSERT OR IGNORE`` with a taken id. ``UPDATE OR REPLACE``
  is an UPDATE and was already refused.
  In a BEFORE INSERT trigger an id left to SQLite reads as -1, so an AFTER INSERT trigger
  refuses ids below 1: no row can ever hold the id that every normal insert is checked against.
- PostgreSQL: ``TRUNCATE`` fires no row trigger; a BEFORE TRUNCATE statement trigger now
  refuses it. (``INSERT … ON CONFLICT (id) DO UPDATE`` fires the UPDATE trigger of core_0001.)

A role that owns the table can still drop or disable these triggers: run the app as a role that
owns nothing (``jiangxin init-db --grant-to ROLE``, see docs/deploy.md).

Note for later migrations: on SQLite, Alembic's batch mode recreates a table it alters and so
drops its triggers; a revision that alters ``core_audit_log`` must create them again.

Revision ID: core_0002
Revises: core_0001
Create Date: 2026-12-10
"""

from alembic import op

revision = "core_0002"
down_revision = "core_0001"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = {
    "core_audit_log_no_overwrite": """
        CREATE TRIGGER core_audit_log_no_overwrite BEFORE INSERT ON core_audit_log
        WHEN EXISTS (SELECT 1 FROM core_audit_log WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'core_audit_log is append-only: that id is taken'); END""",
    "core_audit_log_ids_from_1": """
        CREATE TRIGGER core_audit_log_ids_from_1 AFTER INSERT ON core_audit_log
        WHEN NEW.id < 1
        BEGIN SELECT RAISE(ABORT, 'core_audit_log is append-only: ids start at 1'); END""",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # the function of core_0001 raises 'core_audit_log is append-only'
        op.execute("""
            CREATE TRIGGER core_audit_log_no_truncate BEFORE TRUNCATE ON core_audit_log
            FOR EACH STATEMENT EXECUTE FUNCTION core_audit_log_append_only()""")
    else:
        for sql in SQLITE_TRIGGERS.values():
            op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER core_audit_log_no_truncate ON core_audit_log")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
