"""A drop-in with a misspelled hook name: pluggy's check_pending turns it into a load failure."""

from core.host.hookspecs import hookimpl


@hookimpl
def jiangxin_pagez():
    return []
