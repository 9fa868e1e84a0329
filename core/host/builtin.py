"""Core's own features, registered through the same hooks as every plugin (as datasette does)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from core.access.permissions import Permission
from core.data.models import AuditEntry, DataVersion, LoginFailure, User
from core.host.hookspecs import hookimpl
from core.host.metrics import Metric, MetricContext, MetricResult
from core.host.pages import Page

DASHBOARD_PAGES = Path(__file__).resolve().parents[2] / "dashboard" / "pages"
SECTION = "系统"


@hookimpl
def jiangxin_permissions():
    everyone = {"admin", "reviewer", "staff", "manager"}
    return [
        Permission("core.overview", "查看总览", everyone),
        Permission("core.workbench", "查看工作台（待办事项）", everyone),
        Permission("core.report", "查看、下载年度工作报告", {"admin", "manager", "staff"}),
        Permission("core.account", "管理自己的账户", everyone),
        Permission("core.plugins", "查看插件状态", {"admin"}),
        Permission("core.audit", "查看审计日志", {"admin"}),
        Permission("core.users", "管理用户", {"admin"}),
    ]


@hookimpl
def jiangxin_pages():
    def page(name, title, icon, permission, order, section=SECTION, default=False):
        return Page(url_path=f"core-{name}", title=title, target=DASHBOARD_PAGES / f"{name}.py",
                    section=section, icon=icon, permission=permission, order=order,
                    default=default)

    return [
        page("overview", "总览", "📊", "core.overview", 0, section="首页", default=True),
        # the start page of staff and reviewers (what they must do today); the others keep 总览
        Page(url_path="core-workbench", title="工作台", target=DASHBOARD_PAGES / "workbench.py",
             section="首页", icon="🗂️", permission="core.workbench", order=1,
             default_for=frozenset({"staff", "reviewer"})),
        page("report", "年度报告", "📑", "core.report", 2, section="首页"),
        page("plugins", "插件", "🧩", "core.plugins", 900),
        page("audit", "审计日志", "📜", "core.audit", 910),
        page("users", "用户", "👥", "core.users", 920),
        page("account", "我的账户", "🔑", "core.account", 990),
    ]


@hookimpl
def jiangxin_models():
    return [User, LoginFailure, AuditEntry, DataVersion]


@hookimpl
def jiangxin_migrations():
    return Path(__file__).resolve().parents[1] / "data" / "migrations" / "versions"


def _accounts(ctx: MetricContext) -> MetricResult:
    from core.data.models import ROLE_LABELS

    rows = ctx.session.execute(
        select(User.role, func.count()).where(User.disabled.is_(False))
        .where(ctx.county_filter(User.county_code)).group_by(User.role)
    ).all()
    table = [{"角色": ROLE_LABELS.get(role, role), "账户数": n} for role, n in rows]
    return MetricResult(value=sum(n for _, n in rows), help="启用中的账户", rows=table,
                        link_params={"year": ""})  # accounts have no year


def _writes(ctx: MetricContext) -> MetricResult:
    import datetime as dt

    import altair as alt
    import pandas as pd

    from core.settings import clock

    # the last 30 local days, grouped by local day (the zone's offset now: Beijing has no DST)
    since = clock.local_day_bounds(clock.today() - dt.timedelta(days=29))[0]
    seconds = int(clock.now_local().utcoffset().total_seconds())
    if ctx.session.get_bind().dialect.name == "postgresql":
        day = func.date(AuditEntry.at + func.make_interval(0, 0, 0, 0, 0, 0, seconds))
    else:
        day = func.date(AuditEntry.at, f"{seconds:+d} seconds")
    stmt = (select(day, func.count()).where(AuditEntry.at >= since)
            .where(ctx.county_filter(AuditEntry.county_code)).group_by(day).order_by(day))
    rows = [{"日期": str(d), "操作数": n} for d, n in ctx.session.execute(stmt)]
    chart = None
    if rows:
        # the title says what is drawn; dates read across (as 11-29), not turned sideways
        chart = (alt.Chart(pd.DataFrame(rows), title="近 30 天每日操作数").mark_bar()
                 .encode(x=alt.X("日期:O", title="日期", axis=alt.Axis(
                             labelAngle=0, labelExpr="slice(datum.label, 5)")),
                         y=alt.Y("操作数:Q", title="操作数", axis=alt.Axis(format="d", tickMinStep=1)),
                         tooltip=["日期", "操作数"]).properties(height=180))
    return MetricResult(value=sum(r["操作数"] for r in rows), help="近 30 天写入审计日志的操作",
                        chart=chart, rows=rows, link_params={"year": ""})  # the last 30 days, any year


@hookimpl
def jiangxin_metrics():
    return [
        Metric(key="core-accounts", title="账户", compute=_accounts,
               tables=frozenset({"core_user"}), permission="core.users", link="core-users",
               order=900),
        Metric(key="core-writes", title="近 30 天操作", compute=_writes,
               tables=None, permission="core.audit", link="core-audit",
               order=910),
    ]
