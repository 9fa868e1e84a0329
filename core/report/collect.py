"""Collecting the yearly report's sections from every plugin (``jiangxin_report_sections``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from core.report.sections import ReportSection

HOOK = "jiangxin_report_sections"


@dataclass(frozen=True)
class Report:
    """The yearly report of ``year`` for ``counties`` (None: the whole city), as the page
    shows it and the files hold it. ``missing`` names the plugins whose section failed (their
    error is on the 插件 page); ``generated`` is the users' date it was made."""

    year: int
    counties: tuple[str, ...] | None
    sections: list[ReportSection]
    generated: dt.date
    missing: list[str] = field(default_factory=list)

    @property
    def place(self) -> str:
        """The city's name (core.settings.counties.city_name: 杭州市), or the county's (names,
        joined with 、)."""
        from core.settings.counties import city_name, county_name

        return city_name() if self.counties is None else "、".join(county_name(c) for c in self.counties)

    @property
    def title(self) -> str:
        """杭州市 2026 年度工作报告, 建德市 2026 年度工作报告."""
        return f"{self.place} {self.year} 年度工作报告"


def collect_sections(session: Session, year: int, counties: tuple[str, ...] | None,
                     host=None) -> tuple[list[ReportSection], list[str]]:
    """Every plugin's sections for ``year`` and ``counties``, sorted by ``order`` then title,
    and the plugins whose hook raised or returned nothing usable (reported against them by the
    host; the report goes on without them). ``counties`` must already be the caller's scope:
    the plugins count exactly what they are given."""
    from core.host.loader import get_host

    host = host or get_host()
    answered = host.call_each(HOOK, session=session, year=year, counties=counties)
    asked = {impl.plugin_name for impl in host.ordered_impls(HOOK)}
    sections = [s for _, found in answered for s in (found or [])]
    # pluggy calls the last registered first: the order is the sections' own, never the plugins'
    sections.sort(key=lambda s: (s.order, s.title))
    return sections, sorted(asked - {plugin for plugin, _ in answered})
