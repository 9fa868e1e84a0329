"""A drop-in whose page hook raises, and whose page (when declared) raises when drawn."""

from core.host.hookspecs import hookimpl


@hookimpl
def jiangxin_pages():
    raise ValueError("pages hook exploded")
