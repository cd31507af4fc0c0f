"""Signing in, half-way: between the right password and the second factor (or its enrolment).

Nobody is signed in until every step is done: no session row exists after
the password alone. The half-way state lives in the staff realm's signed
pre-session cookie (``oncall.pre``) and holds the account id, when the
password was accepted, where to go next, and a tag derived from the
account's current password hash.

The tag is what a forger lacks: ``SECRET_KEY`` alone signs a cookie naming
any account, but the tag needs that account's Argon2 hash (salted, only in
the database), so a forged half-way state names nobody. It also dies with a
password change. The state lasts ``STEP_LIFETIME``; the sign-in finishes with
``sessions.begin`` (a fresh id, a fresh CSRF token) and records who and how.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, flash, redirect, session, url_for
from werkzeug.wrappers import Response

from ... import clock, messages
from ...extensions import db
from ...models import Admin
from ...security import sessions
from ...web import requester
from ..identity import ADMIN_KEY, SECOND_FACTOR, VERIFIED_AT
from . import accounts, factors

HALF_WAY = "staff.signing_in"
STEP_LIFETIME = timedelta(minutes=15)


@dataclass(frozen=True)
class HalfWay:
    """A sign-in waiting for its second factor (``enrol``: for its first one to be set up)."""

    admin: Admin
    enrol: bool
    next_path: str | None


def _tag(admin: Admin) -> str:
    return hashlib.sha256(f"staff.half-way\n{admin.password_hash}".encode()).hexdigest()


def after_password(admin: Admin, next_path: str | None) -> Response:
    """Go on after a right password: ask for the second factor, have one set up, or sign in."""
    if factors.has_second_factor(admin):
        accounts.record_password_accepted(admin, requester())
        _hold(admin, enrol=False, next_path=next_path)
        return redirect(url_for("admin.second_factor"), 303)
    if current_app.config["STAFF_REQUIRE_MFA"]:
        accounts.record_password_accepted(admin, requester())
        _hold(admin, enrol=True, next_path=next_path)
        flash(messages.MFA_REQUIRED, "info")
        return redirect(url_for("admin.setup_totp"), 303)
    finish(admin, None)
    return redirect(next_path or url_for("admin.index"), 303)


def _hold(admin: Admin, *, enrol: bool, next_path: str | None) -> None:
    session[HALF_WAY] = {
        "id": admin.id,
        "tag": _tag(admin),
        "at": int(clock.now().timestamp()),
        "enrol": enrol,
        "next": next_path,
    }


def half_way() -> HalfWay | None:
    """Return this browser's sign-in in progress, if it is still good."""
    state = session.get(HALF_WAY)
    if not isinstance(state, dict):
        return None
    admin_id, tag, at = state.get("id"), state.get("tag"), state.get("at")
    if not isinstance(admin_id, int) or not isinstance(tag, str) or not isinstance(at, int):
        return None
    if clock.now().timestamp() - at > STEP_LIFETIME.total_seconds():
        return None
    admin = db.session.get(Admin, admin_id)
    if admin is None or not admin.is_active or admin.password_hash is None:
        return None
    if not hmac.compare_digest(_tag(admin), tag):
        return None
    next_path = state.get("next")
    return HalfWay(
        admin, bool(state.get("enrol")), next_path if isinstance(next_path, str) else None
    )


def forget() -> None:
    """Drop the sign-in in progress (it expired, or its account can no longer sign in)."""
    session.pop(HALF_WAY, None)


def finish(admin: Admin, second_factor: str | None) -> None:
    """Sign ``admin`` in on this browser: record it, then a brand-new session (and CSRF token)."""
    accounts.complete_sign_in(admin, requester(), second_factor)
    sessions.begin(
        session,
        identity_key=ADMIN_KEY,
        identity=admin.id,
        lifetime=current_app.config["STAFF_SESSION_LIFETIME"],
    )
    session[VERIFIED_AT] = int(clock.now().timestamp())
    session[SECOND_FACTOR] = second_factor


def expired() -> Response:
    """Send a browser whose sign-in in progress is gone back to the login page."""
    forget()
    flash(messages.SIGN_IN_STEP_EXPIRED, "info")
    return redirect(url_for("admin.login"), 303)
