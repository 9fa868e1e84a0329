"""Spreadsheet widgets any plugin page can place: an import panel (upload, check, preview every
problem, confirm) and an export button.

    from core.spreadsheet.widgets import export_button, import_panel
    import_panel("roster")
    export_button("roster")
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from pathlib import Path

import streamlit as st

from core.settings import clock
from core.spreadsheet import (
    UnreadableFile,
    error_report_bytes,
    export_file,
    import_file,
    template_bytes,
)
from core.spreadsheet.cells import YearMonth
from core.spreadsheet.table import SpreadsheetTable
from core.ui import current_user, host
from core.ui.downloads import private_file
from core.ui.text import literal
from core.ui.uploads import file_uploader

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_PROBLEMS = 500


def _table(name: str):
    table = host().spreadsheet_tables.get(name)
    if table is None:
        st.error(f"未找到表格 {literal(name)}")
        st.stop()
    return table


def _allowed(table) -> bool:
    if host().allowed(current_user(), table.permission):
        return True
    st.error("无权访问")
    return False


def _shown(value):
    if isinstance(value, YearMonth):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def import_panel(table_name: str) -> None:
    """Upload an .xlsx, check every row (nothing written), show the first rows and every
    problem, then import all rows on confirmation — or none."""
    table = _table(table_name)
    if not _allowed(table):
        return
    if table.write_rows is None:
        st.error(f"{table.title}只能导出，不能导入")
        return
    user = current_user()
    scope = user.visible_counties()  # one county: the template has no county column to fill
    st.download_button("下载空白模板", lambda: template_bytes(table, scope), file_name=f"{table.title}-模板.xlsx",
                       mime=XLSX_MIME, key=f"template-{table.name}")
    upload = file_uploader(f"上传{table.title}（.xlsx）", types=["xlsx"], key=f"upload-{table.name}",
                           max_mb=host().settings.xlsx_max_file_mb)  # the drop zone says it in Chinese
    if upload is None:
        _forget_imports(table.name)  # the uploader was cleared
        return
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()[:16]
    state_key = f"import-{table.name}-{digest}"
    _forget_imports(table.name, keep=state_key)  # another file's check or result is finished with
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.xlsx"
        path.write_bytes(data)
        if state_key not in st.session_state:  # check once per file, not on every rerun
            try:
                with st.spinner("正在检查每一行……"):  # 100,000 rows take a few seconds
                    st.session_state[state_key] = import_file(
                        table, path, user.actor, counties=user.visible_counties(), dry_run=True)
            except UnreadableFile as exc:
                st.error(literal(exc))
                return
        checked = st.session_state[state_key]
        if checked == "done":
            st.success("该文件已导入。")
            return
        _show_check(table, checked)
        if checked.ok and checked.to_write and st.button(f"确认导入 {checked.to_write} 行",
                                                        type="primary", key=f"confirm-{table.name}"):
            bar = st.progress(0.0, text="正在导入……")
            total = max(checked.rows, 1)
            result = import_file(table, path, user.actor, counties=user.visible_counties(),
                                 progress=lambda n: bar.progress(min(n / (2 * total), 1.0),
                                                                 text=f"正在导入……{n} 行"))
            bar.progress(1.0, text="完成")
            if result.ok:
                st.session_state[state_key] = "done"
                skipped = f"，跳过已存在的 {len(result.already_present)} 行" if result.already_present else ""
                st.success(table.done_message.format(n=result.written, skipped=skipped))
            else:  # the data changed between the check and the import
                _show_check(table, result)


def _forget_imports(table_name: str, keep: str | None = None) -> None:
    """Drop this table's import checks and results from the session, but ``keep``: a session
    that uploads file after file holds one check (or the "done" mark of the last import)."""
    prefix = f"import-{table_name}-"
    for key in [k for k in st.session_state.keys() if k.startswith(prefix) and k != keep]:
        del st.session_state[key]


def _show_check(table, result) -> None:
    if result.ignored_columns:
        st.info("以下列不属于本表，已忽略：" + literal(result.ignored_text()))
    if not result.ok:
        st.error(f"发现 {len(result.problems)} 处问题，未导入任何数据。请修改后重新上传。")
        st.dataframe([{"行号": p.row or "", "列": p.header, "问题": p.reason}
                      for p in result.problems[:SHOWN_PROBLEMS]], hide_index=True, width="stretch")
        st.download_button("下载错误报告（标出有问题的单元格）", private_file(lambda: error_report_bytes(result)),
                           file_name=f"{table.title}-错误报告.xlsx", mime=XLSX_MIME,
                           key=f"errors-{table.name}")
        return
    skipped = f"，其中 {len(result.already_present)} 行已存在，将跳过" if result.already_present else ""
    st.success(f"检查通过：工作表“{literal(result.sheet)}”共 {result.rows} 行{skipped}。")
    headers = {c.key: c.header for c in table.columns}
    st.caption(f"前 {len(result.preview)} 行预览")
    st.dataframe([{headers[k]: _shown(v) for k, v in row.items()} for row in result.preview],
                 hide_index=True, width="stretch")


def export_button(table: str | SpreadsheetTable, label: str = "导出 Excel", *,
                  key: str | None = None) -> None:
    """Export the table within the user's county scope (generated on click, audited).

    ``table`` is a registered table's name, or a table made on the page for this export (a
    registered one narrowed to the page's search, say, with ``dataclasses.replace``); give each
    such variant its own ``key``, so a download made for one search is not offered for another."""
    table = _table(table) if isinstance(table, str) else table
    user = current_user()
    if not host().allowed(user, table.permission) or not table.exportable:
        return
    key = key or f"export-{table.name}"
    # one file kept per table, whichever variant made it: a session that exports search after
    # search holds one file, not all of them
    kept = f"export-{table.name}-file"
    if st.button(label, key=key):
        import io

        buffer = io.BytesIO()
        count = export_file(table, buffer, user.actor, user.visible_counties())
        st.session_state[kept] = (key, count, buffer.getvalue())
    made_for, count, data = st.session_state.get(kept, (None, 0, b""))
    if made_for == key:
        st.download_button(f"下载（{count} 行）", private_file(lambda: data), file_name=f"{table.title}-{clock.today():%Y%m%d}.xlsx",
                           mime=XLSX_MIME, key=key + "-download")
