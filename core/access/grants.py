"""Privileges for the app's own PostgreSQL role: ``jiangxin init-db --grant-to ROLE``.

The triggers that keep ``core_audit_log`` append-only bind everyone, but the role that *owns*
a table can drop or disable them (and truncate, alter or drop the table). So the owner runs
``jiangxin init-db``, and the servers connect as another role that owns nothing and gets only
what the app needs:

- CONNECT on the database and USAGE on the schema;
- SELECT, INSERT, UPDATE, DELETE on every table of the schema, except ``core_audit_log``
  (SELECT and INSERT) and ``alembic_version`` (SELECT: the schema check reads it);
- USAGE and SELECT on every sequence of the schema (new ids).

Any other privilege the role holds on those tables (TRUNCATE, TRIGGER, REFERENCES, or UPDATE on
the log granted by hand) is revoked first. ``GRANT … ON ALL TABLES`` covers only the tables that
exist, so init-db grants again every time it runs: after adding a plugin, run
``jiangxin init-db --grant-to ROLE``.
"""

from __future__ import annotations

from sqlalchemy import URL, Engine, make_url, text

from core.settings.config import ConfigError

AUDIT_TABLE = "core_audit_log"
APPEND_ONLY = {AUDIT_TABLE: "SELECT, INSERT", "alembic_version": "SELECT"}
READ_WRITE = "SELECT, INSERT, UPDATE, DELETE"


class GrantError(ConfigError):
    """The role cannot be given the app's privileges (init-db exits 1 with the message)."""


def require_roles(url: str | URL) -> None:
    """Refuse ``--grant-to`` on a database without roles (SQLite), before anything is done."""
    backend = make_url(url).get_backend_name()
    if backend != "postgresql":
        raise GrantError(f"--grant-to works on PostgreSQL only: {backend} has no roles or "
                         "privileges (nothing was done)")


def grant_app_role(engine: Engine, role: str) -> list[str]:
    """Grant ``role`` what the app needs on the database of ``engine`` (see the module's
    docstring), in one transaction; return the tables granted. PostgreSQL only."""
    require_roles(engine.url)
    quote = engine.dialect.identifier_preparer.quote
    with engine.begin() as conn:
        def one(sql: str, **params):
            return conn.execute(text(sql), params).first()

        found = one("SELECT rolsuper FROM pg_roles WHERE rolname = :role", role=role)
        if found is None:
            raise GrantError(f"no role {role!r} on this server: create it first, e.g. "
                             f"CREATE ROLE {quote(role)} LOGIN PASSWORD '…'")
        if found.rolsuper:
            raise GrantError(f"role {role!r} is a superuser: it can drop the audit log's "
                             "triggers whatever is granted; use a role that is not")
        database, schema, db_owner, schema_owner = one(
            "SELECT current_database(), current_schema(), "
            "pg_get_userbyid((SELECT datdba FROM pg_database WHERE datname = current_database())), "
            "pg_get_userbyid((SELECT nspowner FROM pg_namespace WHERE nspname = current_schema()))")
        tables = conn.execute(
            text("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = :schema "
                 "ORDER BY tablename"), {"schema": schema}).all()
        # The owner of a table can drop its triggers; the owner of the schema can drop the
        # table; the owner of the database owns the public schema (pg_database_owner).
        owners = {owner: f"table {table}" for table, owner in tables}
        owners.update({schema_owner: f"schema {schema}", db_owner: f"database {database}"})
        for owner, what in sorted(owners.items()):
            if one("SELECT pg_has_role(:role, :owner, 'MEMBER')", role=role, owner=owner)[0]:
                raise GrantError(
                    f"role {role!r} owns {what} (as {owner!r} or a member of it): an owner can "
                    "drop the audit log's triggers. Run init-db as the owner and grant to a "
                    "role that owns nothing")

        def acts_as(owner: str) -> bool:
            return one("SELECT pg_has_role(current_user, :owner, 'USAGE')", owner=owner)[0]

        # A GRANT on a table this connection does not own only warns ("no privileges were
        # granted"): refuse instead.
        for table, owner in tables:
            if not acts_as(owner):
                raise GrantError(
                    f"this connection's role does not own table {table} ({owner!r} does): run "
                    "`jiangxin init-db --grant-to` with the owner's JIANGXIN_DATABASE_URL")
        r = quote(role)
        # CONNECT and USAGE on the public schema are PUBLIC's by default; grant them when this
        # role may, and otherwise make sure the app role has them.
        for kind, name, owner, check in (
                ("DATABASE", database, db_owner, "has_database_privilege(:role, :name, 'CONNECT')"),
                ("SCHEMA", schema, schema_owner, "has_schema_privilege(:role, :name, 'USAGE')")):
            privilege = "CONNECT" if kind == "DATABASE" else "USAGE"
            if acts_as(owner):
                conn.execute(text(f"GRANT {privilege} ON {kind} {quote(name)} TO {r}"))
            elif not one(f"SELECT {check}", role=role, name=name)[0]:
                raise GrantError(f"role {role!r} lacks {privilege} on {kind.lower()} {name}, and "
                                 f"only {owner!r} can grant it: GRANT {privilege} ON {kind} "
                                 f"{quote(name)} TO {r}")
        for table, _owner in tables:
            name = f"{quote(schema)}.{quote(table)}"
            conn.execute(text(f"REVOKE ALL ON {name} FROM {r}"))
            conn.execute(text(f"GRANT {APPEND_ONLY.get(table, READ_WRITE)} ON {name} TO {r}"))
        conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {quote(schema)} TO {r}"))
    return [table for table, _owner in tables]
