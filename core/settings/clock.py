"""Time as users see it: the configured zone (JIANGXIN_TIME_ZONE, Asia/Shanghai by default).

Timestamps are stored as naive UTC (:func:`core.data.db.utcnow`); "today", "this year" and a day in a
filter are the users' local ones. Every helper reads the time through :func:`_utc_now`, so a test
freezes the whole app's clock by patching that one function::

    monkeypatch.setattr(core.settings.clock, "_utc_now", lambda: dt.datetime(2039, 12, 31, 16, 30, tzinfo=dt.UTC))
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def _utc_now() -> dt.datetime:
    """The one place the wall clock is read (an aware UTC datetime)."""
    return dt.datetime.now(dt.UTC)


def zone() -> ZoneInfo:
    """The users' time zone (JIANGXIN_TIME_ZONE)."""
    from core.settings.config import time_zone

    return time_zone()


def utcnow() -> dt.datetime:
    """Now as a naive UTC datetime, the way timestamp columns store it."""
    return _utc_now().replace(tzinfo=None)


def now_local() -> dt.datetime:
    """Now in the users' zone (aware)."""
    return _utc_now().astimezone(zone())


def today() -> dt.date:
    """The users' date today."""
    return now_local().date()


def this_year() -> int:
    return today().year


def to_local(ts: dt.datetime) -> dt.datetime:
    """A stored timestamp (naive means UTC) in the users' zone."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.UTC)
    return ts.astimezone(zone())


def to_utc(local: dt.datetime) -> dt.datetime:
    """A wall-clock time in the users' zone (naive or aware) as a stored naive UTC timestamp."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone())
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The local day ``day`` as naive UTC ``[start, end)``, to compare stored timestamps with."""
    start = dt.datetime.combine(day, dt.time())
    return to_utc(start), to_utc(start + dt.timedelta(days=1))


def local_year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The local year ``year`` as naive UTC ``[start, end)``."""
    return to_utc(dt.datetime(year, 1, 1)), to_utc(dt.datetime(year + 1, 1, 1))
