"""A drop-in, clean at load time, whose overview tile raises when computed."""

from core.host.hookspecs import hookimpl
from core.host.metrics import Metric


def broken(ctx):
    raise KeyError("metric bug for strict mode")


@hookimpl
def jiangxin_metrics():
    return [Metric(key="metric-bug-tile", title="会出错的指标", compute=broken, tables=None)]
