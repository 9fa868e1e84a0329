"""The events' yearly-report section (stub: filled in by #14's work in progress)."""


def sections(session, year, counties) -> list:
    return []
