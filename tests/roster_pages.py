"""Driving the 人员名册 page under AppTest the way a user does (shared by the roster's tests)."""

from __future__ import annotations


def click_row(at, row: int) -> int:
    """Click row ``row`` (0 = first) of the list, as the browser reports it: the keyed table's
    selection. Runs the app; returns the id of the person it opened (``?person=``)."""
    at.session_state["registry_table"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    return opened(at)


def opened(at) -> int:
    """The id of the person whose record the page shows (its ``?person=`` query parameter)."""
    value = at.query_params["person"]
    return int(value[0] if isinstance(value, list) else value)
