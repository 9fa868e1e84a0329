"""Sessions that end when they should, cookies that cannot be forged, a lockout that holds
under parallel attempts (issue #9 part 5). The browser half is in tests/test_browser.py."""

from __future__ import annotations

import base64
import json
import threading
import time
import warnings

import jwt
import pytest
from sqlalchemy import func, select

from core.access import auth
from core.data.audit import Actor
from core.data.db import read_session, session_scope
from core.data.models import AuditEntry, LoginFailure
from tests.helpers import COOKIE_KEY, PASSWORD

SECRET = COOKIE_KEY.encode()


def cookie_of(username: str) -> str:
    """A cookie as the dashboard sets it for a session of ``username`` signed in now."""
    with read_session() as s:
        generation = auth.session_generation(s, username)
    return auth.encode_session_token(username, generation, COOKIE_KEY, time.time() + 3600)


def resumes(token: str) -> bool:
    claims = auth.decode_session_token(token, COOKIE_KEY)
    return claims is not None and auth.resume_session(claims) is not None


def _as_admin(change):
    with session_scope(Actor("admin", "admin")) as s:
        change(s)


EVENTS = {
    "sign-out": lambda s: auth.end_sessions_of(s, "staff_jd"),
    "admin password reset": lambda s: auth.set_password(s, "staff_jd", "another-pass-1"),
    "own password change": lambda s: auth.change_own_password(s, "staff_jd", PASSWORD,
                                                              "another-pass-1"),
    "disabling": lambda s: auth.update_user(s, "staff_jd", disabled=True),
    "role change": lambda s: auth.update_user(s, "staff_jd", role="reviewer"),
    "county change": lambda s: auth.update_user(s, "staff_jd", county_code="330127"),
}


@pytest.mark.parametrize("event", EVENTS)
def test_a_cookie_taken_before_a_session_ending_event_is_refused_after_it(sqlite_db, event):
    cookie = cookie_of("staff_jd")
    with read_session() as s:
        generation = auth.session_generation(s, "staff_jd")
    assert resumes(cookie)
    _as_admin(EVENTS[event])
    assert not resumes(cookie)
    with read_session() as s:  # and a session open in a browser ends at its next rerun
        assert auth.session_user(s, "staff_jd", generation) is None


def test_re_enabling_an_account_does_not_revive_its_old_cookies(sqlite_db):
    cookie = cookie_of("staff_jd")
    _as_admin(lambda s: auth.update_user(s, "staff_jd", disabled=True))
    _as_admin(lambda s: auth.update_user(s, "staff_jd", disabled=False))
    assert not resumes(cookie)
    assert resumes(cookie_of("staff_jd"))  # a cookie of the new generation is fine


def test_the_cli_passwd_ends_sessions(sqlite_db, monkeypatch):
    from core.cli import main

    cookie = cookie_of("staff_jd")
    assert main(["users", "passwd", "staff_jd", "--password", "another-pass-1"]) == 0
    assert not resumes(cookie)


def test_a_change_of_display_name_alone_ends_no_session(sqlite_db):
    cookie = cookie_of("staff_jd")
    _as_admin(lambda s: auth.update_user(s, "staff_jd", display_name="新名字"))
    assert resumes(cookie)


def test_a_session_resumed_from_a_cookie_is_audited(sqlite_db):
    assert resumes(cookie_of("staff_jd"))
    with read_session() as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.actor, entry.row_id) == ("login_cookie", "staff_jd", "staff_jd")
    from core.data.audit import ACTION_LABELS
    assert ACTION_LABELS["login_cookie"] == "凭登录状态恢复"


def _b64(part: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def _hs512(claims: dict) -> str:
    with warnings.catch_warnings():  # (PyJWT finds the key short for HS512)
        warnings.simplefilter("ignore")
        return jwt.encode(claims, COOKIE_KEY, algorithm="HS512")


def forged_tokens() -> dict[str, str]:
    claims = {"username": "admin", "exp_date": time.time() + 3600,
              "exp": int(time.time() + 3600), "gen": 0}
    return {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "HS512": _hs512(claims),
        "wrong key": jwt.encode(claims, "another-key-" + "x" * 40, algorithm="HS256"),
        "garbage": "not.a.jwt",
        "bad base64": "%%%.%%%.%%%",
        "expired": auth.encode_session_token("admin", 0, COOKIE_KEY, time.time() - 1),
        "no generation": jwt.encode({k: v for k, v in claims.items() if k != "gen"},
                                    COOKIE_KEY, algorithm="HS256"),
        "generation not a number": jwt.encode({**claims, "gen": "0"}, COOKIE_KEY,
                                              algorithm="HS256"),
    }


@pytest.mark.parametrize("kind", list(forged_tokens()))
def test_forged_or_malformed_cookies_are_no_cookie(kind):
    assert auth.decode_session_token(forged_tokens()[kind], COOKIE_KEY) is None


def test_a_valid_token_decodes():
    token = auth.encode_session_token("admin", 3, COOKIE_KEY, time.time() + 60)
    claims = auth.decode_session_token(token, COOKIE_KEY)
    assert (claims["username"], claims["gen"]) == ("admin", 3)


# --- lockout ---------------------------------------------------------------------------------


def _count_checks(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = auth.check_password

    def counting(password, hashed):
        calls.append(1)
        return real(password, hashed)

    monkeypatch.setattr(auth, "check_password", counting)
    return calls


def _parallel(attempts: list[tuple[str, str]]) -> list[auth.SignInResult]:
    barrier = threading.Barrier(len(attempts))
    results: list = [None] * len(attempts)

    def run(i, username, password):
        barrier.wait()
        results[i] = auth.attempt_sign_in(username, password, secret=SECRET)

    threads = [threading.Thread(target=run, args=(i, *a)) for i, a in enumerate(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert all(r is not None for r in results)
    return results


def _failures(username: str) -> list[int]:
    with read_session() as s:
        return list(s.scalars(select(LoginFailure.id).where(LoginFailure.username == username)))


def test_25_wrong_attempts_at_once_check_at_most_5_and_lock(any_db, monkeypatch):
    checks = _count_checks(monkeypatch)
    results = _parallel([("staff_jd", f"wrong-{i}") for i in range(25)])
    assert len(checks) <= auth.LOCK_THRESHOLD
    outcomes = [r.outcome for r in results]
    assert outcomes.count("locked") >= 25 - auth.LOCK_THRESHOLD
    assert len(_failures("staff_jd")) == len(checks)
    with read_session() as s:
        assert auth.locked_until(s, "staff_jd") is not None
        # every attempt is audited, the ones refused unchecked during the lock too
        assert s.scalar(select(func.count()).select_from(AuditEntry)
                        .where(AuditEntry.action == "login_failed")
                        .where(AuditEntry.row_id == "staff_jd")) == 25


def test_15_attempts_at_once_one_right_check_at_most_5(any_db, monkeypatch):
    checks = _count_checks(monkeypatch)
    attempts = [("staff_jd", f"wrong-{i}") for i in range(14)]
    attempts.insert(7, ("staff_jd", PASSWORD))
    results = _parallel(attempts)
    assert len(checks) <= auth.LOCK_THRESHOLD
    ok = [r for r in results if r.outcome == "ok"]
    checked_wrong = [r for r in results if r.outcome in ("wrong", "locked_now")]
    assert len(ok) + len(checked_wrong) == len(checks)
    remaining = _failures("staff_jd")
    if ok:  # a success clears only the failures recorded before it, never a later one's
        later = [r for r in checked_wrong if r.attempt_id > ok[0].attempt_id]
        assert len(remaining) >= len(later)
    else:
        assert len(remaining) == len(checked_wrong)


def test_a_locked_account_is_never_checked_and_the_attempt_is_audited(sqlite_db, monkeypatch):
    for i in range(5):
        auth.attempt_sign_in("staff_jd", f"wrong-{i}", secret=SECRET)
    checks = _count_checks(monkeypatch)
    result = auth.attempt_sign_in("staff_jd", PASSWORD, secret=SECRET)
    assert result.outcome == "locked" and checks == []
    with read_session() as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.row_id) == ("login_failed", "staff_jd")
    assert "已锁定" in entry.summary


def test_a_success_clears_earlier_failures(sqlite_db):
    for i in range(4):
        assert auth.attempt_sign_in("staff_jd", f"wrong-{i}", secret=SECRET).outcome == "wrong"
    result = auth.attempt_sign_in("staff_jd", PASSWORD, secret=SECRET)
    assert result.outcome == "ok" and result.user.username == "staff_jd"
    assert _failures("staff_jd") == []


def test_a_wrong_attempt_whose_row_a_success_removed_still_counts(sqlite_db, monkeypatch):
    """A wrong attempt in flight while a right one succeeds keeps its failure."""
    real = auth.check_password
    done = []

    def check_then_succeed_elsewhere(password, hashed):
        if not done:
            done.append(1)
            assert auth.attempt_sign_in("staff_jd", PASSWORD, secret=SECRET).outcome == "ok"
        return real(password, hashed)

    monkeypatch.setattr(auth, "check_password", check_then_succeed_elsewhere)
    assert auth.attempt_sign_in("staff_jd", "wrong-1", secret=SECRET).outcome == "wrong"
    assert len(_failures("staff_jd")) == 1


def test_an_unknown_username_is_masked_with_a_keyed_hash():
    masked = auth.mask_username("secretpassword", SECRET)
    assert masked.startswith("se…(14)#") and "secretpassword" not in masked
    assert masked == auth.mask_username("secretpassword", SECRET)
    assert masked != auth.mask_username("secretpassword", b"another key")


# --- downloads ---------------------------------------------------------------------------------


def test_a_private_download_is_made_on_click_and_expires(monkeypatch):
    from streamlit import runtime

    from core.ui import downloads

    cleanups = threading.Event()
    calls = []

    class Manager:
        def remove_orphaned_files(self):
            calls.append(1)
            if len(calls) == 2:  # one marks the unreferenced file, the next deletes it
                cleanups.set()

    class Runtime:
        media_file_mgr = Manager()

    monkeypatch.setattr(runtime, "exists", lambda: True)
    monkeypatch.setattr(runtime, "get_instance", lambda: Runtime())
    monkeypatch.setattr(downloads, "EXPIRY_SECONDS", 0.05)
    made = []
    data = downloads.private_file(lambda: made.append(1) or b"xlsx")
    assert made == []  # nothing is made (nor stored under a URL) until the click
    assert data() == b"xlsx" and made == [1]
    assert cleanups.wait(5)


def test_exports_offer_no_file_url_until_clicked(sqlite_db):
    import streamlit as st

    from tests.helpers import signed_in_app

    try:
        at = signed_in_app("admin", page="core-audit")
        at.button[0].click().run()
        [button] = at.get("download_button")
        assert button.proto.url == "" and button.proto.deferred_file_id
    finally:  # the audit page caches its filter choices per process: leave none to other tests
        st.cache_data.clear()


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(sqlite_db):
    from tests.helpers import signed_in_app, texts

    other_cookie = cookie_of("staff_jd")  # another browser of the same account
    at = signed_in_app("staff_jd", page="core-account")
    old, new, again = at.text_input[0], at.text_input[1], at.text_input[2]
    old.input(PASSWORD)
    new.input("another-pass-1")
    again.input("another-pass-1")
    at.button(key="FormSubmitter:change_password-保存").click().run()
    assert "密码已修改" in [s.value for s in at.success]
    at.run()  # the next rerun: still signed in, with a new cookie to set
    assert at.session_state["authentication_status"]
    assert "建德工作人员" in texts(at)
    assert not resumes(other_cookie)
    assert resumes(cookie_of("staff_jd"))
