"""Building the yearly report for a user: who may, which year, which counties.

The checks are here, not only on the page: the command line and any plugin get the same
refusals. A county user gets their own county's report, whatever they ask for.
"""

from __future__ import annotations

from core.report.collect import Report, collect_sections

PERMISSION = "core.report"
FIRST_YEAR = 1949  # no association report is older than the People's Republic


class ReportRefused(ValueError):
    """A year or county the report cannot be made for; the message is Chinese, for the user."""


def report_years() -> range:
    """The years a report can be made for: FIRST_YEAR to this year (in the users' zone)."""
    from core.settings import clock

    return range(FIRST_YEAR, clock.this_year() + 1)


def check_scope(user, year: int, counties: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """``counties`` narrowed to ``user``'s scope, after checking the permission, the year and
    that each county exists. Raises PermissionDenied (no permission, another county) or
    ReportRefused (a year not begun or before FIRST_YEAR, an unknown county)."""
    from core.access.permissions import require, scoped_counties
    from core.settings.counties import load_counties

    require(user, PERMISSION)
    if not isinstance(year, int) or year not in report_years():
        years = report_years()
        raise ReportRefused(f"年度须在 {years.start} 至 {years.stop - 1} 年之间")
    if counties is not None:
        known = {c.code for c in load_counties()}
        unknown = [c for c in counties if c not in known]
        if unknown or not counties:
            raise ReportRefused(f"没有这个区县：{'、'.join(unknown) or '（空）'}")
    return scoped_counties(user, counties)


def build_report(user, year: int, counties: tuple[str, ...] | None) -> Report:
    """The report of ``year`` for ``counties`` (None: the whole city) as ``user`` may have it:
    checked by :func:`check_scope`, then every plugin's sections read in one read transaction.

    ``user`` is a ``CurrentUser`` or an ``Actor`` (the command line's)."""
    from core.data.db import read_session
    from core.settings import clock

    counties = check_scope(user, year, counties)
    with read_session() as session:
        sections, missing = collect_sections(session, year, counties)
    return Report(year=year, counties=counties, sections=sections, generated=clock.today(),
                  missing=missing)
