"""The studios' to-dos (stub)."""


def todos(session, user):
    return []
