"""Inserting many rows at once, for imports.

    from core.bulk import insert_rows
    insert_rows(session, Person.__table__, rows)   # rows: dicts with the same keys

It does what ``session.execute(insert(table), rows)`` does. On SQLite it costs a third less
(0.42 against 0.64 s for 100,000 rows of 11 columns): SQLAlchemy prepares each row's parameters
one by one, while here each column's values are converted by its type's bind processor in one
pass and the rows go to the driver's ``executemany`` through ``Connection.exec_driver_sql``.
Other databases, and tables whose columns have Python-side defaults the rows leave out, take
SQLAlchemy's own path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts keyed by column key, every row with the same keys) into ``table``
    in the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    keys = list(rows[0])
    statement = insert(table)
    compiled = statement.compile(dialect=dialect, column_keys=keys)
    names = compiled.positiontup
    if dialect.name != "sqlite" or names is None or names != keys:
        # a column default to compute, or a driver with its own fast path: SQLAlchemy's way
        session.execute(statement, rows)
        return
    columns = []
    for key in keys:
        values = [row[key] for row in rows]
        process = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:  # it sees None too: a JSON column writes it as 'null'
            values = list(map(process, values))
        columns.append(values)
    connection.exec_driver_sql(str(compiled), list(zip(*columns, strict=True)))
