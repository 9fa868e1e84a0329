"""The report's files, each audited as an export when it is made (a download, or the command
line writing one)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.report.collect import Report

DOCX, XLSX = "docx", "xlsx"
MIME = {
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
KIND_LABELS = {DOCX: "Word", XLSX: "Excel"}


def _writer(kind: str) -> Callable[[Report], bytes]:
    if kind == DOCX:
        from core.report.word import report_docx

        return report_docx
    if kind == XLSX:
        from core.report.excel import report_xlsx

        return report_xlsx
    raise ValueError(f"unknown report file kind {kind!r} (docx or xlsx)")


def file_name(report: Report, kind: str) -> str:
    """建德市-2026年度工作报告.docx"""
    return f"{report.place}-{report.year}年度工作报告.{kind}"


def report_file(user, report: Report, kind: str) -> bytes:
    """``report`` as a ``kind`` file (docx or xlsx) for ``user``, audited as an export.

    The scope is checked again: a report built for counties outside ``user``'s (a county user
    handed the city's) is refused with PermissionDenied, and nothing is audited or made."""
    from core.access.permissions import FORBIDDEN_ACTION, PermissionDenied, require, scoped_counties
    from core.data.audit import record
    from core.data.db import session_scope
    from core.report.build import PERMISSION

    require(user, PERMISSION)
    if scoped_counties(user, report.counties) != report.counties:
        raise PermissionDenied(FORBIDDEN_ACTION)
    data = _writer(kind)(report)
    one = report.counties[0] if report.counties and len(report.counties) == 1 else None
    with session_scope(getattr(user, "actor", user)) as session:
        record(session, "export", county=one,
               summary=f"导出 {report.year} 年度工作报告（{KIND_LABELS[kind]}，{report.place}，"
                       f"{len(report.sections)} 个章节）")
    return data


def write_report(user, year: int, counties: tuple[str, ...] | None, path: Path) -> Report:
    """Build the report and write it to ``path``, its kind taken from the suffix (.docx or
    .xlsx, else ValueError); audited. Returns the report written."""
    from core.report.build import build_report

    kind = path.suffix.lower().lstrip(".")
    if kind not in MIME:
        raise ValueError(f"{path.name}: the file must end in .docx or .xlsx")
    report = build_report(user, year, counties)
    path.write_bytes(report_file(user, report, kind))
    return report
