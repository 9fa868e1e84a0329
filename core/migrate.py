"""Schema migrations with Alembic: core's branch plus one branch per plugin.

``jiangxin init-db`` calls :func:`upgrade`; the dashboard calls :func:`pending` at start and
refuses to run on an out-of-date schema with a clear message.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine

from core.plugins import PluginHost

SCRIPT_LOCATION = Path(__file__).resolve().parent / "migrations"


class SchemaOutOfDate(RuntimeError):
    """The database is behind the code, or cannot be upgraded by it."""


def include_owned(owned: set[str]):
    """An Alembic ``include_object`` that compares only the tables of the loaded plugins: it
    never proposes dropping a disabled plugin's data, nor creating a table nobody loaded."""

    def include_object(obj, name, type_, reflected, compare_to):
        if type_ == "table":
            return name in owned
        return True

    return include_object


def alembic_config(host: PluginHost) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations",
                        os.pathsep.join(str(p) for p in host.migration_dirs.values()))
    cfg.attributes["owned_tables"] = set(host.table_owners)
    return cfg


def upgrade(engine: Engine, host: PluginHost) -> None:
    """Bring every branch (core and each plugin) to its head."""
    cfg = alembic_config(host)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
    except CommandError as exc:
        # Typically a revision of a plugin that is disabled or removed: Alembic needs every
        # branch recorded in alembic_version to be present.
        raise SchemaOutOfDate(
            f"cannot upgrade the database: {exc}. Enable (or reinstall) the plugin that owns "
            "that revision, then run `jiangxin init-db` again.") from exc


def pending(engine: Engine, host: PluginHost) -> list[str]:
    """Heads not applied to the database (empty when the schema is current)."""
    script = ScriptDirectory.from_config(alembic_config(host))
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    applied = set()
    for rev in current:
        try:
            applied.update(r.revision for r in script.iterate_revisions(rev, "base"))
        except Exception:  # noqa: S112 - a branch of a plugin that is not loaded now
            continue
    return sorted(h for h in script.get_heads() if h not in applied)


def check_schema(engine: Engine, host: PluginHost) -> None:
    """Raise SchemaOutOfDate with a Chinese message when migrations are pending."""
    missing = pending(engine, host)
    if missing:
        raise SchemaOutOfDate(
            f"数据库结构不是最新（缺少 {', '.join(missing)}）：请运行 `jiangxin init-db` 升级数据库。")
