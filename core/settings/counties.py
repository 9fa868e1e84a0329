"""Counties (区县) are configuration: the Hangzhou list by default, or a CSV file.

Plugins use :func:`load_counties` for choices and :func:`county_name` for labels.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Callable
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


def _file() -> Path:
    """The deployment's county list: JIANGXIN_COUNTIES_FILE, or the Hangzhou list."""
    return load_settings().counties_file or DEFAULT_FILE


DEFAULT_CITY = "杭州市"  # the city of the built-in county list


def city_name() -> str:
    """The city's name for titles (杭州市 2026 年度工作报告): JIANGXIN_CITY_NAME; without it,
    杭州市 for the built-in Hangzhou list, and 全市 for a county list of another city's."""
    settings = load_settings()
    if settings.city_name:
        return settings.city_name
    return DEFAULT_CITY if settings.counties_file is None else "全市"


def load_counties() -> tuple[County, ...]:
    """All counties of this deployment, in file order."""
    return _read(_file())


def county_name(code: str | None) -> str:
    """The county's name for a code; "全市" for None or "" (whole city); else the code itself."""
    if not code:
        return "全市"
    return county_names().get(code, code)


def county_names() -> dict[str, str]:
    """Code -> name, for labelling many rows at once (read the settings once, not per row)."""
    return _names(_file())


@lru_cache(maxsize=8)
def _names(path: Path) -> dict[str, str]:
    return {c.code: c.name for c in _read(path)}


def county_lookup() -> dict[str, str]:
    """Code, name and short name -> code, for reading counties as staff write them: 330182,
    建德市, and 建德 (the name without 区/县/市) when no other county shortens to it."""
    return _forms(_file())[0]


# what a county's name ends with, longest first: 建德市 is written 建德, 淳安县 淳安
NAME_SUFFIXES = ("自治县", "自治旗", "林区", "特区", "新区", "区", "县", "市", "旗")
# what may stand before a county's name: its province and city (浙江省杭州市建德市)
PLACE_PREFIX = re.compile(r"^(?:.{2,}?(?:省|自治区))?(?:.{2,}?(?:市|自治州|州|盟|地区))?$")


def short_name(name: str) -> str | None:
    """建德 for 建德市: the name without its last 区, 县 or 市, when two characters or more remain."""
    for suffix in NAME_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


@lru_cache(maxsize=8)
def _forms(path: Path) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """(every unambiguous form -> code, each ambiguous short name -> its counties' codes)."""
    found: dict[str, str] = {}
    for c in _read(path):
        found[c.code] = found[c.name] = c.code
    shorts: dict[str, list[str]] = {}
    for c in _read(path):
        short = short_name(c.name)
        if short and short not in found:  # a full name wins over another county's short one
            shorts.setdefault(short, []).append(c.code)
    ambiguous = {}
    for short, codes in shorts.items():
        if len(codes) == 1:
            found[short] = codes[0]
        else:
            ambiguous[short] = tuple(codes)
    return found, ambiguous


def county_candidates(text: str) -> tuple[str, ...]:
    """The codes of every county ``text`` may name, as staff write it: a code, a name, a short
    name (建德), or a name after its city or province (杭州市建德市, 浙江省杭州市建德). One code:
    it names that county; several: it is ambiguous; none: no county of this deployment."""
    return _candidates(_file(), text)


def county_finder() -> Callable[[str], tuple[str, ...]]:
    """``county_candidates`` bound to the deployment's county list, for an import to look the
    list up once rather than per cell."""
    return functools.partial(_candidates, _file())


@lru_cache(maxsize=4096)  # a spreadsheet repeats the same few spellings in every row
def _candidates(path: Path, text: str) -> tuple[str, ...]:
    found, ambiguous = _forms(path)
    text = "".join(text.split())  # 杭州市 建德市
    if text in found:
        return (found[text],)
    if text in ambiguous:
        return ambiguous[text]
    names = {c.code: c.name for c in _read(path)}
    codes: list[str] = []
    for form, matches in [*((f, (c,)) for f, c in found.items() if f != c), *ambiguous.items()]:
        if form in names:  # a code: never after a place name
            continue
        if len(text) > len(form) and text.endswith(form) and PLACE_PREFIX.match(text[: -len(form)]):
            codes.extend(c for c in matches if c not in codes)
    return tuple(codes)


def resolve_county(value: str) -> str | None:
    """A county code from a code or a name (as staff write it in spreadsheets), else None."""
    found = county_candidates(value.strip())
    return found[0] if len(found) == 1 else None
