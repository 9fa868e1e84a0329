"""Permissions: named actions that pages and plugins check against the signed-in user.

A plugin declares its permissions (``jiangxin_permissions``) with the roles that hold them by
default; any plugin may veto or grant with ``jiangxin_check_permission`` (a veto wins).
The decision is :func:`allowed`'s; the plugin host only collects the declarations.
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


FORBIDDEN_ACTION = "无权执行此操作"


def allowed(host, user, permission: str | None) -> bool:
    """Whether ``user`` holds ``permission`` (None: any signed-in user), given the plugins of
    ``host`` (a ``core.host.loader.PluginHost``).

    Every ``jiangxin_check_permission`` is asked: any False refuses, and so does a checker that
    raised or answered something other than True, False or None (fail closed); then any True
    grants; when all abstain, the roles declared with the permission decide. Signed out: never.
    """
    if user is None:
        return False
    if permission is None:
        return True
    impls = host.pm.hook.jiangxin_check_permission.get_hookimpls()
    verdicts = [v for _, v in host.call_each("jiangxin_check_permission",
                                               user=user, permission=permission)]
    if False in verdicts or len(verdicts) < len(impls):
        return False  # a veto, or a checker that failed: fail closed
    if True in verdicts:
        return True
    declared = host.permissions.get(permission)
    return declared is not None and user.role in declared.roles


class PermissionDenied(Exception):
    """The user does not hold the permission a service function needs; the message is Chinese
    and meant for the user."""


def require(user, permission: str | None, error: type[Exception] = PermissionDenied) -> None:
    """Raise ``error`` (PermissionDenied, 无权执行此操作) unless ``user`` holds ``permission``.

    Service functions call it themselves, whoever calls them (a page, the command line, another
    plugin): the pages' checks only decide what is shown. ``user`` is a ``core.access.auth.CurrentUser``
    or an ``core.data.audit.Actor`` (both carry ``username``, ``role`` and ``county_code``); the
    decision is :func:`allowed`'s (declared roles, then any veto). Pass
    ``error`` to raise your plugin's own exception (it should subclass PermissionDenied too).
    """
    from core.host.loader import get_host  # core.plugins imports this module

    if not get_host().allowed(user, permission):  # patchable; it calls allowed()
        raise error(FORBIDDEN_ACTION)


def counties_of(user) -> tuple[str, ...] | None:
    """The counties ``user`` may see (None: the whole city): a ``CurrentUser``'s visible
    counties, or an ``Actor``'s own county."""
    visible = getattr(user, "visible_counties", None)
    if visible is not None:
        return visible()
    own = getattr(user, "county_code", None)
    return None if own is None else (own,)


def scoped_counties(user, counties: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """``counties`` narrowed to ``user``'s county: a user of one county asking for all of them
    (None) gets their own; asking for any other county raises PermissionDenied."""
    own = getattr(user, "county_code", None)
    if own is None:
        return counties
    if counties is None:
        return (own,)
    if set(counties) - {own}:
        raise PermissionDenied(FORBIDDEN_ACTION)
    return tuple(counties)


def in_counties(column, counties: tuple[str, ...] | None):
    """A WHERE clause keeping rows whose ``column`` is one of ``counties`` (None: every row, the
    whole city)."""
    from sqlalchemy import true  # SQLAlchemy only where a query is built

    return true() if counties is None else column.in_(counties)
