"""Notifications between plugins: one announces an event, the others react in its transaction.

    from core.ui.notify import notify
    notify(host, session, "registry.change_approved", person_id=7, kind="去世")

Each subscriber runs inside a SAVEPOINT: if it raises, its own writes are undone, the error is
shown on the 插件 page, and the announcer's transaction goes on.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.host.loader import PluginHost


def notify(host: PluginHost, session: Session, event: str, **payload: Any) -> list[str]:
    """Announce ``event`` to every plugin; return the plugins whose handler ran without error
    (whether or not the event concerned them)."""
    results = host.call_each("jiangxin_notification", savepoints=session,
                             event=event, payload=payload, session=session)
    return [plugin for plugin, _ in results]
