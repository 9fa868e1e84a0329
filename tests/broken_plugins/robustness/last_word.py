"""A drop-in that asks to be called last (trylast=True), though it is loaded before others."""

from core.access.permissions import Permission
from core.host.hookspecs import hookimpl


@hookimpl(trylast=True)
def jiangxin_permissions():
    return [Permission("last_word.view", "后", {"admin"})]
