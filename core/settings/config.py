"""Settings read from environment variables, with safe defaults.

| variable | default | meaning |
| --- | --- | --- |
| JIANGXIN_DATABASE_URL | sqlite:///var/jiangxin.db | SQLAlchemy URL; postgresql+psycopg://... for a shared server |
| JIANGXIN_PLUGIN_PATH | (none) | folders of drop-in plugins, separated by ":" |
| JIANGXIN_DISABLED_PLUGINS | (none) | plugin names not to load, separated by "," |
| JIANGXIN_COOKIE_KEY | (none) | secret for the sign-in cookie, at least 32 characters |
| JIANGXIN_DEMO | 0 | 1 = demo mode: a generated cookie key is allowed |
| JIANGXIN_COUNTIES_FILE | (built-in Hangzhou list) | CSV file with a header ``code,name`` |
| JIANGXIN_CITY_NAME | 杭州市 with the built-in list, else 全市 | the city's name in titles (the yearly report) |
| JIANGXIN_STRICT_PLUGINS | 0 | 1 = a plugin that fails to load stops start-up (CI) |
| JIANGXIN_VAR_DIR | ./var | where the SQLite file, the demo cookie key and databases.json live |
| JIANGXIN_XLSX_MAX_FILE_MB | 50 | largest .xlsx accepted for import, in MB |
| JIANGXIN_XLSX_MAX_INFLATED_MB | 500 | its parts inflated, together, in MB (checked while inflating) |
| JIANGXIN_XLSX_MAX_ROWS | 200000 | last row of any worksheet |
| JIANGXIN_XLSX_MAX_COLUMNS | 200 | last column of any worksheet |
| JIANGXIN_XLSX_MAX_CELLS | 3000000 | cells of a worksheet, and its range (last row × last column) |
| JIANGXIN_TIME_ZONE | Asia/Shanghai | the users' time zone (IANA name): "today", "this year", days in filters, times shown |
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

MIN_COOKIE_KEY_LENGTH = 32
MIN_COOKIE_KEY_CHARS = 10  # distinct characters: token_urlsafe(48) has about 40
# Keys that appear in docs and examples: refusing them keeps a copy-pasted key out of production.
KNOWN_PLACEHOLDER_KEYS = frozenset({"", "some_key", "change-me", "changeme", "secret"})


DEFAULT_TIME_ZONE = "Asia/Shanghai"
MIN_UPLOAD_MB = 5  # a roster attachment (plugins/registry/changes.py MAX_ATTACHMENT_BYTES)


class ConfigError(Exception):
    """The configuration cannot work; the message says what to set."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    plugin_path: tuple[Path, ...]
    disabled_plugins: frozenset[str]
    cookie_key: str | None
    demo: bool
    counties_file: Path | None
    strict_plugins: bool
    var_dir: Path
    # spreadsheet limits, checked before an uploaded .xlsx is read (core/spreadsheet/limits.py)
    xlsx_max_file_mb: int = 50
    xlsx_max_inflated_mb: int = 500
    xlsx_max_rows: int = 200_000
    xlsx_max_columns: int = 200
    xlsx_max_cells: int = 3_000_000
    time_zone: str = DEFAULT_TIME_ZONE
    city_name: str | None = None

    @property
    def max_upload_mb(self) -> int:
        """Streamlit's server.maxUploadSize: the largest file the app accepts, a spreadsheet of
        xlsx_max_file_mb, and never below the 5 MB a roster attachment may have."""
        return max(self.xlsx_max_file_mb, MIN_UPLOAD_MB)

    def require_cookie_key(self) -> str:
        """Return the cookie key, or raise ConfigError when it is missing or weak.

        In demo mode a random key is generated once and kept in ``var/``.
        """
        key = self.cookie_key or ""
        if strong_key(key):
            return key
        if self.demo:
            return _demo_cookie_key(self.var_dir)
        raise ConfigError(
            "JIANGXIN_COOKIE_KEY must be set to a random secret of at least "
            f"{MIN_COOKIE_KEY_LENGTH} characters, {MIN_COOKIE_KEY_CHARS} of them different "
            "(e.g. `python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'`); only the demo (JIANGXIN_DEMO=1) runs without one."
        )


def strong_key(key: str) -> bool:
    """A cookie key with real entropy: long enough once spaces are dropped, not a placeholder,
    not one character repeated (40 spaces or 40 'a's sign every cookie just as well)."""
    stripped = "".join(key.split())
    return (stripped == key and key not in KNOWN_PLACEHOLDER_KEYS
            and len(key) >= MIN_COOKIE_KEY_LENGTH and len(set(key)) >= MIN_COOKIE_KEY_CHARS)


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _positive(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip().replace("_", "")
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise ConfigError(f"{name} must be a whole number of at least 1 (got {raw!r})")
    return int(raw)


def time_zone() -> ZoneInfo:
    """The users' time zone (JIANGXIN_TIME_ZONE); ConfigError when the name is unknown."""
    return _zone(os.environ.get("JIANGXIN_TIME_ZONE", "").strip() or DEFAULT_TIME_ZONE)


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ConfigError(f"JIANGXIN_TIME_ZONE must be a time zone name such as "
                          f"{DEFAULT_TIME_ZONE} (got {name!r})") from exc


def _demo_cookie_key(var_dir: Path) -> str:
    path = var_dir / "demo-cookie.key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _absolute_sqlite(url: str) -> str:
    """A relative SQLite path made absolute, so every process opens the same file."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        return prefix + str(Path(url[len(prefix):]).resolve())
    return url


def load_settings() -> Settings:
    """Read the settings from the environment (cheap; call it where needed)."""
    var_dir = Path(os.environ.get("JIANGXIN_VAR_DIR") or "var").resolve()
    url = _absolute_sqlite(os.environ.get("JIANGXIN_DATABASE_URL")
                           or f"sqlite:///{var_dir / 'jiangxin.db'}")
    raw_path = os.environ.get("JIANGXIN_PLUGIN_PATH", "")
    plugin_path = tuple(Path(p).resolve() for p in raw_path.split(os.pathsep) if p.strip())
    disabled = frozenset(
        n.strip() for n in os.environ.get("JIANGXIN_DISABLED_PLUGINS", "").split(",") if n.strip()
    )
    counties = os.environ.get("JIANGXIN_COUNTIES_FILE")
    return Settings(
        database_url=url,
        plugin_path=plugin_path,
        disabled_plugins=disabled,
        cookie_key=os.environ.get("JIANGXIN_COOKIE_KEY") or None,
        demo=_flag("JIANGXIN_DEMO"),
        counties_file=Path(counties) if counties else None,
        strict_plugins=_flag("JIANGXIN_STRICT_PLUGINS"),
        var_dir=var_dir,
        xlsx_max_file_mb=_positive("JIANGXIN_XLSX_MAX_FILE_MB", Settings.xlsx_max_file_mb),
        xlsx_max_inflated_mb=_positive("JIANGXIN_XLSX_MAX_INFLATED_MB", Settings.xlsx_max_inflated_mb),
        xlsx_max_rows=_positive("JIANGXIN_XLSX_MAX_ROWS", Settings.xlsx_max_rows),
        xlsx_max_columns=_positive("JIANGXIN_XLSX_MAX_COLUMNS", Settings.xlsx_max_columns),
        xlsx_max_cells=_positive("JIANGXIN_XLSX_MAX_CELLS", Settings.xlsx_max_cells),
        time_zone=time_zone().key,
        city_name=(os.environ.get("JIANGXIN_CITY_NAME") or "").strip() or None,
    )
