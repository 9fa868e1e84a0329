"""A drop-in whose first revision depends on core's newest one: Alembic then records only this
plugin's revision, which would hide core's head once the plugin is disabled."""

from pathlib import Path

from core.host.hookspecs import hookimpl


@hookimpl
def jiangxin_migrations():
    return Path(__file__).parent / "migrations"
