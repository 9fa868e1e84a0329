"""Excel in and out: describe a table once, get a template, a checked all-or-nothing import and a
streamed export.

- ``table``: ``SpreadsheetTable`` and ``Column``, the description a plugin writes
- ``cells``: reading one cell (text, numbers, dates, choices, ID numbers, phones, counties)
- ``limits``: refusing a file too large before anything is allocated
- ``reading``: a workbook's sheets, rows and header row
- ``checking``: every row checked, every problem kept with its row and column
- ``writing``: rows into the database in one transaction; ``insert_rows``
- ``importing``: ``import_file``, checking then writing
- ``workbook``: writing .xlsx files, the streamed export (``Sheet``, ``columns_sheet``)
- ``templates``: the blank template and the error report
- ``forms``: one row from a form, checked as the import checks a row, written audited
- ``widgets``: the import panel and export button for pages (imports Streamlit)
- ``form_widget``: ``table_form``, a one-row form drawn from a table's columns (imports Streamlit)

    from core.spreadsheet import Column, SpreadsheetTable, import_file, export_file
"""

from core.spreadsheet.cells import CellError, YearMonth
from core.spreadsheet.checking import ImportResult, Problem
from core.spreadsheet.forms import FormResult, check_one_row, write_one_row
from core.spreadsheet.importing import import_file
from core.spreadsheet.limits import TooLarge
from core.spreadsheet.reading import UnreadableFile
from core.spreadsheet.table import KIND_LABELS, KINDS, Column, RowsRefused, SpreadsheetTable
from core.spreadsheet.templates import error_report_bytes, template_bytes
from core.spreadsheet.workbook import (
    EXCEL_CELL_CHARS,
    Sheet,
    columns_sheet,
    export_file,
    export_table,
    workbook_bytes,
    write_workbook,
)
from core.spreadsheet.writing import insert_rows

__all__ = ["CellError", "Column", "EXCEL_CELL_CHARS", "FormResult", "ImportResult", "KINDS", "KIND_LABELS",
           "Problem", "RowsRefused", "Sheet", "SpreadsheetTable", "TooLarge", "UnreadableFile", "YearMonth",
           "check_one_row", "columns_sheet", "error_report_bytes", "export_button", "export_file",
           "export_table", "import_file", "import_panel", "insert_rows", "table_form", "template_bytes",
           "workbook_bytes", "write_one_row", "write_workbook"]


def __getattr__(name: str):
    # the widgets import Streamlit, which the command line should not pay for
    if name in ("import_panel", "export_button"):
        from core.spreadsheet import widgets

        return getattr(widgets, name)
    if name == "table_form":
        from core.spreadsheet import form_widget

        return form_widget.table_form
    raise AttributeError(f"module 'core.spreadsheet' has no attribute {name!r}")
