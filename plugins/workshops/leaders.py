"""Reacting to the roster (stub)."""


def roster_changed(session, person_id, kind):
    return None
