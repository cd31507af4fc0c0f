"""Invitations: an admin sends a signup link; the partner follows it and confirms.

An invited partner is created inactive (``is_active`` false), so until they
accept they cannot even request a sign-in link. "Invitation pending" is not
stored: it is an inactive partner with an outstanding signup link. A partner
deactivated later has no such link, because deactivation revokes them all.
Accepting activates the partner and signs them in; sending again revokes
the earlier invitation, so only the newest link works.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from . import clock, outbox
from .extensions import db
from .models import MagicLinkToken, Partner
from .security import tokens
from .security.audit import Requester, record
from .security.purposes import Purpose


def invitation_lifetime() -> timedelta:
    """Return how long an invitation link lives."""
    return current_app.config["MAGIC_LINK_LIFETIMES"][Purpose.SIGNUP]


def pending_invitation(partner: Partner) -> MagicLinkToken | None:
    """Return the partner's outstanding invitation link, if any."""
    return db.session.scalar(
        select(MagicLinkToken)
        .where(
            MagicLinkToken.partner_id == partner.id,
            MagicLinkToken.purpose == Purpose.SIGNUP.value,
            MagicLinkToken.used_at.is_(None),
            MagicLinkToken.revoked_at.is_(None),
            MagicLinkToken.expires_at > clock.now(),
        )
        .order_by(MagicLinkToken.id.desc())
        .limit(1)
    )


def invite(partner: Partner, requester: Requester, admin_id: int | None) -> None:
    """Revoke earlier invitations and queue a new one (the outbox delivers it).

    The new link is minted when the worker sends the email, so no raw token
    ever waits in the database.
    """
    revoked = tokens.revoke_tokens(partner_id=partner.id, purpose=Purpose.SIGNUP)
    job_id = outbox.enqueue(
        "invitation", partner.email, requester, partner_id=partner.id, purpose=Purpose.SIGNUP.value
    )
    record(
        "admin.partner.invited",
        requester,
        partner_id=partner.id,
        admin_id=admin_id,
        email=partner.email,
        details={"outbox_job_id": job_id, "earlier_revoked": revoked},
    )
    db.session.commit()


def accept(ref: tokens.LinkRef, requester: Requester) -> Partner:
    """Redeem an invitation once: activate the partner and audit ``partner.signup``, uncommitted.

    As with a sign-in link, the caller starts the session and the session
    store commits these writes with the new session row: the invitation is
    spent and the partner active if and only if they are signed in. A deleted
    account is never brought back (the redeeming UPDATE refuses it too).
    """
    token = tokens.redeem_token(ref, Purpose.SIGNUP)
    partner = token.partner
    if partner is None or partner.deleted_at is not None:
        raise tokens.UserNotFound(token)
    was_active = partner.is_active
    partner.is_active = True
    partner.last_login_at = clock.now()
    record(
        "partner.signup",
        requester,
        partner_id=partner.id,
        email=partner.email,
        details={"token_id": token.id, "was_active": was_active},
    )
    return partner
