"""Second factors of staff accounts: enrol an authenticator app, check a code, recovery codes.

A code is checked in this order, each step its own transaction:

1. **Count** the attempt against the account (``limits.hit_second_factor``)
   and commit, before any code is looked at: simultaneous guesses cannot get
   past the limit.
2. **Match** the code: a TOTP code against the steps around now that are
   later than the credential's last accepted step; a recovery code against
   the account's unused ones (Argon2id, like passwords).
3. **Spend** it with one conditional UPDATE (``last_used_step < :step``, or
   ``used_at IS NULL``): of two requests racing with the same code exactly one
   changes the row, and only that one is accepted.

Every change of a second factor (enrolled, replaced, removed, new recovery
codes) emails the account's address and ends the account's other sessions.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from ... import clock
from ...actors import Actor, record_action
from ...extensions import changed_rows, db, unit_of_work
from ...models import Admin, RecoveryCode, StaffSession, TotpCredential
from ...security import limits, passwords, sessions, totp
from ...security.audit import Requester, Severity, record, record_refusal
from ...security.limits import Throttled
from .accounts import queue_security_notice


class SecondFactorError(Exception):
    """A second-factor step that did not work, with the reason in words."""


class CodeRefused(SecondFactorError):
    """Wrong, spent, expired or malformed: deliberately one error for all."""


class CodesThrottled(SecondFactorError):
    def __init__(self, retry_after: timedelta) -> None:
        super().__init__("too many wrong codes")
        self.retry_after = retry_after


class NoEnrolment(SecondFactorError):
    """Confirming an authenticator app that was never started (or was replaced)."""


class FactorRequired(SecondFactorError):
    """Removing the only second factor while the portal requires one."""


# -- what an account has ------------------------------------------------------------


def confirmed_totp(admin: Admin) -> TotpCredential | None:
    """Return the account's authenticator app, if one is enrolled."""
    return db.session.scalar(
        select(TotpCredential)
        .where(TotpCredential.admin_id == admin.id, TotpCredential.confirmed_at.is_not(None))
        .order_by(TotpCredential.id.desc())
        .limit(1)
    )


def pending_totp(admin: Admin) -> TotpCredential | None:
    """Return the authenticator app being enrolled (shown, not yet confirmed), if any."""
    return db.session.scalar(
        select(TotpCredential)
        .where(TotpCredential.admin_id == admin.id, TotpCredential.confirmed_at.is_(None))
        .order_by(TotpCredential.id.desc())
        .limit(1)
    )


def has_second_factor(admin: Admin) -> bool:
    """Return whether the account has a second factor to sign in with."""
    return confirmed_totp(admin) is not None


def recovery_codes_left(admin: Admin) -> int:
    """Return how many unused recovery codes the account has."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.admin_id == admin.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def _keys() -> list[str | bytes]:
    """Return ``SECRET_KEY`` then its fallbacks: seal with the first, open with any."""
    return [current_app.secret_key or "", *current_app.config["SECRET_KEY_FALLBACKS"]]


def secret_of(credential: TotpCredential) -> str:
    """Return a credential's secret in clear (to show while enrolling, or to check a code)."""
    return totp.unseal(credential.secret_ciphertext, _keys())


# -- enrolment ------------------------------------------------------------------------


@unit_of_work
def start_totp_enrolment(admin: Admin) -> TotpCredential:
    """Make a fresh secret to show the account (replacing any enrolment not confirmed)."""
    db.session.execute(
        delete(TotpCredential).where(
            TotpCredential.admin_id == admin.id, TotpCredential.confirmed_at.is_(None)
        )
    )
    credential = TotpCredential(
        admin_id=admin.id,
        secret_ciphertext=totp.seal(totp.new_secret(), _keys()),
        created_at=clock.now(),
    )
    db.session.add(credential)
    db.session.flush()
    return credential


def confirm_totp(actor: Actor, admin: Admin, typed: str, keep_sid: str | None) -> list[str]:
    """Confirm the app being enrolled with its first code; return fresh recovery codes (once).

    The new app replaces the account's earlier one; ``keep_sid`` is the
    current session's id, spared when the account's other sessions end.
    """
    credential = pending_totp(admin)
    if credential is None:
        raise NoEnrolment("no enrolment to confirm")
    _check_count(admin, actor.requester)
    step = totp.matching_step(secret_of(credential), typed, clock.now(), None)
    if step is None or not _spend_step(credential.id, step):
        _record_refusal(admin, actor.requester, "totp_enrolment")
        raise CodeRefused("wrong code")
    return _enrol(actor, admin, credential, keep_sid)


@unit_of_work
def _enrol(
    actor: Actor, admin: Admin, credential: TotpCredential, keep_sid: str | None
) -> list[str]:
    replaced = changed_rows(
        delete(TotpCredential).where(
            TotpCredential.admin_id == admin.id, TotpCredential.id != credential.id
        )
    )
    credential.confirmed_at = clock.now()
    codes = _replace_recovery_codes(admin)
    ended = _after_change(actor, admin, keep_sid, "second_factor_added")
    limits.forgive_second_factor(admin.id)
    record_action(
        "second_factor.enrolled",
        actor,
        severity=Severity.WARNING,
        email=admin.email,
        details={
            "account_id": admin.id,
            "kind": "totp",
            "replaced": bool(replaced),
            "sessions_ended": ended,
        },
    )
    return codes


@unit_of_work
def regenerate_recovery_codes(actor: Actor, admin: Admin, keep_sid: str | None) -> list[str]:
    """Replace the account's recovery codes with fresh ones; return them (shown once)."""
    codes = _replace_recovery_codes(admin)
    ended = _after_change(actor, admin, keep_sid, "recovery_codes_replaced")
    record_action(
        "second_factor.recovery_codes_replaced",
        actor,
        severity=Severity.WARNING,
        email=admin.email,
        details={"account_id": admin.id, "sessions_ended": ended},
    )
    return codes


@unit_of_work
def remove_totp(actor: Actor, admin: Admin, keep_sid: str | None) -> bool:
    """Remove the account's authenticator app and recovery codes; False if it had none.

    Refused (FactorRequired) while the portal requires a second factor: the
    way to change apps is to enrol the new one, which replaces the old.
    """
    if current_app.config["STAFF_REQUIRE_MFA"]:
        raise FactorRequired("a second factor is required")
    removed = changed_rows(delete(TotpCredential).where(TotpCredential.admin_id == admin.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.admin_id == admin.id))
    if not removed:
        return False
    ended = _after_change(actor, admin, keep_sid, "second_factor_removed")
    record_action(
        "second_factor.removed",
        actor,
        severity=Severity.WARNING,
        email=admin.email,
        details={"account_id": admin.id, "kind": "totp", "sessions_ended": ended},
    )
    return True


@unit_of_work
def reset_second_factor(actor: Actor, admin: Admin) -> bool:
    """Remove an account's app and recovery codes whatever the setting (lost phone and codes).

    For the operator on the host (``flask admin reset-second-factor``): every
    session of the account ends, the address is told, and where a second
    factor is required the next sign-in goes through enrolment again.
    """
    removed = changed_rows(delete(TotpCredential).where(TotpCredential.admin_id == admin.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.admin_id == admin.id))
    if not removed:
        return False
    ended = _after_change(actor, admin, None, "second_factor_removed")
    record_action(
        "second_factor.reset",
        actor,
        severity=Severity.WARNING,
        email=admin.email,
        details={"account_id": admin.id, "sessions_ended": ended},
    )
    return True


def _replace_recovery_codes(admin: Admin) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.admin_id == admin.id))
    codes = totp.new_recovery_codes()
    now = clock.now()
    for code in codes:
        # Argon2id (salted): 50 bits are too few for a plain hash (ASVS 5.0 6.5.2).
        db.session.add(
            RecoveryCode(admin_id=admin.id, code_hash=passwords.rehash(code), created_at=now)
        )
    return [totp.display_recovery_code(code) for code in codes]


def _after_change(actor: Actor, admin: Admin, keep_sid: str | None, change: str) -> int:
    """Tell the account's address, and end its sessions but this one; return how many ended."""
    queue_security_notice(admin, actor.requester, change)
    return sessions.end_all(StaffSession, StaffSession.admin_id, admin.id, keep=keep_sid)


# -- checking a code ------------------------------------------------------------------


def verify(admin: Admin, typed: str, requester: Requester) -> str:
    """Check a second-factor code of ``admin`` and spend it; return "totp" or "recovery_code".

    Raise CodesThrottled (too many wrong codes lately) or CodeRefused.
    """
    _check_count(admin, requester)
    method = None
    if totp.is_totp_shaped(typed):
        credential = confirmed_totp(admin)
        if credential is not None:
            secret = secret_of(credential)
            step = totp.matching_step(secret, typed, clock.now(), credential.last_used_step)
            if step is not None and _spend_step(credential.id, step):
                method = "totp"
                _reseal_if_needed(credential, secret)
    elif totp.is_recovery_code_shaped(typed):
        method = _spend_recovery_code(admin, totp.normalize_recovery_code(typed))
    if method is None:
        _record_refusal(admin, requester, "wrong_code")
        raise CodeRefused("wrong code")
    _accept(admin, requester, method)
    return method


def _check_count(admin: Admin, requester: Requester) -> None:
    throttled = _count(admin, requester)
    if throttled is not None:
        raise CodesThrottled(throttled.retry_after)


@unit_of_work
def _count(admin: Admin, requester: Requester) -> Throttled | None:
    # Committed before the code is looked at (and before the caller raises).
    throttled = limits.hit_second_factor(admin.id)
    if throttled is not None:
        record_refusal(
            "admin.second_factor.throttled",
            requester,
            throttled,
            admin_id=admin.id,
            email=admin.email,
        )
    return throttled


@unit_of_work
def _spend_step(credential_id: int, step: int) -> bool:
    """Accept TOTP ``step`` on a credential once: True for exactly one of any racing requests."""
    return (
        changed_rows(
            update(TotpCredential)
            .where(
                TotpCredential.id == credential_id,
                (TotpCredential.last_used_step.is_(None)) | (TotpCredential.last_used_step < step),
            )
            .values(last_used_step=step)
            .execution_options(synchronize_session=False)
        )
        == 1
    )


@unit_of_work
def _spend_recovery_code(admin: Admin, code: str) -> str | None:
    unused = db.session.scalars(
        select(RecoveryCode).where(
            RecoveryCode.admin_id == admin.id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    for candidate in unused:
        if passwords.verify_password(candidate.code_hash, code):
            spent = changed_rows(
                update(RecoveryCode)
                .where(RecoveryCode.id == candidate.id, RecoveryCode.used_at.is_(None))
                .values(used_at=clock.now())
                .execution_options(synchronize_session=False)
            )
            return "recovery_code" if spent == 1 else None
    return None


@unit_of_work
def _reseal_if_needed(credential: TotpCredential, secret: str) -> None:
    keys = _keys()
    if totp.needs_reseal(credential.secret_ciphertext, keys):
        credential.secret_ciphertext = totp.seal(secret, keys)


@unit_of_work
def _record_refusal(admin: Admin, requester: Requester, reason: str) -> None:
    record(
        "admin.second_factor.failed",
        requester,
        severity=Severity.WARNING,
        admin_id=admin.id,
        email=admin.email,
        details={"reason": reason},
    )


@unit_of_work
def _accept(admin: Admin, requester: Requester, method: str) -> None:
    limits.forgive_second_factor(admin.id)
    if method == "recovery_code":
        record(
            "admin.second_factor.recovery_code_used",
            requester,
            severity=Severity.WARNING,
            admin_id=admin.id,
            email=admin.email,
            details={"left": recovery_codes_left(admin)},
        )


# -- keys ------------------------------------------------------------------------------


@unit_of_work
def reseal_all() -> int:
    """Encrypt every stored TOTP secret under the current key; return how many were re-sealed.

    Run before dropping a key from ``SECRET_KEY_FALLBACKS``: a secret sealed
    under a dropped key could no longer be read.
    """
    keys = _keys()
    count = 0
    for credential in db.session.scalars(select(TotpCredential)).all():
        if totp.needs_reseal(credential.secret_ciphertext, keys):
            credential.secret_ciphertext = totp.seal(
                totp.unseal(credential.secret_ciphertext, keys), keys
            )
            count += 1
    return count
