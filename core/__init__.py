"""Jiangxin core: plugin host, database, sign-in, audit, metrics and CLI.

Plugins import from the modules listed in docs/plugins.md (``core.hookspecs``,
``core.db``, ``core.audit``, ``core.auth``, ``core.counties``, ``core.pages``,
``core.metrics``); everything else is internal.
"""

__version__ = "0.1.0"
