"""A drop-in that asks to be called first (tryfirst=True), though it is loaded after core."""

from core.hookspecs import hookimpl
from core.permissions import Permission


@hookimpl(tryfirst=True)
def jiangxin_permissions():
    return [Permission("first_in_line.view", "先", {"admin"})]
