"""The studios' section of the yearly report (stub)."""


def sections(session, year, counties):
    return []
