"""The yearly report (年度工作报告): sections from every plugin, as a Word document and an Excel
workbook (see ``jiangxin_report_sections`` in core.host.hookspecs)."""

from core.report.sections import ReportSection, ReportTable

__all__ = ["ReportSection", "ReportTable"]
