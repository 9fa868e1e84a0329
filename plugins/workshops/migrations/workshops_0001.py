"""workshops: studios, members, funding, construction standards, reviews and output

Revision ID: workshops_0001
Revises:
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "workshops_0001"
down_revision = None
branch_labels = ("workshops",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "workshops_standard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("excellent_min", sa.Float(), nullable=False),
        sa.Column("good_min", sa.Float(), nullable=False),
        sa.Column("pass_min", sa.Float(), nullable=False),
        sa.Column("copied_from_id", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshops_standard")),
    )
    op.create_index(
        "uq_workshops_standard_year_scope",
        "workshops_standard",
        ["year", "county_code"],
        unique=True,
    )
    op.create_table(
        "workshops_studio",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("host_employer", sa.String(length=100), nullable=False),
        sa.Column("county_code", sa.String(length=12), nullable=False),
        sa.Column("named_year", sa.Integer(), nullable=False),
        sa.Column("named_doc", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("status_since", sa.Date(), nullable=True),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("leader_id", sa.Integer(), nullable=True),
        sa.Column("leader_name", sa.String(length=50), nullable=True),
        sa.Column("needs_new_leader", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("leader_issue", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshops_studio")),
    )
    op.create_index(
        "ix_workshops_studio_kind_level", "workshops_studio", ["kind", "level"], unique=False
    )
    op.create_index("ix_workshops_studio_leader", "workshops_studio", ["leader_id"], unique=False)
    op.create_index(
        "ix_workshops_studio_status_county",
        "workshops_studio",
        ["status", "county_code"],
        unique=False,
    )
    op.create_index(
        "uq_workshops_studio_county_name", "workshops_studio", ["county_code", "name"], unique=True
    )
    op.create_table(
        "workshops_criterion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("standard_id", sa.Integer(), nullable=False),
        sa.Column("part", sa.String(length=8), nullable=False),
        sa.Column("part_order", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["standard_id"],
            ["workshops_standard.id"],
            name=op.f("fk_workshops_criterion_standard_id_workshops_standard"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshops_criterion")),
    )
    op.create_index(
        "ix_workshops_criterion_standard",
        "workshops_criterion",
        ["standard_id", "part_order", "position"],
        unique=False,
    )
    op.create_table(
        "workshops_funding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("studio_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["studio_id"],
            ["workshops_studio.id"],
            name=op.f("fk_workshops_funding_studio_id_workshops_studio"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshops_funding")),
    )
    op.create_index(
        "uq_workshops_funding_studio_year", "workshops_funding", ["studio_id", "year"], unique=True
    )
    op.create_table(
        "workshops_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("studio_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("honour", sa.String(length=40), nullable=True),
        sa.Column("honour_level", sa.String(length=8), nullable=True),
        sa.Column("deceased", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("joined_year", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["studio_id"],
            ["workshops_studio.id"],
            name=op.f("fk_workshops_member_studio_id_workshops_studio"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshops_member")),
    )
    op.create_index("ix_workshops_member_person", "workshops_member", ["person_id"], unique=False)
    op.create_index("ix_workshops_member_honour", "workshops_member", ["honour_level", "studio_id"], unique=False)
    op.create_index(
        "ix_workshops_member_studio", "workshops_member", ["studio_id", "role"], unique=False
    )
    op.create_table(
        "workshops_output",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("studio_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=12), nullable=False),
        sa.Column("patents_invention", sa.Integer(), nullable=False),
        sa.Column("patents_utility", sa.Integer(), nullable=False),
        sa.Column("patents_design", sa.Integer(), nullable=False),
        sa.Column("innovations", sa.Integer(), nullable=False),
        sa.Column("proposals_adopted", sa.Integer(), nullable=False),
        sa.Column("apprentices", sa.Integer(), nullable=False),
        sa.Column("apprentices_technician", sa.Integer(), nullable=False),
        sa.Column("apprentices_senior", sa.Integer(), nullable=False),
        sa.Column("awards", sa.Integer(), nullable=False),
        sa.Column("benefit", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["studio_id"],
            ["workshops_studio.id"],
            name=op.f("fk_workshops_output_studio_id_workshops_studio"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshops_output")),
    )
    op.create_index(
        "ix_workshops_output_year_county", "workshops_output", ["year", "county_code"], unique=False
    )
    op.create_index(
        "uq_workshops_output_studio_year", "workshops_output", ["studio_id", "year"], unique=True
    )
    op.create_table(
        "workshops_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("studio_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=12), nullable=False),
        sa.Column("standard_id", sa.Integer(), nullable=True),
        sa.Column("standard_title", sa.String(length=100), nullable=False),
        sa.Column("excellent_min", sa.Float(), nullable=False),
        sa.Column("good_min", sa.Float(), nullable=False),
        sa.Column("pass_min", sa.Float(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("full_marks", sa.Float(), nullable=False),
        sa.Column("grade", sa.String(length=4), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reviewer", sa.String(length=64), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["standard_id"],
            ["workshops_standard.id"],
            name=op.f("fk_workshops_review_standard_id_workshops_standard"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["studio_id"],
            ["workshops_studio.id"],
            name=op.f("fk_workshops_review_studio_id_workshops_studio"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshops_review")),
    )
    op.create_index(
        "ix_workshops_review_year_county",
        "workshops_review",
        ["year", "county_code", "grade"],
        unique=False,
    )
    op.create_index(
        "uq_workshops_review_studio_year", "workshops_review", ["studio_id", "year"], unique=True
    )
    op.create_table(
        "workshops_status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("studio_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["studio_id"],
            ["workshops_studio.id"],
            name=op.f("fk_workshops_status_change_studio_id_workshops_studio"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshops_status_change")),
    )
    op.create_index(
        "ix_workshops_status_change_studio",
        "workshops_status_change",
        ["studio_id", "on"],
        unique=False,
    )
    op.create_table(
        "workshops_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=True),
        sa.Column("part", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["workshops_review.id"],
            name=op.f("fk_workshops_score_review_id_workshops_review"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshops_score")),
    )
    op.create_index("ix_workshops_score_review", "workshops_score", ["review_id"], unique=False)


def downgrade() -> None:
    op.drop_table("workshops_score")
    op.drop_table("workshops_output")
    op.drop_table("workshops_review")
    op.drop_table("workshops_criterion")
    op.drop_table("workshops_member")
    op.drop_table("workshops_status_change")
    op.drop_table("workshops_funding")
    op.drop_table("workshops_studio")
    op.drop_table("workshops_standard")
