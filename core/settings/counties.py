"""Counties (区县) are configuration: the Hangzhou list by default, or a CSV file.

Plugins use :func:`load_counties` for choices and :func:`county_name` for labels.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core.settings.config import ConfigError, load_settings

DEFAULT_FILE = Path(__file__).with_name("counties.csv")


@dataclass(frozen=True)
class County:
    code: str
    name: str


@lru_cache(maxsize=8)
def _read(path: Path) -> tuple[County, ...]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = [County(r["code"].strip(), r["name"].strip()) for r in csv.DictReader(fh)]
    except (OSError, KeyError) as exc:
        raise ConfigError(f"cannot read counties file {path}: needs a header 'code,name' ({exc})") from exc
    if not rows or len({c.code for c in rows}) != len(rows):
        raise ConfigError(f"counties file {path} is empty or repeats a code")
    return tuple(rows)


def load_counties() -> tuple[County, ...]:
    """All counties of this deployment, in file order."""
    return _read(load_settings().counties_file or DEFAULT_FILE)


def county_name(code: str | None) -> str:
    """The county's name for a code; "全市" for None or "" (whole city); else the code itself."""
    if not code:
        return "全市"
    return county_names().get(code, code)


def county_names() -> dict[str, str]:
    """Code -> name, for labelling many rows at once (read the settings once, not per row)."""
    return _names(load_settings().counties_file or DEFAULT_FILE)


@lru_cache(maxsize=8)
def _names(path: Path) -> dict[str, str]:
    return {c.code: c.name for c in _read(path)}


def county_lookup() -> dict[str, str]:
    """Code and name -> code, for reading counties as staff write them."""
    return _lookup(load_settings().counties_file or DEFAULT_FILE)


@lru_cache(maxsize=8)
def _lookup(path: Path) -> dict[str, str]:
    found = {}
    for c in _read(path):
        found[c.code] = found[c.name] = c.code
    return found


def resolve_county(value: str) -> str | None:
    """A county code from a code or a name (as staff write it in spreadsheets), else None."""
    return county_lookup().get(value.strip())
