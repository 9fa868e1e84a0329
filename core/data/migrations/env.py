"""Alembic environment for core and every plugin branch (driven by core.data.migrate)."""

from alembic import context

from core.data.db import Base
from core.data.migrate import include_owned

config = context.config
include_object = include_owned(config.attributes.get("owned_tables", set()))

connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    include_object=include_object,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
