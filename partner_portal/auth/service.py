"""What signing in and out does, behind the views: links, audit, last login."""

from __future__ import annotations

import hmac
from datetime import timedelta
from functools import cache
from typing import NamedTuple

from flask import current_app
from sqlalchemy import Update, bindparam, update

from .. import clock, outbox
from ..extensions import changed_rows, db
from ..models import MagicLinkToken, Partner
from ..partners import canonical_email, standing
from ..security import limits, tokens
from ..security.audit import Requester, Severity, record, record_link_failure, record_refusal
from ..security.purposes import Purpose
from ..security.sessions import DeviceClaim


def login_lifetime() -> timedelta:
    """Return how long a login link lives."""
    lifetime: timedelta = current_app.config["MAGIC_LINK_LIFETIMES"][Purpose.LOGIN]
    return lifetime


def request_login_link(
    raw_email: str,
    requester: Requester,
    next_path: str | None,
    request_id: str | None = None,
    device: DeviceClaim | None = None,
) -> None:
    """Queue a sign-in link for an address; say nothing about whether it is registered.

    Registered, unknown and inactive addresses take exactly the same path (one
    lookup, the rate-limit counters, one audit event, one outbox job, one
    commit) and no mail is sent here, so neither the answer nor its timing
    tells them apart. The worker sends only to active partners. Unknown and
    inactive requests are flagged in the audit log, which the requester never
    sees. ``request_id`` ties the email's one-time code to the asking browser.
    ``device`` is what the browser's device cookie claims: a browser the
    partner signed in with has its own budget for their address.

    Raises :class:`tokens.RateLimited` when the address or the IP has asked
    too often; the refusal is audited and nothing is queued.
    """
    email = canonical_email(raw_email)
    partner = standing(email)
    is_known = partner is not None and partner.is_active
    # No statement depends on the device: a cookie naming this partner only
    # changes which counter the same upsert moves.
    known_device = device.for_identity(partner.id if partner else None) if device else None
    throttled = limits.hit_link_request(email, requester.ip_address, known_device)
    if throttled is not None:
        record_throttled(
            throttled, requester, partner_id=partner.id if partner else None, email=email
        )
        raise tokens.RateLimited(throttled.retry_after)
    record(
        "partner.login.requested",
        requester,
        severity=Severity.INFO if is_known else Severity.WARNING,
        partner_id=partner.id if partner else None,
        email=email,
        details={
            "known": is_known,
            "reason": None if is_known else ("inactive" if partner else "unknown_email"),
        },
    )
    outbox.enqueue(
        "login_link",
        email,
        requester,
        partner_id=partner.id if partner else None,
        purpose=Purpose.LOGIN.value,
        redirect_to=next_path,
        details={"request_id": request_id} if request_id else None,
    )
    db.session.commit()


def record_throttled(
    throttled: limits.Throttled,
    requester: Requester,
    *,
    partner_id: int | None = None,
    email: str | None = None,
    action: str = "partner.login.throttled",
) -> None:
    """Audit (and commit) a refused request: a warning, since it may be an attack in progress.

    The first refusal of a window is a row; later ones count on it (see
    ``audit.record_refusal``), so a flood cannot grow the audit table.
    """
    record_refusal(action, requester, throttled, partner_id=partner_id, email=email)
    db.session.commit()


def request_fresh_link(ref: tokens.LinkRef, requester: Requester, request_id: str) -> None:
    """Queue a fresh sign-in link for the owner of a dead one, exactly like a typed request.

    The reference (id and hash, kept server-side when the dead link was
    opened) stands for the address, which the browser is never shown. A
    reference that names nothing queues nothing, and answers the same.
    """
    token = db.session.get(MagicLinkToken, ref.id)
    if (
        token is None
        or not hmac.compare_digest(token.token_hash, ref.token_hash)
        or token.partner_id is None
    ):
        return
    request_login_link(token.email, requester, token.redirect_to, request_id)


def ensure_may_confirm(requester: Requester) -> None:
    """Refuse (audited) an IP that failed too often, before its code is even looked at.

    Only for one-time codes (40 bits, worth guessing): a link's 256 bits are
    not, and a link that exists and is live is never refused.
    """
    throttled = limits.check_failures(requester.ip_address)
    if throttled is not None:
        record_throttled(throttled, requester)
        raise tokens.RateLimited(throttled.retry_after)


def confirm_login(ref: tokens.LinkRef, requester: Requester) -> SignedIn:
    """Redeem a login link once; return who signed in and where the link wanted to go."""
    return signed_in(tokens.redeem_token(ref, Purpose.LOGIN), requester, method="link")


def confirm_code(request_id: str, typed: str, requester: Requester) -> SignedIn:
    """Redeem the link behind a one-time code typed in the browser that asked for it.

    A wrong code is audited and counted against the IP (and has used up one
    of the code's tries) before :class:`tokens.CodeInvalid` reaches the view.
    """
    ensure_may_confirm(requester)
    try:
        token = tokens.redeem_code(request_id, typed, Purpose.LOGIN)
    except tokens.CodeInvalid as error:
        record_failed_code(error, requester)
        raise
    return signed_in(token, requester, method="code")


class SignedIn(NamedTuple):
    """Who a redeemed link signed in, and where the link wanted to go."""

    partner_id: int
    next_path: str | None


def signed_in(token: MagicLinkToken, requester: Requester, *, method: str) -> SignedIn:
    """Record the sign-in a redeemed link (or its code) grants, uncommitted.

    The caller starts the session (``sessions.begin``) and the session store
    commits these writes with the new session row, in one transaction: the
    link is spent and the sign-in audited if and only if the session exists.
    """
    partner = token.partner
    assert partner is not None
    result = SignedIn(partner.id, token.redirect_to)
    # A statement built once (it runs on every sign-in), through the session so the
    # loaded partner is updated too.
    changed_rows(_last_login_statement(), {"partner_id": partner.id, "now": clock.now()})
    record(
        "partner.login",
        requester,
        partner_id=partner.id,
        email=partner.email,
        details={"token_id": token.id, "method": method},
    )
    return result


@cache
def _last_login_statement() -> Update:
    # Through the ORM session (changed_rows), so the partner already loaded for
    # this request sees its new last_login_at: no stale copy.
    return (
        update(Partner)
        .where(Partner.id == bindparam("partner_id"))
        .values(last_login_at=bindparam("now"))
    )


def record_failed_login(error: tokens.MagicLinkError, requester: Requester) -> None:
    """Audit a link the JSON API could not use (its id, never the token); count it against the IP.

    (Pages go through ``links.failed``, which does the same.)
    """
    db.session.rollback()
    record_link_failure("partner.login.failed", error, requester)
    limits.count_failure(requester.ip_address)
    db.session.commit()


def record_failed_code(error: tokens.CodeInvalid, requester: Requester) -> None:
    """Audit a wrong one-time code and count it; the try it used up is committed with it."""
    record(
        "partner.login.failed",
        requester,
        severity=Severity.WARNING,
        partner_id=error.partner_id,
        email=error.email,
        details={"reason": error.reason, "token_id": error.token_id},
    )
    limits.count_failure(requester.ip_address)
    db.session.commit()


def record_logout(partner: Partner, requester: Requester) -> None:
    """Audit a sign-out."""
    record("partner.logout", requester, partner_id=partner.id, email=partner.email)
    db.session.commit()
