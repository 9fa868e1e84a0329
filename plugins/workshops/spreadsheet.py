"""Studios and yearly output as spreadsheet tables (stub)."""

from core.spreadsheet import Column, SpreadsheetTable

STUDIOS = SpreadsheetTable(name="workshops_studios", title="工作室", columns=(Column("name", "工作室名称", required=True),))
OUTPUT = SpreadsheetTable(name="workshops_output", title="工作室年度成果", columns=(Column("studio", "工作室名称", required=True),))
