"""registry: pinyin initials of surnames read as surnames (曾桂兰 is zgl, not cgl)

Revision ID: registry_0005
Revises: registry_0004
Create Date: 2026-11-30

``models.initials`` now reads the surnames below as surnames; the people already on file get
their initials' first letter put right. A frozen copy of ``models.SURNAME_INITIALS`` as it was
(a later change to it needs its own migration). Only ``name_initials`` changes: the search
pieces (name and ID number) are untouched.
"""

import sqlalchemy as sa
from alembic import op

revision = "registry_0005"
down_revision = "registry_0004"
branch_labels = None
depends_on = None

SURNAME_INITIALS = {"曾": "z", "覃": "q", "解": "x", "单": "s", "查": "z", "仇": "q", "区": "o",
                    "繁": "p", "翟": "z", "种": "c", "秘": "b", "召": "s", "句": "g", "隗": "w",
                    "祭": "z", "阚": "k"}


def upgrade() -> None:
    fix = sa.text("UPDATE registry_person SET name_initials = :letter || substr(name_initials, 2) "
                  "WHERE substr(name, 1, 1) = :surname AND substr(name_initials, 1, 1) != :letter")
    bind = op.get_bind()
    for surname, letter in SURNAME_INITIALS.items():
        bind.execute(fix, {"surname": surname, "letter": letter})


def downgrade() -> None:
    pass  # the old initials were wrong; nothing to restore
