"""Staff accounts behind the views: create, invite, roles, (de)activate, sign in, reset a password.

Signing in answers the same for an unknown email, an inactive account, an
invited account without a password yet and a wrong password, and spends the
same Argon2 time on each. Attempts are counted before the password is
checked (``limits.hit_staff_login``): per device for a browser the admin has
signed in with before (its device cookie), otherwise per IP and per account;
a right password takes its count back. So guesses from anywhere else never
lock an admin out of their usual browser, and simultaneous guesses never get
past a limit.

**The last owner.** Demoting or deactivating an active owner first locks the
rows of every active owner (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite
the write itself takes the database's one write lock), then writes, then counts
the active owners left inside the same transaction, and undoes everything if
none is. Two owners demoting each other at the same moment are serialised:
the second finds itself the last owner and is refused.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from ... import clock, outbox
from ...actors import Actor, record_action
from ...extensions import db, unit_of_work
from ...models import Admin, Role, StaffSession
from ...partners import InvalidEmail, canonical_email
from ...security import limits, passwords, sessions, tokens
from ...security.audit import Requester, Severity, record, record_refusal
from ...security.limits import Throttled
from ...security.purposes import Purpose
from ...security.sessions import DeviceClaim


class AccountError(Exception):
    """A staff account action that cannot be done, with the reason in words."""


class AdminExists(AccountError):
    pass


class LastOwner(AccountError):
    """The change would leave the console without an active owner."""


class LoginFailed(AccountError):
    """Wrong email or wrong password: deliberately one error for both."""


class LoginThrottled(AccountError):
    def __init__(self, retry_after: timedelta) -> None:
        super().__init__("too many failed attempts")
        self.retry_after = retry_after


def find_admin(email: str) -> Admin | None:
    """Return the admin with this (canonical) email, if any."""
    return db.session.scalar(select(Admin).where(Admin.email == email))


def list_admins() -> list[Admin]:
    """Return every staff account, owners first, then by address."""
    order = [Role.OWNER, Role.EDITOR, Role.COMMUNICATOR, Role.VIEWER]
    admins = db.session.scalars(select(Admin).order_by(Admin.email)).all()
    return sorted(admins, key=lambda admin: (not admin.is_active, order.index(admin.role)))


def _new_account(raw_email: str) -> str:
    email = canonical_email(raw_email)
    if find_admin(email) is not None:
        raise AdminExists(f"A staff account with the email {email} already exists.")
    return email


@unit_of_work
def create_admin(raw_email: str, password: str, actor: Actor, role: Role = Role.OWNER) -> Admin:
    """Create an active admin with a password; raise InvalidEmail, WeakPassword or AdminExists."""
    email = _new_account(raw_email)
    admin = Admin(
        email=email,
        password_hash=passwords.hash_password(password, email=email),
        is_active=True,
        role=role,
        created_at=clock.now(),
    )
    db.session.add(admin)
    db.session.flush()
    record(
        "admin.created",
        actor.requester,
        admin_id=actor.admin_id or admin.id,
        email=email,
        details={"role": role.value, "account_id": admin.id, "via": actor.via},
    )
    return admin


@unit_of_work
def invite_admin(actor: Actor, raw_email: str, role: Role) -> Admin:
    """Create an account without a password and email its owner an invitation (24 hours).

    The account cannot sign in until the link's page has set a password; the
    link is minted when the mail worker sends it (``links.STAFF_INVITATION``).
    """
    email = _new_account(raw_email)
    admin = Admin(email=email, password_hash=None, is_active=True, role=role)
    db.session.add(admin)
    db.session.flush()
    job_id = _queue_invitation(admin, actor)
    record_action(
        "staff.invited",
        actor,
        email=email,
        details={"account_id": admin.id, "role": role.value, "outbox_job_id": job_id},
    )
    return admin


def _queue_invitation(admin: Admin, actor: Actor) -> int:
    tokens.revoke_tokens(admin_id=admin.id, purpose=Purpose.STAFF_INVITATION)
    return outbox.enqueue(
        "staff_invitation",
        admin.email,
        actor.requester,
        purpose=Purpose.STAFF_INVITATION.value,
        details={"admin_id": admin.id, "invited_by": actor.admin_id},
    )


def is_invited(admin: Admin) -> bool:
    """Return whether ``admin`` was invited and has not chosen a password yet."""
    return admin.password_hash is None


@unit_of_work
def reinvite_admin(actor: Actor, admin: Admin) -> bool:
    """Send a fresh invitation (the earlier one stops working); False once a password is set."""
    if not is_invited(admin) or not admin.is_active:
        return False
    job_id = _queue_invitation(admin, actor)
    record_action(
        "staff.reinvited",
        actor,
        email=admin.email,
        details={"account_id": admin.id, "outbox_job_id": job_id},
    )
    return True


def invitation_lifetime() -> timedelta:
    """Return how long a staff invitation link lives."""
    lifetime: timedelta = current_app.config["MAGIC_LINK_LIFETIMES"][Purpose.STAFF_INVITATION]
    return lifetime


# -- roles and (de)activation ----------------------------------------------------


def _lock_active_owners() -> None:
    """Lock every active owner's row until the transaction ends (PostgreSQL; SQLite: no-op).

    Taken in id order, so two transactions that both want them never deadlock.
    """
    db.session.execute(
        select(Admin.id)
        .where(Admin.role == Role.OWNER, Admin.is_active.is_(True))
        .order_by(Admin.id)
        .with_for_update()
    ).all()


def _an_owner_remains() -> None:
    """Raise :class:`LastOwner` if the written change left no active owner (the unit rolls back)."""
    db.session.flush()
    owners = db.session.scalar(
        select(func.count())
        .select_from(Admin)
        .where(Admin.role == Role.OWNER, Admin.is_active.is_(True))
    )
    if not owners:
        raise LastOwner("The console needs at least one active owner; make someone else one first.")


@unit_of_work
def set_role(actor: Actor, admin: Admin, role: Role) -> bool:
    """Give ``admin`` another role (False if unchanged); raise LastOwner for the last owner."""
    if admin.role is role:
        return False
    was_owner = admin.role is Role.OWNER and admin.is_active
    if was_owner:
        _lock_active_owners()
    previous = admin.role
    admin.role = role
    if was_owner:
        _an_owner_remains()
    record_action(
        "staff.role_changed",
        actor,
        severity=Severity.WARNING,
        email=admin.email,
        details={"account_id": admin.id, "from": previous.value, "to": role.value},
    )
    return True


@unit_of_work
def deactivate_admin(actor: Actor, admin: Admin) -> tuple[int, int]:
    """Deactivate a member of staff: their sessions and links die now; return how many of each.

    Raise LastOwner for the last active owner. A session still open ends on
    its next request (its row is gone, and the identity check refuses an
    inactive account anyway).
    """
    if not admin.is_active:
        return 0, 0
    was_owner = admin.role is Role.OWNER
    if was_owner:
        _lock_active_owners()
    admin.is_active = False
    if was_owner:
        _an_owner_remains()
    ended = sessions.end_all(StaffSession, StaffSession.admin_id, admin.id)
    revoked = tokens.revoke_tokens(admin_id=admin.id)
    record_action(
        "staff.deactivated",
        actor,
        severity=Severity.WARNING,
        email=admin.email,
        details={"account_id": admin.id, "sessions_ended": ended, "links_revoked": revoked},
    )
    return ended, revoked


@unit_of_work
def reactivate_admin(actor: Actor, admin: Admin) -> bool:
    """Let a deactivated member of staff sign in again; False if already active."""
    if admin.is_active:
        return False
    admin.is_active = True
    record_action("staff.reactivated", actor, email=admin.email, details={"account_id": admin.id})
    return True


# -- signing in --------------------------------------------------------------------


def _login_key(raw_email: str) -> str:
    try:
        return canonical_email(raw_email)
    except InvalidEmail:
        return (raw_email or "").strip().lower()


@unit_of_work
def _count_login(
    email: str, admin: Admin | None, requester: Requester, known_device: str | None
) -> Throttled | None:
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
    return throttled


def authenticate(
    raw_email: str, password: str, requester: Requester, device: DeviceClaim | None = None
) -> Admin:
    """Return the admin whose email and password these are; raise LoginFailed or LoginThrottled.

    Only the password is proved here: the caller signs in, or asks for the
    second factor first. ``device`` is what the browser's device cookie
    claims; it only decides which counter the attempt is charged to.
    """
    email = _login_key(raw_email)
    admin = find_admin(email)
    known_device = device.for_identity(admin.id if admin else None) if device else None
    throttled = _count_login(email, admin, requester, known_device)
    if throttled is not None:
        raise LoginThrottled(throttled.retry_after)

    if admin is None or not admin.is_active or admin.password_hash is None:
        passwords.spend_verify_time(password)
        is_valid = False
    else:
        is_valid = passwords.verify_password(admin.password_hash, password)

    if not is_valid:
        _record_login_failure(email, admin, requester, known_device)
        raise LoginFailed("wrong email or password")

    assert admin is not None
    _accept_password(admin, password, requester, known_device)
    return admin


@unit_of_work
def _record_login_failure(
    email: str, admin: Admin | None, requester: Requester, known_device: str | None
) -> None:
    if admin is None:
        reason = "unknown_email"
    elif not admin.is_active:
        reason = "inactive"
    elif admin.password_hash is None:
        reason = "no_password_yet"
    else:
        reason = "wrong_password"
    record(
        "admin.login.failed",
        requester,
        severity=Severity.WARNING,
        admin_id=admin.id if admin else None,
        email=email[:320] or None,
        details={"reason": reason, "known_device": known_device is not None},
    )


@unit_of_work
def _accept_password(
    admin: Admin, password: str, requester: Requester, known_device: str | None
) -> None:
    limits.forgive_staff_login(admin.email, requester.ip_address, known_device)
    if admin.password_hash is not None and passwords.needs_rehash(admin.password_hash):
        admin.password_hash = passwords.rehash(password)


@unit_of_work
def record_password_accepted(admin: Admin, requester: Requester) -> None:
    """Audit a right password whose sign-in now waits for the second factor.

    A password accepted but never followed by a second factor is worth seeing:
    someone else may know it.
    """
    record("admin.login.password_accepted", requester, admin_id=admin.id, email=admin.email)


def complete_sign_in(admin: Admin, requester: Requester, second_factor: str | None) -> None:
    """Record a finished sign-in (password, and second factor if any).

    Not a unit of its own: the session store commits it with the new session
    row, so a sign-in is recorded exactly when a session exists.
    """
    admin.last_login_at = clock.now()
    record(
        "admin.login",
        requester,
        admin_id=admin.id,
        email=admin.email,
        details={"second_factor": second_factor},
    )


@unit_of_work
def record_step_up(actor: Actor, method: str) -> None:
    """Audit a step-up: the session proved again who it is (``method``: how)."""
    record_action("step_up", actor, details={"method": method})


@unit_of_work
def record_logout(admin: Admin, requester: Requester) -> None:
    """Audit a sign-out."""
    record("admin.logout", requester, admin_id=admin.id, email=admin.email)


# -- passwords by email link ---------------------------------------------------------


def reset_lifetime() -> timedelta:
    """Return how long a password reset link lives."""
    lifetime: timedelta = current_app.config["MAGIC_LINK_LIFETIMES"][Purpose.PASSWORD_RESET]
    return lifetime


@unit_of_work
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


def _set_password(admin: Admin, password: str) -> tuple[int, int]:
    """Set a new password; end every session and outstanding password link of the account."""
    admin.password_hash = passwords.hash_password(password, email=admin.email)
    # Whoever knew the old password (or holds an old session) is out now.
    ended = sessions.end_all(StaffSession, StaffSession.admin_id, admin.id)
    revoked = tokens.revoke_tokens(admin_id=admin.id, purpose=Purpose.PASSWORD_RESET)
    revoked += tokens.revoke_tokens(admin_id=admin.id, purpose=Purpose.STAFF_INVITATION)
    limits.clear_staff_login(admin.email)
    limits.forgive_second_factor(admin.id)
    return ended, revoked


@unit_of_work
def reset_password(ref: tokens.LinkRef, password: str, requester: Requester) -> Admin:
    """Spend a reset link, set the new password, end every session and tell the account.

    The password is checked (raising WeakPassword) before the link is spent,
    so a refused password leaves the link usable.
    """
    admin = _link_admin(ref, Purpose.PASSWORD_RESET)
    passwords.check_strength(password, email=admin.email)
    token = tokens.redeem_token(ref, Purpose.PASSWORD_RESET)
    ended, revoked = _set_password(admin, password)
    queue_security_notice(admin, requester, "password_reset")
    record(
        "admin.password_reset",
        requester,
        severity=Severity.WARNING,
        admin_id=admin.id,
        email=admin.email,
        details={"token_id": token.id, "sessions_ended": ended, "links_revoked": revoked},
    )
    return admin


@unit_of_work
def accept_invitation(ref: tokens.LinkRef, password: str, requester: Requester) -> Admin:
    """Spend an invitation link and set the account's first password (WeakPassword first)."""
    admin = _link_admin(ref, Purpose.STAFF_INVITATION)
    passwords.check_strength(password, email=admin.email)
    token = tokens.redeem_token(ref, Purpose.STAFF_INVITATION)
    if not is_invited(admin):
        # A password was set meanwhile (a reset link): the invitation has done its job.
        raise tokens.LinkAlreadyUsed(token)
    _set_password(admin, password)
    record(
        "admin.staff.invitation_accepted",
        requester,
        admin_id=admin.id,
        email=admin.email,
        details={"token_id": token.id, "role": admin.role.value},
    )
    return admin


def _link_admin(ref: tokens.LinkRef, purpose: Purpose) -> Admin:
    token = tokens.get_usable_token(ref, purpose)
    if token.admin is None:
        raise tokens.UserNotFound(token)
    return token.admin


def queue_security_notice(admin: Admin, requester: Requester, change: str) -> None:
    """Queue the email that tells an account's address its password or second factor changed."""
    outbox.enqueue(
        "admin_security_notice",
        admin.email,
        requester,
        details={"admin_id": admin.id, "change": change},
    )
