"""Reacting to the roster (stub: filled in by #14's work in progress)."""


def roster_changed(session, person_id: int, kind: str) -> None:
    return None
