"""The yearly report (年度工作报告): sections from every plugin, as a Word document and an Excel
workbook (see ``jiangxin_report_sections`` in core.host.hookspecs).

- ``sections``: ``ReportSection`` and ``ReportTable``, what a plugin returns
- ``collect``: ``Report``, and every plugin's sections through the hook, sorted
- ``build``: ``build_report`` for a user: permission, year, county scope
- ``charts``: an Altair chart as a PNG picture, without a browser (vl-convert)
- ``word``: the .docx (python-docx)
- ``excel``: the .xlsx (a 说明 sheet, then a sheet per table)
- ``files``: ``report_file`` (audited as an export) and ``write_report`` for the command line

None of these imports Streamlit: the 年度报告 page (dashboard/pages/report.py) and
``jiangxin report`` both use them.
"""

from core.report.sections import ReportSection, ReportTable

__all__ = ["ReportSection", "ReportTable"]
