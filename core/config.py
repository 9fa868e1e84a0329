"""Settings read from environment variables, with safe defaults.

| variable | default | meaning |
| --- | --- | --- |
| JIANGXIN_DATABASE_URL | sqlite:///var/jiangxin.db | SQLAlchemy URL; postgresql+psycopg://... for a shared server |
| JIANGXIN_PLUGIN_PATH | (none) | folders of drop-in plugins, separated by ":" |
| JIANGXIN_DISABLED_PLUGINS | (none) | plugin names not to load, separated by "," |
| JIANGXIN_COOKIE_KEY | (none) | secret for the sign-in cookie, at least 32 characters |
| JIANGXIN_DEMO | 0 | 1 = demo mode: a generated cookie key is allowed |
| JIANGXIN_COUNTIES_FILE | (built-in Hangzhou list) | CSV file with a header ``code,name`` |
| JIANGXIN_STRICT_PLUGINS | 0 | 1 = a plugin that fails to load stops start-up (CI) |
| JIANGXIN_VAR_DIR | ./var | where the SQLite file and the demo cookie key live |
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

MIN_COOKIE_KEY_LENGTH = 32
# Keys that appear in docs and examples: refusing them keeps a copy-pasted key out of production.
KNOWN_PLACEHOLDER_KEYS = frozenset({"", "some_key", "change-me", "changeme", "secret"})


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

    def require_cookie_key(self) -> str:
        """Return the cookie key, or raise ConfigError when it is missing or weak.

        In demo mode a random key is generated once and kept in ``var/``.
        """
        key = self.cookie_key or ""
        if key and key not in KNOWN_PLACEHOLDER_KEYS and len(key) >= MIN_COOKIE_KEY_LENGTH:
            return key
        if self.demo:
            return _demo_cookie_key(self.var_dir)
        raise ConfigError(
            "JIANGXIN_COOKIE_KEY must be set to a random secret of at least "
            f"{MIN_COOKIE_KEY_LENGTH} characters (e.g. `python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'`); only the demo (JIANGXIN_DEMO=1) runs without one."
        )


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


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
    )
