"""Staff accounts behind the views: create, sign in, sign out, reset a password.

Signing in answers the same for an unknown email, an inactive account and a
wrong password, and spends the same Argon2 time on each. Attempts are counted
before the password is checked (``limits.hit_staff_login``): per device for a
browser the admin has signed in with before (its device cookie), otherwise
per IP and per account; a right password takes its count back. So guesses
from anywhere else never lock an admin out of their usual browser, and
simultaneous guesses never get past a limit.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ... import clock, outbox
from ...extensions import db
from ...models import Admin, StaffSession
from ...partners import InvalidEmail, canonical_email
from ...security import limits, passwords, sessions, tokens
from ...security.audit import Requester, Severity, record, record_refusal
from ...security.purposes import Purpose
from ...security.sessions import DeviceClaim


class AccountError(Exception):
    """A staff account action that cannot be done, with the reason in words."""


class AdminExists(AccountError):
    pass


class LoginFailed(AccountError):
    """Wrong email or wrong password: deliberately one error for both."""


class LoginThrottled(AccountError):
    def __init__(self, retry_after: timedelta) -> None:
        super().__init__("too many failed attempts")
        self.retry_after = retry_after


def find_admin(email: str) -> Admin | None:
    """Return the admin with this (canonical) email, if any."""
    return db.session.scalar(select(Admin).where(Admin.email == email))


def create_admin(raw_email: str, password: str, requester: Requester) -> Admin:
    """Create an active admin; raise InvalidEmail, WeakPassword or AdminExists."""
    email = canonical_email(raw_email)
    if find_admin(email) is not None:
        raise AdminExists(f"A staff account with the email {email} already exists.")
    admin = Admin(
        email=email,
        password_hash=passwords.hash_password(password),
        is_active=True,
        created_at=clock.now(),
    )
    db.session.add(admin)
    db.session.flush()
    record("admin.created", requester, admin_id=admin.id, email=email)
    db.session.commit()
    return admin


def _login_key(raw_email: str) -> str:
    try:
        return canonical_email(raw_email)
    except InvalidEmail:
        return (raw_email or "").strip().lower()


def authenticate(
    raw_email: str, password: str, requester: Requester, device: DeviceClaim | None = None
) -> Admin:
    """Return the admin whose email and password these are; raise LoginFailed or LoginThrottled.

    ``device`` is what the browser's device cookie claims; it only decides
    which counter the attempt is charged to.
    """
    email = _login_key(raw_email)
    admin = find_admin(email)
    known_device = device.for_identity(admin.id if admin else None) if device else None
    # Counted (and committed) before any password work: of simultaneous
    # guesses, exactly the limit get an answer, and a refused one costs no
    # Argon2 time. Committing here also keeps the database's write lock out
    # of the slow hash.
    throttled = limits.hit_staff_login(email, requester.ip_address, known_device)
    if throttled is not None:
        record_refusal(
            "admin.login.throttled",
            requester,
            throttled,
            admin_id=admin.id if admin else None,
            email=email[:320] or None,
        )
        db.session.commit()
        raise LoginThrottled(throttled.retry_after)
    db.session.commit()

    if admin is None or not admin.is_active:
        passwords.spend_verify_time(password)
        is_valid = False
    else:
        is_valid = passwords.verify_password(admin.password_hash, password)

    if not is_valid:
        reason = "unknown_email" if admin is None else "inactive" if not admin.is_active else None
        _record_failure(email, admin, requester, reason or "wrong_password", known_device)
        db.session.commit()
        raise LoginFailed("wrong email or password")

    assert admin is not None
    limits.forgive_staff_login(email, requester.ip_address, known_device)
    if passwords.needs_rehash(admin.password_hash):
        admin.password_hash = passwords.hash_password(password)
    admin.last_login_at = clock.now()
    record(
        "admin.login",
        requester,
        admin_id=admin.id,
        email=admin.email,
        details={"known_device": known_device is not None},
    )
    db.session.commit()
    return admin


def _record_failure(
    email: str, admin: Admin | None, requester: Requester, reason: str, known_device: str | None
) -> None:
    record(
        "admin.login.failed",
        requester,
        severity=Severity.WARNING,
        admin_id=admin.id if admin else None,
        email=email[:320] or None,
        details={"reason": reason, "known_device": known_device is not None},
    )


def record_logout(admin: Admin, requester: Requester) -> None:
    """Audit a sign-out."""
    record("admin.logout", requester, admin_id=admin.id, email=admin.email)
    db.session.commit()


def reset_lifetime() -> timedelta:
    """Return how long a password reset link lives."""
    return current_app.config["MAGIC_LINK_LIFETIMES"][Purpose.PASSWORD_RESET]


def request_password_reset(raw_email: str, requester: Requester) -> None:
    """Email a reset link if the address is an active admin's (and not over its limit).

    Whatever happens, the caller shows the same answer.
    """
    email = canonical_email(raw_email)
    admin = find_admin(email)
    # The IP first: an IP over its limit never counts the address, so spraying
    # addresses from one IP cannot lock real accounts out of their resets.
    throttled = limits.hit_staff_reset(email, requester.ip_address)
    if throttled is not None:
        record_refusal(
            "admin.password_reset.throttled",
            requester,
            throttled,
            admin_id=admin.id if admin else None,
            email=email,
        )
        db.session.commit()
        return
    # Known or not, the same work: an audit entry and an outbox job. The worker
    # sends only to an active admin, minting the link as it sends.
    is_known = admin is not None and admin.is_active
    job_id = outbox.enqueue(
        "admin_password_reset", email, requester, purpose=Purpose.PASSWORD_RESET.value
    )
    record(
        "admin.password_reset.requested",
        requester,
        severity=Severity.INFO if is_known else Severity.WARNING,
        admin_id=admin.id if admin else None,
        email=email,
        details={
            "queued": True,
            "outbox_job_id": job_id,
            "reason": None if is_known else ("inactive" if admin else "unknown_email"),
        },
    )
    db.session.commit()


def reset_password(ref: tokens.LinkRef, password: str, requester: Requester) -> Admin:
    """Spend a reset link, set the new password and end every session of the admin."""
    token = tokens.redeem_token(ref, Purpose.PASSWORD_RESET)
    admin = token.admin
    if admin is None:
        raise tokens.UserNotFound(token)
    admin.password_hash = passwords.hash_password(password)
    # Whoever knew the old password (or holds an old session) is out now.
    ended = sessions.end_all(StaffSession, StaffSession.admin_id, admin.id)
    revoked = tokens.revoke_tokens(admin_id=admin.id, purpose=Purpose.PASSWORD_RESET)
    limits.clear_staff_login(admin.email)
    record(
        "admin.password_reset",
        requester,
        severity=Severity.WARNING,
        admin_id=admin.id,
        email=admin.email,
        details={"token_id": token.id, "sessions_ended": ended, "links_revoked": revoked},
    )
    db.session.commit()
    return admin
