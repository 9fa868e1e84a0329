"""Accounts, passwords, lockout and the signed-in user.

Accounts live in ``core_user`` with bcrypt hashes. Sign-in itself (the form and the cookie) is
streamlit-authenticator's, driven by ``dashboard/shell.py`` with credentials built here.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from functools import cache

import bcrypt
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.audit import Actor, record
from core.counties import load_counties
from core.db import utcnow
from core.models import ROLES, LoginFailure, User

LOCK_THRESHOLD = 5
LOCK_WINDOW = dt.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_BYTES = 72  # bcrypt refuses longer passwords
DISPLAY_NAME_LENGTH = User.__table__.c.display_name.type.length
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,31}$")


class AccountError(ValueError):
    """Input for an account was refused; the message is Chinese and meant for the user."""


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in user as pages see it. ``county_code`` None: the whole city."""

    username: str
    display_name: str
    role: str
    county_code: str | None

    @property
    def actor(self) -> Actor:
        return Actor(self.username, self.role, self.county_code)

    def visible_counties(self) -> tuple[str, ...] | None:
        """The counties whose records this user may see: None means all of them."""
        return None if self.county_code is None else (self.county_code,)


def hash_password(password: str) -> str:
    check_password_rules(password)
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def check_password(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode(), hashed.encode())
    except ValueError:
        return False


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符")
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise AccountError(f"密码不能超过 {MAX_PASSWORD_BYTES} 字节")


def _check_fields(role: str, county_code: str | None) -> None:
    if role not in ROLES:
        raise AccountError(f"未知角色 {role}，可选：{'、'.join(ROLES)}")
    if county_code is not None and county_code not in {c.code for c in load_counties()}:
        raise AccountError(f"未知区县代码 {county_code}")


def create_user(session: Session, username: str, display_name: str, role: str,
                county_code: str | None, password: str) -> User:
    """Create an account (audited). Raises AccountError with a Chinese message."""
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise AccountError("用户名须为 3–32 位小写字母、数字、点、下划线或短横线，并以字母或数字开头")
    if not display_name.strip():
        raise AccountError("请填写姓名")
    if len(display_name.strip()) > DISPLAY_NAME_LENGTH:
        raise AccountError(f"姓名不能超过 {DISPLAY_NAME_LENGTH} 个字")
    _check_fields(role, county_code)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"用户名 {username} 已存在")
    user = User(username=username, display_name=display_name.strip(), role=role,
                county_code=county_code, password_hash=hash_password(password), disabled=False)
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise AccountError(f"用户 {username} 不存在")
    return user


def set_password(session: Session, username: str, password: str) -> None:
    """Set a new password and lift any lockout (audited, the hash itself never)."""
    user = get_user(session, username)
    user.password_hash = hash_password(password)
    clear_failures(session, user.username)
    session.flush()


def change_own_password(session: Session, username: str, old: str, new: str) -> None:
    user = get_user(session, username)
    if not check_password(old, user.password_hash):
        raise AccountError("原密码不正确")
    if old == new:
        raise AccountError("新密码不能与原密码相同")
    set_password(session, username, new)


def update_user(session: Session, username: str, *, role: str | None = None,
                county_code: str | None | type[Ellipsis] = ..., display_name: str | None = None,
                disabled: bool | None = None) -> User:
    """Change an account's role, county, name or disabled flag (audited)."""
    user = get_user(session, username)
    new_role = role if role is not None else user.role
    new_county = user.county_code if county_code is ... else county_code
    _check_fields(new_role, new_county)
    actor = session.info.get("actor")
    if actor is not None and actor.username == user.username and (
            disabled or new_role != "admin" and user.role == "admin"):
        raise AccountError("不能停用自己的账户或取消自己的管理员角色")
    user.role, user.county_code = new_role, new_county
    if display_name is not None:
        user.display_name = display_name.strip() or user.display_name
    if disabled is not None:
        user.disabled = disabled
    session.flush()
    return user


def load_current_user(session: Session, username: str) -> CurrentUser | None:
    """The signed-in user from the database, or None when the account is gone or disabled."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or user.disabled:
        return None
    return CurrentUser(user.username, user.display_name, user.role, user.county_code)


# --- lockout -----------------------------------------------------------------------------


def _lock_end(times: list[dt.datetime]) -> dt.datetime | None:
    """The end of the latest lock among sorted failure times: a lock starts at any failure that
    is the LOCK_THRESHOLD-th within LOCK_WINDOW, and lasts LOCK_WINDOW from then."""
    ends = [times[i] + LOCK_WINDOW for i in range(LOCK_THRESHOLD - 1, len(times))
            if times[i] - times[i - LOCK_THRESHOLD + 1] <= LOCK_WINDOW]
    return max(ends, default=None)


def locked_until(session: Session, username: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the account's lock ends, or None when it is not locked at ``now``."""
    now = now or utcnow()
    times = session.scalars(
        select(LoginFailure.at).where(LoginFailure.username == username)
        .where(LoginFailure.at > now - 2 * LOCK_WINDOW).where(LoginFailure.at <= now)
        .order_by(LoginFailure.at)
    ).all()
    end = _lock_end(list(times))
    return end if end is not None and end > now else None


def record_failure(session: Session, username: str) -> dt.datetime | None:
    """Count a failed sign-in (audited); return the lock's end if this one locked the account."""
    session.add(LoginFailure(username=username, at=utcnow()))
    session.flush()
    until = locked_until(session, username)
    record(session, "login_failed", table="core_user", row_id=username,
           summary="登录失败" + ("，账户已锁定 15 分钟" if until else ""))
    return until


def clear_failures(session: Session, username: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))


@cache
def _unmatchable_hash() -> str:
    # A real bcrypt hash of a secret nobody knows: a locked account stays in the credentials so
    # the attempt is seen (and answered "locked") but no password can match it.
    return bcrypt.hashpw(secrets.token_bytes(32), bcrypt.gensalt(rounds=4)).decode()


def authenticator_credentials(session: Session) -> tuple[dict, set[str]]:
    """Credentials for streamlit-authenticator, and the usernames currently locked.

    Disabled accounts are left out; locked ones get a hash no password matches.
    """
    now = utcnow()
    candidates = session.scalars(
        select(LoginFailure.username).where(LoginFailure.at > now - 2 * LOCK_WINDOW)
        .group_by(LoginFailure.username).having(func.count() >= LOCK_THRESHOLD)
    ).all()
    locked = {name for name in candidates if locked_until(session, name, now)}
    users = session.scalars(select(User).where(User.disabled.is_(False))).all()
    creds = {"usernames": {
        u.username: {
            "name": u.display_name,
            "password": _unmatchable_hash() if u.username in locked else u.password_hash,
            "roles": [u.role],
            "email": None,
        } for u in users
    }}
    return creds, locked
