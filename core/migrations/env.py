"""Alembic environment for core and every plugin branch (driven by core.migrate)."""

from alembic import context

from core.db import Base

config = context.config
owned_tables: set[str] = config.attributes.get("owned_tables", set())


def include_object(obj, name, type_, reflected, compare_to):
    # Never propose dropping tables that no loaded plugin declares (a disabled plugin's data).
    if type_ == "table" and reflected and compare_to is None:
        return name in owned_tables
    return True


connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    include_object=include_object,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
