"""Schema migrations with Alembic: core's branch plus one branch per plugin.

``jiangxin init-db`` calls :func:`upgrade`; the dashboard calls :func:`pending` at start and
refuses to run on an out-of-date schema with a clear message.

Only the loaded branches count: a disabled (or removed) plugin keeps its tables and its rows in
``alembic_version``, which both functions leave alone, so the app starts without it and the
plugin finds its data again when it is enabled.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine

from core.host.loader import PluginHost

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


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.revision_map.get_revision(revision) is not None
    except Exception:  # a revision of a plugin that is not loaded now (disabled or removed)
        return False


def _newest_known(script: ScriptDirectory, current) -> tuple[str, ...]:
    """The recorded revisions a loaded branch provides, less those another one already implies
    (a head recorded in its own row next to a plugin revision that depends on it)."""
    known = [rev for rev in current if _known(script, rev)]
    implied = {r.revision for rev in known for r in script.iterate_revisions(rev, "base")
               if r.revision != rev}
    return tuple(rev for rev in known if rev not in implied)


def unloaded_revisions(engine: Engine, host: PluginHost) -> list[str]:
    """Revisions recorded in ``alembic_version`` that no loaded branch provides: those of
    disabled or removed plugins (kept, never touched)."""
    script = ScriptDirectory.from_config(alembic_config(host))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    return sorted(rev for rev in current if not _known(script, rev))


def upgrade(engine: Engine, host: PluginHost) -> None:
    """Bring every loaded branch (core and each loaded plugin) to its head.

    Rows of ``alembic_version`` whose revision no loaded branch provides (a disabled plugin's)
    are left as they are: Alembic is shown only the known ones. Afterwards each loaded head is
    recorded in a row of its own, so that a plugin revision that depends on it (Alembic keeps
    only the dependent one) cannot hide it once that plugin is disabled.
    """
    cfg = alembic_config(host)
    script = ScriptDirectory.from_config(cfg)

    def upgrade_known(current, context):
        return script._upgrade_revs("heads", _newest_known(script, current))

    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            with EnvironmentContext(cfg, script, fn=upgrade_known, destination_rev="heads"):
                script.run_env()
            context = MigrationContext.configure(conn)
            recorded = set(context.get_current_heads())
            for head in script.get_heads():
                if head not in recorded:
                    conn.execute(context._version.insert().values(version_num=head))
    except CommandError as exc:
        raise SchemaOutOfDate(f"cannot upgrade the database: {exc}") from exc


def pending(engine: Engine, host: PluginHost) -> list[str]:
    """Heads of the loaded branches not applied to the database (empty when the schema is
    current). Revisions of plugins not loaded now are ignored."""
    script = ScriptDirectory.from_config(alembic_config(host))
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    applied = set()
    for rev in current:
        if _known(script, rev):
            applied.update(r.revision for r in script.iterate_revisions(rev, "base"))
    return sorted(h for h in script.get_heads() if h not in applied)


def check_schema(engine: Engine, host: PluginHost) -> None:
    """Raise SchemaOutOfDate with a Chinese message when migrations are pending."""
    missing = pending(engine, host)
    if missing:
        raise SchemaOutOfDate(
            f"数据库结构不是最新（缺少 {', '.join(missing)}）：请运行 `jiangxin init-db` 升级数据库。")
