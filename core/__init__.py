"""Jiangxin core: the parts every plugin stands on, a folder each.

- ``core.settings``: what this installation is (environment, counties, time zone)
- ``core.data``: where records live (database, core tables, migrations, audit log)
- ``core.access``: who may do what (accounts, sign-in, permissions, database grants)
- ``core.host``: the plugin host (hook specs, loading, core's own pages and metrics)
- ``core.spreadsheet``: Excel in and out (cells, reading, checking, writing, templates, widgets)
- ``core.ui``: helpers for pages (the signed-in user, literal text, downloads, messages)
- ``core.cli``: the ``jiangxin`` command

Plugins import from the modules docs/plugins.md lists; the rest is internal. Modules that were
at the top level before (``core.data.db``, ``core.access.auth``, …) still import, with a DeprecationWarning
(``core._moved``).
"""

from core import _moved

__version__ = "0.1.0"

_moved.install()
