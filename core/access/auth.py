"""Accounts, passwords, lockout and the signed-in user.

Accounts live in ``core_user`` with bcrypt hashes. The password check and the lockout are here
(:func:`attempt_sign_in`); ``dashboard/shell.py`` draws the form and writes the cookie (a script
in the page, as streamlit-authenticator's component did), whose token is made and checked here
(:func:`encode_session_token`, :func:`decode_session_token`).

Every account has a **session generation** (``core_user.session_generation``), carried in the
cookie and in the session and compared with the database on every rerun: :func:`end_sessions`
increments it, which ends every session of the account and refuses every cookie issued before.
Signing out, a new password, disabling or re-enabling and a change of role or county do that.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import time
from dataclasses import dataclass

import bcrypt
import jwt
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.access.permissions import require
from core.data.audit import Actor, record
from core.data.db import session_scope, utcnow
from core.data.models import ROLES, LoginFailure, User
from core.settings.counties import load_counties

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
    # An administrator chose the password: the shell shows only dashboard/password_gate.py.
    must_change_password: bool = False

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


def _account_admin(session: Session, own: str | None = None) -> None:
    """The session's actor (``session_scope(actor)``: the users page's administrator, the command
    line's CLI_ACTOR) must hold ``core.users``, unless acting on their own account ``own``.
    Raises core.access.permissions.PermissionDenied (无权执行此操作)."""
    actor = session.info.get("actor")
    if own is not None and actor is not None and actor.username == own:
        return
    require(actor, "core.users")


def create_user(session: Session, username: str, display_name: str, role: str,
                county_code: str | None, password: str, *,
                must_change_password: bool = False) -> User:
    """Create an account (audited). Raises AccountError with a Chinese message.

    ``must_change_password``: the user must choose a password of their own at the next sign-in
    (an administrator's new account: the 用户 page, ``jiangxin users add``).
    The session's actor must hold ``core.users`` (PermissionDenied otherwise)."""
    _account_admin(session)
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
                county_code=county_code, password_hash=hash_password(password), disabled=False,
                must_change_password=must_change_password)
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise AccountError(f"用户 {username} 不存在")
    return user


def set_password(session: Session, username: str, password: str, *,
                 must_change_password: bool = False) -> None:
    """Set a new password and lift any lockout (audited, the hash itself never).

    ``must_change_password``: the user must choose their own at the next sign-in (an
    administrator's reset: the 用户 page, ``jiangxin users passwd``); False clears that.
    The session's actor must hold ``core.users`` or be the account's own user (who should come
    through change_own_password, which asks for the old password first)."""
    _account_admin(session, own=username.strip().lower())
    user = get_user(session, username)
    user.password_hash = hash_password(password)
    user.must_change_password = must_change_password
    end_sessions(user)
    clear_failures(session, user.username)
    session.flush()


def change_own_password(session: Session, username: str, old: str, new: str) -> None:
    """The user's own new password, after checking the old one (audited): the only way to
    clear ``must_change_password`` (我的账户 and dashboard/password_gate.py come here)."""
    user = get_user(session, username)
    if not check_password(old, user.password_hash):
        raise AccountError("原密码不正确")
    if old == new:
        raise AccountError("新密码不能与原密码相同")
    set_password(session, username, new, must_change_password=False)


def update_user(session: Session, username: str, *, role: str | None = None,
                county_code: str | None | type[Ellipsis] = ..., display_name: str | None = None,
                disabled: bool | None = None) -> User:
    """Change an account's role, county, name or disabled flag (audited).

    The session's actor must hold ``core.users`` (PermissionDenied otherwise)."""
    _account_admin(session)
    user = get_user(session, username)
    new_role = role if role is not None else user.role
    new_county = user.county_code if county_code is ... else county_code
    _check_fields(new_role, new_county)
    actor = session.info.get("actor")
    if actor is not None and actor.username == user.username and (
            disabled or new_role != "admin" and user.role == "admin"):
        raise AccountError("不能停用自己的账户或取消自己的管理员角色")
    if (new_role != user.role or new_county != user.county_code
            or disabled is not None and bool(disabled) != bool(user.disabled)):
        end_sessions(user)  # disabling, re-enabling, another role or county: sign in again
    user.role, user.county_code = new_role, new_county
    if display_name is not None:
        user.display_name = display_name.strip() or user.display_name
        _forget_display_name(session, user.username)
    if disabled is not None:
        user.disabled = disabled
    session.flush()
    return user


def end_sessions(user: User) -> None:
    """End every session of ``user`` and refuse every cookie issued to it so far."""
    user.session_generation = (user.session_generation or 0) + 1


def end_sessions_of(session: Session, username: str) -> None:
    """:func:`end_sessions` by username (sign-out); nothing when the account is gone."""
    user = session.scalar(select(User).where(User.username == username))
    if user is not None:
        end_sessions(user)
        session.flush()


def session_generation(session: Session, username: str) -> int | None:
    """The account's current session generation, None when there is no such account."""
    return session.scalar(select(User.session_generation).where(User.username == username))


def session_user(session: Session, username: str | None, generation: object) -> CurrentUser | None:
    """The user of a session (or cookie) of ``generation``, or None when that session has ended:
    the account is gone or disabled, or its generation moved on."""
    if not username or not isinstance(generation, int) or isinstance(generation, bool):
        return None
    user = session.scalar(select(User).where(User.username == username))
    if user is None or user.disabled or user.session_generation != generation:
        return None
    return _current(user)


def load_current_user(session: Session, username: str) -> CurrentUser | None:
    """The signed-in user from the database, or None when the account is gone or disabled."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or user.disabled:
        return None
    return _current(user)


def _current(user: User) -> CurrentUser:
    return CurrentUser(user.username, user.display_name, user.role, user.county_code,
                       bool(user.must_change_password))


# --- display names -----------------------------------------------------------------------

DISPLAY_NAME_TTL = 60.0  # seconds: another server process shows a new name after at most this
_IN_CHUNK = 500  # names per IN (…) list, well under every database's limit on parameters
_display_cache: dict[tuple[str, str], tuple[str, float]] = {}  # (database, username) -> name


def display_names(session: Session, usernames) -> dict[str, str]:
    """The display names of many accounts at once (one query for those not cached), for pages
    that show who submitted or reviewed something. Cached per database for DISPLAY_NAME_TTL
    seconds; :func:`update_user` forgets a renamed account at once. A name that is no account
    (a ``cli:…`` actor, say) maps to itself, and is never cached."""
    wanted = {name for name in usernames if name}
    database, now = _database_key(session), time.monotonic()
    found: dict[str, str] = {}
    for name in wanted:
        hit = _display_cache.get((database, name))
        if hit is not None and hit[1] > now:
            found[name] = hit[0]
    missing = sorted(wanted - found.keys())
    for start in range(0, len(missing), _IN_CHUNK):
        rows = session.execute(select(User.username, User.display_name)
                               .where(User.username.in_(missing[start:start + _IN_CHUNK])))
        for username, display_name in rows:
            found[username] = display_name
            _display_cache[(database, username)] = (display_name, now + DISPLAY_NAME_TTL)
    return {name: found.get(name, name) for name in wanted}


def _database_key(session: Session) -> str:
    return str(session.get_bind().url)


def _forget_display_name(session: Session, username: str) -> None:
    _display_cache.pop((_database_key(session), username), None)


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


def clear_failures(session: Session, username: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))


@dataclass(frozen=True)
class SignInResult:
    """What :func:`attempt_sign_in` decided. ``outcome``: ``ok``, ``wrong`` (wrong password, no
    such account or a disabled one), ``locked`` (refused unchecked: the account is locked) or
    ``locked_now`` (wrong, and this failure locked the account)."""

    outcome: str
    user: CurrentUser | None = None
    generation: int | None = None
    attempt_id: int | None = None  # the attempt's core_login_failure row (tests)


def mask_username(name: str, secret: bytes) -> str:
    """How the audit log names a typed username that matches no account: someone may have
    typed a password there. Its first 2 characters, its length and 8 hex digits of an HMAC
    keyed with a server secret, so that repeated tries of one name can be told apart without
    the log holding the text (or an unkeyed hash of it that could be guessed offline)."""
    digest = hmac.new(secret, name.encode(), hashlib.sha256).hexdigest()[:8]
    return f"{name[:2]}…({len(name)})#{digest}"


def attempt_sign_in(typed_username: str, password: str, *, secret: bytes) -> SignInResult:
    """Check a sign-in, with a lockout that holds under parallel attempts (audited).

    1. One write transaction (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: the account's row
       ``FOR UPDATE``) checks the lock and, if the account is not locked, records this attempt
       as a failure and commits. A locked account's attempts are audited and never checked.
    2. Only then is the password checked against the hash, outside any transaction.
    3. A second transaction: a right password removes this attempt's failure and those recorded
       before it; a wrong one keeps its failure (recording it again if a concurrent success
       removed it) and says whether the account is now locked.

    So at most ``LOCK_THRESHOLD`` attempts in ``LOCK_WINDOW`` are ever checked against the hash,
    however many arrive at once. ``secret`` keys :func:`mask_username`.
    """
    name = typed_username.strip().lower()
    with session_scope(Actor("anonymous", "unknown")) as session:
        user = session.scalar(select(User).where(User.username == name).with_for_update()) \
            if name else None
        if user is None or user.disabled:
            # no such account (the typed text may be a password: never stored) or a disabled one
            shown = user.username if user is not None else mask_username(name, secret)
            session.info["actor"] = Actor(shown[:64], "unknown")
            record(session, "login_failed", table="core_user", row_id=shown[:64],
                   summary="登录失败：没有这个账户或账户已停用")
            return SignInResult("wrong")
        actor = Actor(user.username, user.role, user.county_code)
        session.info["actor"] = actor
        if locked_until(session, user.username):
            record(session, "login_failed", table="core_user", row_id=user.username,
                   summary="登录失败：账户已锁定（未核对密码）")
            return SignInResult("locked")
        attempt = LoginFailure(username=user.username, at=utcnow())
        session.add(attempt)
        session.flush()
        attempt_id, hashed = attempt.id, user.password_hash
    right = check_password(password, hashed)  # after the failure is committed
    with session_scope(actor) as session:
        user = session.scalar(select(User).where(User.username == name).with_for_update())
        if right and user is not None and not user.disabled and user.password_hash == hashed:
            session.execute(delete(LoginFailure).where(LoginFailure.username == name)
                            .where(LoginFailure.id <= attempt_id))
            record(session, "login", table="core_user", row_id=name, summary="登录")
            return SignInResult("ok", _current(user), user.session_generation, attempt_id)
        if session.get(LoginFailure, attempt_id) is None:  # removed by a concurrent success
            session.add(LoginFailure(username=name, at=utcnow()))
            session.flush()
        until = locked_until(session, name)
        record(session, "login_failed", table="core_user", row_id=name,
               summary="登录失败" + ("，账户已锁定 15 分钟" if until else ""))
        return SignInResult("locked_now" if until else "wrong", attempt_id=attempt_id)


def resume_session(claims: dict) -> tuple[CurrentUser, int] | None:
    """Sign in from a checked cookie (see :func:`decode_session_token`): the user and the
    generation, audited as ``login_cookie``; None when the cookie's session has ended."""
    username, generation = claims.get("username"), claims.get("gen")
    with session_scope(Actor(str(username)[:64], "unknown")) as session:
        user = session_user(session, username, generation)
        if user is None:
            return None
        session.info["actor"] = user.actor
        record(session, "login_cookie", table="core_user", row_id=user.username,
               summary="凭登录状态恢复")
        return user, generation


# --- the cookie's token ------------------------------------------------------------------

TOKEN_ALGORITHM = "HS256"


def encode_session_token(username: str, generation: int, key: str, expires_at: float) -> str:
    """The sign-in cookie's JWT: streamlit-authenticator's claims (``username``, ``exp_date``)
    plus the session generation (``gen``) and a standard ``exp``."""
    return jwt.encode({"username": username, "exp_date": expires_at, "exp": int(expires_at),
                       "gen": generation}, key, algorithm=TOKEN_ALGORITHM)


def decode_session_token(token: object, key: str) -> dict | None:
    """The claims of a cookie made by :func:`encode_session_token` with ``key``, or None for
    anything else: expired, forged (``alg: none``, another algorithm, another key), garbage,
    or without a username and generation. Never raises: a bad cookie is no cookie."""
    if not isinstance(token, str) or not token or len(token) > 4096:
        return None
    try:
        claims = jwt.decode(token, key, algorithms=[TOKEN_ALGORITHM],
                            options={"require": ["exp", "gen", "username"]})
    except Exception:  # PyJWTError, and whatever else a malformed token raises
        return None
    exp_date = claims.get("exp_date")
    if (not isinstance(claims.get("username"), str) or isinstance(claims.get("gen"), bool)
            or not isinstance(claims.get("gen"), int)
            or not isinstance(exp_date, int | float) or exp_date <= time.time()):
        return None
    return claims
