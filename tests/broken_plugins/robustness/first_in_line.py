"""A drop-in that asks to be called first (tryfirst=True), though it is loaded after core."""

from core.access.permissions import Permission
from core.host.hookspecs import hookimpl


@hookimpl(tryfirst=True)
def jiangxin_permissions():
    return [Permission("first_in_line.view", "先", {"admin"})]
