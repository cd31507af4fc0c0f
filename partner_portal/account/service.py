"""What the account page does, behind the views: every action audited, committed whole.

Sessions are rows, so ending one takes effect on that browser's very next
request; account links are checked against the signed-in partner before they
are spent; the partner row of a deleted account is anonymised, not removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import clock, devices, messages, outbox, partners
from ..auth.service import record_throttled
from ..extensions import changed_rows, db
from ..models import AuditEvent, MagicLinkToken, OutboxJob, OutboxStatus, Partner, PartnerSession
from ..partners import DirectoryError, canonical_email, find_partner
from ..security import limits, sessions, tokens
from ..security.audit import Requester, Severity, record
from ..security.purposes import Purpose

ACTIVITY_LIMIT = 20
SIGN_IN_ACTIONS = ("partner.login", "partner.login.failed")
FAILURE_LABELS = {
    "expired": "an expired link",
    "already_used": "a link that was already used",
    "revoked": "a cancelled link",
    "code_invalid": "a wrong or expired code",
}


class EmailUnchanged(DirectoryError):
    """The new address is the one the partner already has."""


class EmailUnavailable(DirectoryError):
    """The new address belongs to another partner by now."""


class OtherPartnersLink(tokens.MagicLinkError):
    """An account link minted for someone else than the signed-in partner."""

    reason = "other_partner"


@dataclass(frozen=True)
class SessionView:
    id: int
    started: datetime
    last_seen: datetime
    ip_address: str | None
    device: str
    is_current: bool


@dataclass(frozen=True)
class ActivityView:
    at: datetime
    what: str
    ip_address: str | None
    device: str


def active_sessions(partner: Partner, current_sid: str | None) -> list[SessionView]:
    """Return the partner's unexpired sessions, the current one first."""
    current = _store_key(current_sid)
    rows = db.session.scalars(
        select(PartnerSession)
        .where(PartnerSession.partner_id == partner.id, PartnerSession.expiry > clock.now())
        .order_by(PartnerSession.last_seen_at.desc(), PartnerSession.id.desc())
    )
    views = [
        SessionView(
            id=row.id,
            started=row.created_at,
            last_seen=row.last_seen_at,
            ip_address=row.ip_address,
            device=devices.describe(row.user_agent),
            is_current=row.session_hash == current,
        )
        for row in rows
    ]
    return sorted(views, key=lambda view: not view.is_current)


def _store_key(sid: str | None) -> str | None:
    # Rows hold the hash of their session id, never the id: compare hashes.
    return sessions.store_key(sid) if sid else None


def describe_activity(event: AuditEvent) -> str:
    """Return what a sign-in event means, in words."""
    details = event.details or {}
    if event.action == "partner.login":
        return "Signed in with the emailed " + (
            "code" if details.get("method") == "code" else "link"
        )
    reason = FAILURE_LABELS.get(str(details.get("reason")), "an unusable link")
    return f"Sign-in refused: {reason}"


def recent_activity(partner: Partner, limit: int = ACTIVITY_LIMIT) -> list[ActivityView]:
    """Return the partner's latest sign-ins and refused sign-ins, newest first."""
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.partner_id == partner.id, AuditEvent.action.in_(SIGN_IN_ACTIONS))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return [
        ActivityView(
            at=event.created_at,
            what=describe_activity(event),
            ip_address=event.ip_address,
            device=devices.describe(event.user_agent),
        )
        for event in events
    ]


def end_session(
    partner: Partner, session_row_id: int, current_sid: str | None, requester: Requester
) -> bool:
    """End one of the partner's other sessions; return False if there was no such session."""
    row = db.session.scalar(
        select(PartnerSession).where(
            # The owner check is what stops one partner ending another's session.
            PartnerSession.id == session_row_id,
            PartnerSession.partner_id == partner.id,
        )
    )
    if row is None or row.session_hash == _store_key(current_sid):
        return False
    record(
        "partner.session.ended",
        requester,
        partner_id=partner.id,
        email=partner.email,
        details={"session": row.id, "ip_address": row.ip_address},
    )
    db.session.delete(row)
    db.session.commit()
    return True


def end_other_sessions(partner: Partner, current_sid: str | None, requester: Requester) -> int:
    """End every session of the partner but this one; return how many ended."""
    ended = sessions.end_all(
        PartnerSession, PartnerSession.partner_id, partner.id, keep=current_sid
    )
    record(
        "partner.sessions.ended_others",
        requester,
        partner_id=partner.id,
        email=partner.email,
        details={"sessions_ended": ended},
    )
    db.session.commit()
    return ended


def is_recent_sign_in(signed_in_at: datetime | None) -> bool:
    """Return whether a sign-in is recent enough to change the sign-in address."""
    if signed_in_at is None:
        return False
    return clock.now() - signed_in_at <= current_app.config["RECENT_SIGN_IN"]


def request_email_change(partner: Partner, raw_email: str, requester: Requester) -> str:
    """Queue a confirmation link to the new address and a notice to the current one.

    The answer is the same whether or not the new address belongs to someone
    (the worker then sends no link), so this page cannot probe who is
    registered. Limited like sign-in links: per recipient address and per IP.
    Raises :class:`EmailUnchanged` or :class:`tokens.RateLimited`.
    """
    new_email = canonical_email(raw_email)
    if new_email == partner.email:
        raise EmailUnchanged(messages.EMAIL_UNCHANGED)
    in_use = find_partner(new_email) is not None
    throttled = limits.hit_link_request(new_email, requester.ip_address)
    if throttled is not None:
        record_throttled(
            throttled,
            requester,
            partner_id=partner.id,
            email=new_email,
            action="partner.email.throttled",
        )
        raise tokens.RateLimited(throttled.retry_after)
    record(
        "partner.email.change_requested",
        requester,
        partner_id=partner.id,
        email=partner.email,
        details={"new_email": new_email, "address_in_use": in_use},
    )
    context = {"old_email": partner.email, "new_email": new_email}
    outbox.enqueue(
        "email_change_link",
        new_email,
        requester,
        partner_id=partner.id,
        purpose=Purpose.EMAIL_LINK.value,
        details=context,
    )
    outbox.enqueue(
        "email_change_notice", partner.email, requester, partner_id=partner.id, details=context
    )
    db.session.commit()
    return new_email


def pending_link(partner: Partner, ref: tokens.LinkRef, purpose: Purpose) -> MagicLinkToken:
    """Return the opened (server-side) link if it is still usable and this partner's."""
    token = tokens.get_usable_token(ref, purpose)
    if token.partner_id != partner.id:
        raise OtherPartnersLink(token)
    return token


def confirm_email_change(
    partner: Partner, ref: tokens.LinkRef, current_sid: str | None, requester: Requester
) -> str:
    """Move the partner to the link's address: end their other sessions and outstanding links.

    Raises :class:`tokens.MagicLinkError` (the link cannot be used) or
    :class:`EmailUnavailable` (the address was taken since), changing nothing.
    """
    new_email = pending_link(partner, ref, Purpose.EMAIL_LINK).email
    if find_partner(new_email) is not None:
        raise EmailUnavailable(messages.EMAIL_UNAVAILABLE)
    token = tokens.redeem_token(ref, Purpose.EMAIL_LINK)
    old_email = partner.email
    partner.email = token.email
    ended = sessions.end_all(
        PartnerSession, PartnerSession.partner_id, partner.id, keep=current_sid
    )
    # Links already sent to the old address (sign-in, deletion) die with it.
    revoked = tokens.revoke_tokens(partner_id=partner.id)
    record(
        "partner.email.changed",
        requester,
        severity=Severity.WARNING,
        partner_id=partner.id,
        email=token.email,
        details={
            "old_email": old_email,
            "new_email": token.email,
            "token_id": token.id,
            "sessions_ended": ended,
            "links_revoked": revoked,
        },
    )
    # Tell the old address it happened (it was told when it was asked, too).
    outbox.enqueue(
        "email_change_notice",
        old_email,
        requester,
        partner_id=partner.id,
        details={"old_email": old_email, "new_email": token.email, "is_done": True},
    )
    try:
        db.session.commit()
    except IntegrityError:
        # Taken between our check and the commit: the unique index decides.
        db.session.rollback()
        raise EmailUnavailable(messages.EMAIL_UNAVAILABLE) from None
    return partner.email


def cancel_email_change(ref: tokens.LinkRef, requester: Requester) -> Partner:
    """Cancel a pending change of address from the old mailbox ("this was not me").

    Whoever asked for the change may hold the partner's session: the change's
    links die and every session of the partner ends, in one transaction with
    the audit event. Raises :class:`tokens.MagicLinkError` when the link
    cannot be used (a change already made revoked it).
    """
    token = tokens.redeem_token(ref, Purpose.EMAIL_CHANGE_CANCEL)
    partner = token.partner
    if partner is None:
        raise tokens.UserNotFound(token)
    revoked = tokens.revoke_tokens(partner_id=partner.id, purpose=Purpose.EMAIL_LINK)
    # A change link still waiting in the outbox would be minted after this.
    unsent = changed_rows(
        update(OutboxJob)
        .where(
            OutboxJob.partner_id == partner.id,
            OutboxJob.kind == "email_change_link",
            OutboxJob.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING]),
        )
        .values(status=OutboxStatus.SKIPPED, finished_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    ended = sessions.end_all(PartnerSession, PartnerSession.partner_id, partner.id)
    record(
        "partner.email.change_cancelled",
        requester,
        severity=Severity.WARNING,
        partner_id=partner.id,
        email=partner.email,
        details={
            "token_id": token.id,
            "new_email": (token.details or {}).get("new_email"),
            "links_revoked": revoked,
            "unsent_links_cancelled": unsent,
            "sessions_ended": ended,
        },
    )
    db.session.commit()
    return partner


def request_deletion(partner: Partner, requester: Requester) -> None:
    """Email the partner a link that confirms deleting the account (limited like any link)."""
    throttled = limits.hit_link_request(partner.email, requester.ip_address)
    if throttled is not None:
        record_throttled(
            throttled,
            requester,
            partner_id=partner.id,
            email=partner.email,
            action="partner.deletion.throttled",
        )
        raise tokens.RateLimited(throttled.retry_after)
    record("partner.deletion.requested", requester, partner_id=partner.id, email=partner.email)
    outbox.enqueue(
        "account_deletion_link",
        partner.email,
        requester,
        partner_id=partner.id,
        purpose=Purpose.ACCOUNT_DELETION.value,
    )
    db.session.commit()


def delete_account(partner: Partner, ref: tokens.LinkRef, requester: Requester) -> None:
    """Delete the account behind a confirmed deletion link.

    Every session and link of the partner is deleted and their grants go. The
    partner row stays, anonymised and inactive, so its id is never handed to
    someone else (SQLite reuses the highest deleted id) and the audit trail,
    which keeps the address each event was about, stays attributable.
    """
    pending_link(partner, ref, Purpose.ACCOUNT_DELETION)
    token = tokens.redeem_token(ref, Purpose.ACCOUNT_DELETION)
    email = partner.email
    removed = partners.erase_partner(partner)
    record(
        "partner.deleted",
        requester,
        severity=Severity.WARNING,
        partner_id=partner.id,
        email=email,
        details={"token_id": token.id, **removed},
    )
    db.session.commit()
