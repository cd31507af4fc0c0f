"""What signing in and out does, behind the views: links, audit, last login."""

from __future__ import annotations

import smtplib

from flask import current_app

from .. import clock
from ..email import send_login_link
from ..extensions import db
from ..models import Partner
from ..partners import canonical_email, find_partner
from ..security import tokens
from ..security.audit import Requester, Severity, record
from ..security.purposes import Purpose


def login_lifetime():  # noqa: ANN201 - timedelta
    """Return how long a login link lives."""
    return current_app.config["MAGIC_LINK_LIFETIMES"][Purpose.LOGIN]


def request_login_link(raw_email: str, requester: Requester, next_path: str | None) -> None:
    """Email a sign-in link if the address belongs to an active partner; say nothing either way.

    Unknown and inactive addresses are audited (flagged) but never told apart
    from registered ones in the response.
    """
    email = canonical_email(raw_email)
    partner = find_partner(email)
    if partner is None or not partner.is_active:
        record(
            "partner.login.requested",
            requester,
            severity=Severity.WARNING,
            partner_id=partner.id if partner else None,
            email=email,
            details={"sent": False, "reason": "inactive" if partner else "unknown_email"},
        )
        db.session.commit()
        return
    lifetime = login_lifetime()
    minted = tokens.mint_token(
        email=email,
        purpose=Purpose.LOGIN,
        lifetime=lifetime,
        partner_id=partner.id,
        redirect_to=next_path,
        ip_address=requester.ip_address,
        user_agent=requester.user_agent,
    )
    record(
        "partner.login.requested",
        requester,
        partner_id=partner.id,
        email=email,
        details={"sent": True, "token_id": minted.token.id},
    )
    db.session.commit()
    try:
        send_login_link(partner, minted.raw, lifetime)
    except (OSError, smtplib.SMTPException) as error:
        # The requester is told the same thing regardless; the failure is
        # for the operators, in the log and the audit trail.
        current_app.logger.error("login link email to partner %s failed: %r", partner.id, error)
        record(
            "email.failed",
            requester,
            severity=Severity.CRITICAL,
            partner_id=partner.id,
            email=email,
            details={
                "kind": "login_link",
                "token_id": minted.token.id,
                "error": type(error).__name__,
            },
        )
        db.session.commit()


def confirm_login(token_id: int, requester: Requester) -> tuple[Partner, str | None]:
    """Redeem a login link once; return the partner and where the link wanted to go."""
    token = tokens.redeem_token(token_id, Purpose.LOGIN)
    partner = token.partner
    assert partner is not None
    partner.last_login_at = clock.now()
    record(
        "partner.login",
        requester,
        partner_id=partner.id,
        email=partner.email,
        details={"token_id": token.id},
    )
    db.session.commit()
    return partner, token.redirect_to


def record_failed_login(error: tokens.MagicLinkError, requester: Requester) -> None:
    """Audit a link that could not be used, naming the token's id, never the token."""
    db.session.rollback()
    token = error.token
    record(
        "partner.login.failed",
        requester,
        severity=Severity.WARNING,
        partner_id=token.partner_id if token else None,
        email=token.email if token else None,
        details={"reason": error.reason, "token_id": token.id if token else None},
    )
    db.session.commit()


def record_logout(partner: Partner, requester: Requester) -> None:
    """Audit a sign-out."""
    record("partner.logout", requester, partner_id=partner.id, email=partner.email)
    db.session.commit()
