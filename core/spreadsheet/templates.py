"""The two styled workbooks a table's users download: the blank template to fill in, and the
error report of a refused import (the refused rows as they were, each problem highlighted).

    st.download_button("下载模板", template_bytes(PEOPLE), "劳模名册模板.xlsx")
"""

from __future__ import annotations

import io

from core.spreadsheet.workbook import (
    FORMULA_PREFIXES,
    HEADER_COLOUR,
    _width,
    safe_sheet_title,
)

ERROR_COLOUR = "F8CBAD"


def _styles():
    """openpyxl and the header and error styles, imported when a file is written: the command
    line and the app load this module at start and should not pay for openpyxl (and lxml)."""
    import openpyxl
    from openpyxl.styles import Font, PatternFill

    return (openpyxl, Font(bold=True), PatternFill("solid", fgColor=HEADER_COLOUR),
            PatternFill("solid", fgColor=ERROR_COLOUR))


def template_bytes(table, counties: tuple[str, ...] | None = None) -> bytes:
    """An empty, ready-to-fill workbook: frozen header, widths, a dropdown on every choice
    column, and a second sheet explaining each column.

    ``counties`` is the scope of whoever fills it in (``CurrentUser.visible_counties()``; None:
    the whole city). With one county the table's ``county_column`` is left out: the import fills
    in that county. With several, the county dropdowns offer just those."""
    from openpyxl.worksheet.datavalidation import DataValidation

    from core.settings.counties import load_counties
    from core.spreadsheet.table import KIND_LABELS

    scope = {c.code for c in load_counties()} if counties is None else set(counties)
    columns = [c for c in table.columns
               if not (counties is not None and len(counties) == 1 and c.key == table.county_column)]
    openpyxl, HEADER_FONT, HEADER_FILL, ERROR_FILL = _styles()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = safe_sheet_title(table.title, set())
    lists = wb.create_sheet("选项")  # long choice lists live here (a list formula holds 255 chars)
    lists.sheet_state = "hidden"
    for i, column in enumerate(columns, start=1):
        letter = openpyxl.utils.get_column_letter(i)
        cell = ws.cell(row=1, column=i, value=column.header + ("*" if column.required else ""))
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        ws.column_dimensions[letter].width = max(12, _width(column.header) + 4,
                                                 22 if column.kind == "id_number" else 0)
        choices = column.choices if column.kind == "choice" else (
            tuple(c.name for c in load_counties() if c.code in scope) if column.kind == "county" else ())
        if column.kind in ("id_number", "phone", "text"):
            for row in range(2, 1002):  # typed as text so Excel keeps all 18 digits
                ws.cell(row=row, column=i).number_format = "@"
        if choices:
            for r, choice in enumerate(choices, start=1):
                lists.cell(row=r, column=i, value=choice)
            rule = DataValidation(type="list", allow_blank=not column.required,
                                  formula1=f"'选项'!${letter}$1:${letter}${len(choices)}",
                                  showErrorMessage=True, errorTitle="不是可选值",
                                  error="请从下拉列表中选择")
            rule.add(f"{letter}2:{letter}10000")
            ws.add_data_validation(rule)
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填写说明", 1)
    notes.append(["列名", "是否必填", "类型", "可选值或格式", "说明"])
    for c in notes[1]:
        c.font, c.fill = HEADER_FONT, HEADER_FILL
    formats = {"date": "如 1968-05-03、1968.5.3、1968年5月3日", "id_number": "18 位，末位可为 X；请保持文本格式",
               "phone": "手机 11 位或座机（区号-号码）", "county": "区县名称（可简写，如 建德）或代码"}
    for column in columns:
        allowed = "、".join(column.choices) if column.kind == "choice" else formats.get(column.kind, "")
        if column.kind == "date" and column.month_ok:
            allowed += "；也可只填到月，如 1968.05"
        notes.append([column.header, "必填" if column.required else "选填", KIND_LABELS[column.kind],
                      allowed, "；".join(filter(None, [column.help, "也可写作：" + "、".join(column.aliases)
                                                      if column.aliases else ""]))])
    for letter, width in zip("ABCDE", (16, 10, 12, 40, 40), strict=True):
        notes.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def error_report_bytes(result) -> bytes:
    """The refused rows as they were in the file, with their row number, the problems, and
    every refused cell highlighted."""
    from openpyxl.comments import Comment

    openpyxl, HEADER_FONT, HEADER_FILL, ERROR_FILL = _styles()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "错误报告"
    ws.append(["原行号", "问题", *result.headers])
    for c in ws[1]:
        c.font, c.fill = HEADER_FONT, HEADER_FILL
        if isinstance(c.value, str) and c.value.startswith(FORMULA_PREFIXES):
            c.data_type = "s"  # the uploaded file's header: text, never a formula
    by_row: dict[int, list] = {}
    for p in result.problems:
        by_row.setdefault(p.row, []).append(p)
    positions = {h: i for i, h in enumerate(result.headers)}
    for row_no, problems in sorted(by_row.items()):
        ws.append([row_no or "", "；".join(f"{p.header}：{p.reason}" if p.header else p.reason
                                            for p in problems)])
        if ws.cell(row=ws.max_row, column=2).value.startswith(FORMULA_PREFIXES):
            ws.cell(row=ws.max_row, column=2).data_type = "s"  # it quotes the file's headers
        for i, value in enumerate(result.bad_rows.get(row_no, []), start=3):
            cell = ws.cell(row=ws.max_row, column=i, value=value)
            if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
                cell.data_type = "s"
        for p in problems:
            col = positions.get(p.header)
            if col is not None:
                cell = ws.cell(row=ws.max_row, column=col + 3)
                cell.fill = ERROR_FILL
                cell.comment = Comment(p.reason, "匠心")
    ws.freeze_panes = "C2"
    ws.column_dimensions["B"].width = 60
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
