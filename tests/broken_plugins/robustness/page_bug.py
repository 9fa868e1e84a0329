"""A drop-in, clean at load time, whose page raises when drawn (strict mode must show it)."""

from core.host.hookspecs import hookimpl
from core.host.pages import Page


def boom() -> None:
    raise ZeroDivisionError("page bug for strict mode")


@hookimpl
def jiangxin_pages():
    return [Page(url_path="page-bug-boom", title="会出错的页面", target=boom)]
