"""registry: indexes that find part of a name or of an ID number, a page in name order and a person's requests, without reading whole tables

Revision ID: registry_0004
Revises: registry_0003
Create Date: 2026-11-30

``registry_person_gram`` holds, for each person, every 1-, 2- and 3-character piece of the name
(lower case) and every 4-character piece of the ID number ('#' first). A search for a fragment
looks up one piece on the table's primary key, then checks the whole fragment on those people
only. Chinese names are 2 to 4 characters and staff type 1 or 2 of them, below the 3 that
SQLite's FTS5 trigram tokenizer and PostgreSQL's pg_trgm need to use their index (and
pg_trgm ignores Chinese characters under a C locale).

Database triggers keep it in step, in the transaction that writes the person, whatever writes
it (the ORM, a bulk insert, an import, psql).
"""

import sqlalchemy as sa
from alembic import op

revision = "registry_0004"
down_revision = "registry_0003"
branch_labels = None
depends_on = None

LONGEST = 50  # registry_person.name is String(50); the ID number is 18

# the character positions 1…LONGEST as ``p.value``: SQLite allows no WITH in a trigger
SQLITE_POSITIONS = "json_each('[" + ",".join(map(str, range(1, LONGEST + 1))) + "]') AS p"


def grams_sql(name: str, number: str, positions: str, *, of: str = "") -> str:
    """The pieces of a person (``name`` and ``number`` are SQL expressions), one a row, as
    ``gram``; with ``of`` (an expression for the person's id, when ``name`` and ``number`` are
    columns of a FROM added by the caller) each with that id as ``person_id``."""
    person = f", {of} AS person_id" if of else ""
    return " UNION ".join(
        f"SELECT {piece} AS gram{person} FROM {positions} WHERE {where}" for piece, where in (
            (f"lower(substr({name}, p.value, 1))", f"p.value <= length({name})"),
            (f"lower(substr({name}, p.value, 2))", f"p.value < length({name})"),
            (f"lower(substr({name}, p.value, 3))", f"p.value < length({name}) - 1"),
            (f"'#' || substr({number}, p.value, 4)", f"p.value <= length({number}) - 3")))


SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER registry_person_gram_insert AFTER INSERT ON registry_person BEGIN
        INSERT OR IGNORE INTO registry_person_gram (gram, person_id)
        SELECT gram, NEW.id FROM ({grams_sql('NEW.name', 'NEW.id_number', SQLITE_POSITIONS)});
    END""",
    f"""CREATE TRIGGER registry_person_gram_update AFTER UPDATE OF name, id_number ON registry_person
    BEGIN
        DELETE FROM registry_person_gram WHERE person_id = OLD.id AND gram IN
            ({grams_sql('OLD.name', 'OLD.id_number', SQLITE_POSITIONS)});
        INSERT OR IGNORE INTO registry_person_gram (gram, person_id)
        SELECT gram, NEW.id FROM ({grams_sql('NEW.name', 'NEW.id_number', SQLITE_POSITIONS)});
    END""",
    f"""CREATE TRIGGER registry_person_gram_delete AFTER DELETE ON registry_person BEGIN
        DELETE FROM registry_person_gram WHERE person_id = OLD.id AND gram IN
            ({grams_sql('OLD.name', 'OLD.id_number', SQLITE_POSITIONS)});
    END""",
]

PG_POSITIONS = f"generate_series(1, {LONGEST}) AS p(value)"
PG_STATEMENTS = [
    f"""CREATE FUNCTION registry_person_grams(name text, number text) RETURNS SETOF text
        LANGUAGE sql IMMUTABLE AS $$
        {grams_sql('name', 'number', PG_POSITIONS)}
        $$""",
    """CREATE FUNCTION registry_person_gram_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM registry_person_gram WHERE person_id = OLD.id
                AND gram IN (SELECT registry_person_grams(OLD.name, OLD.id_number));
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO registry_person_gram (gram, person_id)
                SELECT registry_person_grams(NEW.name, NEW.id_number), NEW.id
                ON CONFLICT DO NOTHING;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER registry_person_gram_sync
        AFTER INSERT OR DELETE OR UPDATE OF name, id_number ON registry_person
        FOR EACH ROW EXECUTE FUNCTION registry_person_gram_sync()""",
]


def upgrade() -> None:
    op.create_table(
        "registry_person_gram",
        sa.Column("gram", sa.String(5), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("gram", "person_id", name="pk_registry_person_gram"),
        sqlite_with_rowid=False,
    )
    # a page of the list in name order walks this index instead of sorting every person
    op.create_index("ix_registry_person_name", "registry_person", ["name"])
    # the level filter's "has an honour of this level" is answered from the index alone
    op.create_index("ix_registry_honour_person_level", "registry_honour", ["person_id", "level"])
    # a person's record lists the requests about them (a read of every request without it)
    op.create_index("ix_registry_change_person", "registry_change", ["person_id", "submitted_at"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for statement in PG_STATEMENTS:
            op.execute(statement)
        positions = PG_POSITIONS
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
        positions = SQLITE_POSITIONS
    # the people already there (the triggers see only what is written from now on)
    op.execute("INSERT INTO registry_person_gram (gram, person_id) "
               + grams_sql("r.name", "r.id_number", f"registry_person AS r, {positions}", of="r.id"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS registry_person_gram_sync ON registry_person")
        op.execute("DROP FUNCTION IF EXISTS registry_person_gram_sync()")
        op.execute("DROP FUNCTION IF EXISTS registry_person_grams(text, text)")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS registry_person_gram_{name}")
    op.drop_table("registry_person_gram")
    op.drop_index("ix_registry_change_person", "registry_change")
    op.drop_index("ix_registry_honour_person_level", "registry_honour")
    op.drop_index("ix_registry_person_name", "registry_person")
