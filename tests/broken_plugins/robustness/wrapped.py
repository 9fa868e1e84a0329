"""A drop-in with hook wrappers (legal in pluggy, but the host calls each implementation itself):
refused at registration with the reason."""

from core.host.hookspecs import hookimpl


@hookimpl(wrapper=True)
def jiangxin_pages():
    pages = yield
    return pages


@hookimpl(hookwrapper=True)
def jiangxin_permissions():
    yield
