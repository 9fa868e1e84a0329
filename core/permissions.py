"""Permissions: named actions that pages and plugins check against the signed-in user.

A plugin declares its permissions (``jiangxin_permissions``) with the roles that hold them by
default; any plugin may veto or grant with ``jiangxin_check_permission`` (a veto wins).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Permission:
    """``name`` is namespaced by plugin (``registry.review``); ``roles`` hold it by default."""

    name: str
    label: str
    roles: frozenset[str]

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", frozenset(self.roles))
