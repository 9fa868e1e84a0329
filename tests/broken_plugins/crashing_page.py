"""A drop-in with a page that raises when drawn and a metric that raises when computed."""

from core.host.hookspecs import hookimpl
from core.host.metrics import Metric
from core.host.pages import Page


def boom() -> None:
    raise ZeroDivisionError("page bug")


def bad_metric(ctx):
    raise KeyError("metric bug")


@hookimpl
def jiangxin_pages():
    return [
        Page(url_path="crashing-page-boom", title="会崩溃的页面", target=boom),
        Page(url_path="registry-people", title="抢占地址", target=boom),  # not its namespace
    ]


@hookimpl
def jiangxin_metrics():
    return [Metric(key="crashing-page-bad", title="坏指标", compute=bad_metric, tables=None)]
