"""registry: the review flow: 退回修改, a request's history, no double requests, decisions seen

Revision ID: registry_0003
Revises: registry_0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "registry_0003"
down_revision = "registry_0002"
branch_labels = None
depends_on = None

OPEN_WHERE = "state IN ('待审核', '退回修改')"


def _open_keys(bind) -> None:
    """Give the open requests already there their key; of two asking for the same thing, the
    older keeps it (the newer one stays as it is, without a key, and is decided as before)."""
    rows = bind.execute(sa.text(
        "SELECT c.id, c.kind, c.person_id, c.payload, p.id_number FROM registry_change c "
        "LEFT JOIN registry_person p ON p.id = c.person_id "
        "WHERE c.state IN ('待审核', '退回修改') ORDER BY c.submitted_at, c.id")).all()
    taken = set()
    for rid, kind, person_id, payload, number in rows:
        if isinstance(payload, str):  # SQLite returns JSON as text through a plain SELECT
            import json

            payload = json.loads(payload)
        if kind == "新增":
            number = number or ((payload or {}).get("person") or {}).get("id_number")
            key = f"新增:{number}:{(payload or {}).get('honour')}"
        else:
            key = f"{kind}:{person_id}"
        if key in taken:
            continue
        taken.add(key)
        bind.execute(sa.text("UPDATE registry_change SET open_key = :k WHERE id = :i"), {"k": key, "i": rid})


def upgrade() -> None:
    with op.batch_alter_table("registry_change") as batch:
        batch.add_column(sa.Column("open_key", sa.String(80), nullable=True))
        batch.add_column(sa.Column("seen_by_submitter", sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
    _open_keys(op.get_bind())
    op.create_index("uq_registry_change_open_key", "registry_change", ["open_key"], unique=True,
                    sqlite_where=sa.text(OPEN_WHERE), postgresql_where=sa.text(OPEN_WHERE))
    op.create_table(
        "registry_change_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["registry_change.id"], ondelete="CASCADE",
                                name="fk_registry_change_event_request_id_registry_change"),
        sa.PrimaryKeyConstraint("id", name="pk_registry_change_event"),
    )
    op.create_index("ix_registry_change_event_request", "registry_change_event", ["request_id", "at"])


def downgrade() -> None:
    op.drop_table("registry_change_event")
    op.drop_index("uq_registry_change_open_key", table_name="registry_change")
    with op.batch_alter_table("registry_change") as batch:
        batch.drop_column("seen_by_submitter")
        batch.drop_column("open_key")
