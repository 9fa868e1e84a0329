"""Building spreadsheets the way county staff really fill them, for the import tests."""

from __future__ import annotations

import datetime as dt

from openpyxl import Workbook
from stdnum.cn import ric

# GB 11643-1999's own worked example (a woman born 1949-12-31 in Beijing's 朝阳区): the oracle
# that ID numbers here are checked against is the standard, not the code under test.
GB11643_EXAMPLE = "11010519491231002X"


def make_id(birth: str = "19680503", seq: int = 123, area: str = "330182") -> str:
    """A valid 18-character resident ID number (odd ``seq``: male). The check character comes
    from python-stdnum (``stdnum.cn.ric``), independent of ``core.spreadsheet.cells.id_check_char``."""
    first = f"{area}{birth}{seq:03d}"
    return first + ric.calc_check_digit(first + "0")  # stdnum expects a slot for the check


def county_workbook(rows: list[list], header: list[str], *, title: str = "建德市劳模工匠名册",
                    notes: bool = True, blank_between: bool = True) -> Workbook:
    """A title row merged across the sheet, a 填报单位 line, a blank line, the header, the rows
    (with a blank row in the middle) and the notes rows counties put under their tables."""
    wb = Workbook()
    ws = wb.active
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(["填报单位：建德市总工会", None, None, "填报日期：2026年11月"])
    ws.append([])
    ws.append(header)
    for i, row in enumerate(rows):
        ws.append(row)
        if any(isinstance(v, str) and v.startswith("=") for v in row):
            for cell in ws[ws.max_row]:  # max_row scans the sheet: only where needed
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # typed as text by the user, not a formula
        if blank_between and i == 0:
            ws.append([None] * len(header))
    if notes:
        ws.append([])
        ws.append(["填表人：王丽", None, "联系电话：0571-64712345"])
        ws.append(["注：本表一式两份"])
    return wb


def save(wb: Workbook, path) -> str:
    wb.save(path)
    return str(path)


TODAY = dt.date.today()
