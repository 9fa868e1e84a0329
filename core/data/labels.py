"""The Chinese names of tables and columns, which models declare beside them (SQLAlchemy's
``info`` dict), for screens that show stored names, such as the audit log::

    class Studio(Base):
        __tablename__ = "studio_studio"
        __table_args__ = {"info": {"label": "工作室"}}   # or a dict at the end of the tuple
        name: Mapped[str] = mapped_column(String(100), info={"label": "名称"})

    table_label("studio_studio")          # "工作室"
    field_label("studio_studio", "name")  # "名称"

An unlabelled (or unknown, e.g. dropped) table or column keeps its stored name. The labels are
read from ``Base.metadata``, so a plugin's tables are labelled once its models are imported
(the host imports every enabled plugin before any page runs).
"""

from __future__ import annotations

from sqlalchemy import Table

from core.data.db import Base

# Columns most tables have, named once here for tables that leave them unlabelled.
COMMON = {"id": "编号", "county_code": "区县", "created_at": "创建时间", "updated_at": "修改时间"}


def _table(name: str | None) -> Table | None:
    return Base.metadata.tables.get(name) if name else None


def table_label(name: str | None) -> str:
    """The Chinese name of table ``name``, or ``name`` itself (empty for None)."""
    table = _table(name)
    label = table.info.get("label") if table is not None else None
    return label or (name or "")


def field_label(table_name: str | None, field: str) -> str:
    """The Chinese name of column ``field`` of ``table_name`` (by column name or attribute key),
    or ``field`` itself."""
    column = _column(table_name, field)
    label = column.info.get("label") if column is not None else None
    return label or COMMON.get(field, field)


def value_label(table_name: str | None, field: str, value) -> str:
    """A stored value as a screen shows it: a column's ``info={"values": {...}}`` names its
    codes (a role's 审核员 for ``reviewer``); yes/no in Chinese; nothing for None."""
    column = _column(table_name, field)
    names = column.info.get("values") if column is not None else None
    if names and isinstance(value, str | int) and value in names:
        return str(names[value])
    if isinstance(value, bool):
        return "是" if value else "否"
    return "" if value is None else str(value)


def _column(table_name: str | None, field: str):
    table = _table(table_name)
    if table is None:
        return None
    column = table.columns.get(field)
    if column is None:  # an attribute key that differs from its column's name
        column = next((c for c in table.columns if c.key == field), None)
    return column
