"""Demo events (stub: filled in by #14's work in progress)."""


def load(session, faker, seed) -> None:
    return None
