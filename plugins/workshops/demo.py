"""Demo studios (stub)."""


def load(session, faker, seed):
    return None
