"""What the console reads about partners, and the changes only the console makes.

Changes that the command line makes too (create, update, deactivate, grant...)
live in :mod:`partner_portal.partners`; the ones here (invitations, ending a
partner's sessions, revoking one link) are units of work audited the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import delete, func, or_, select
from wtforms.fields.choices import SelectChoice

from ... import clock, invitations, partners
from ...actors import Actor, record_action
from ...extensions import changed_rows, db, unit_of_work
from ...models import (
    AccessGrant,
    AuditEvent,
    MagicLinkToken,
    OutboxJob,
    OutboxStatus,
    Partner,
    PartnerSession,
    StatusPage,
)
from ...security import sessions, tokens
from ...security.purposes import Purpose

PER_PAGE = 25
RECENT_EVENTS = 20


def access_until(day: date | None) -> datetime | None:
    """Turn a last day of access into the moment it ends (the end of that day, UTC)."""
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


# -- reading ----------------------------------------------------------------


def search_partners(query: str | None, page: int) -> Pagination:
    """Return one page of partners whose email, name or company contains ``query``."""
    statement = select(Partner).order_by(Partner.email)
    text = (query or "").strip().lower()
    if text:
        # LIKE wildcards typed by the admin are matched literally.
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(
                func.lower(Partner.email).like(pattern, escape="\\"),
                func.lower(Partner.name).like(pattern, escape="\\"),
                func.lower(func.coalesce(Partner.company, "")).like(pattern, escape="\\"),
            )
        )
    return db.paginate(statement, page=page, per_page=PER_PAGE, error_out=False)


@dataclass(frozen=True)
class PartnerOverview:
    """Everything the partner detail page shows."""

    partner: Partner
    grants: list[AccessGrant]
    sessions: list[PartnerSession]
    links: list[MagicLinkToken]
    events: list[AuditEvent]
    invitation: MagicLinkToken | None
    # Queued but not sent yet: the worker mints the link as it sends.
    invitation_queued: bool = False

    @property
    def has_pending_invitation(self) -> bool:
        """Return whether an invitation is out (or on its way) and not yet accepted."""
        return self.invitation is not None or self.invitation_queued


def partner_overview(partner: Partner, now: datetime) -> PartnerOverview:
    """Load a partner's grants, live sessions, outstanding links and recent audit events."""
    grants = list(
        db.session.scalars(
            select(AccessGrant)
            .join(StatusPage)
            .where(AccessGrant.partner_id == partner.id)
            .order_by(StatusPage.name)
        )
    )
    live_sessions = list(
        db.session.scalars(
            select(PartnerSession)
            .where(PartnerSession.partner_id == partner.id, PartnerSession.expiry > now)
            .order_by(PartnerSession.created_at.desc())
        )
    )
    links = list(
        db.session.scalars(
            select(MagicLinkToken)
            .where(
                MagicLinkToken.partner_id == partner.id,
                MagicLinkToken.used_at.is_(None),
                MagicLinkToken.revoked_at.is_(None),
                MagicLinkToken.expires_at > now,
            )
            .order_by(MagicLinkToken.created_at.desc())
        )
    )
    events = list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.partner_id == partner.id)
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(RECENT_EVENTS)
        )
    )
    invitation = next((link for link in links if link.purpose == Purpose.SIGNUP.value), None)
    queued = partner.id in queued_invitations([partner.id])
    return PartnerOverview(partner, grants, live_sessions, links, events, invitation, queued)


def queued_invitations(partner_ids: list[int]) -> set[int]:
    """Return which of these partners have an invitation waiting in the outbox."""
    if not partner_ids:
        return set()
    return set(
        db.session.scalars(
            select(OutboxJob.partner_id).where(
                OutboxJob.partner_id.in_(partner_ids),
                OutboxJob.kind == "invitation",
                OutboxJob.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING]),
            )
        )
    )


def pending_invitations(partner_ids: list[int]) -> set[int]:
    """Return which of these partners have an outstanding (or queued) invitation."""
    if not partner_ids:
        return set()
    return queued_invitations(partner_ids) | set(
        db.session.scalars(
            select(MagicLinkToken.partner_id).where(
                MagicLinkToken.partner_id.in_(partner_ids),
                MagicLinkToken.purpose == Purpose.SIGNUP.value,
                MagicLinkToken.used_at.is_(None),
                MagicLinkToken.revoked_at.is_(None),
                MagicLinkToken.expires_at > clock.now(),
            )
        )
    )


def recent_events(limit: int = 10) -> list[AuditEvent]:
    """Return the newest audit events."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )


# -- changing ----------------------------------------------------------------


@unit_of_work
def invite_partner(actor: Actor, email: str, name: str, company: str | None) -> Partner:
    """Create an inactive partner and queue their invitation; return the partner."""
    partner = partners.create_partner(actor, email, name, company, is_active=False)
    invitations.invite(partner, actor.requester, actor.admin_id)
    return partner


@unit_of_work
def reinvite_partner(actor: Actor, partner: Partner) -> None:
    """Queue a fresh invitation, revoking the earlier one."""
    invitations.invite(partner, actor.requester, actor.admin_id)


@unit_of_work
def end_session(actor: Actor, partner: Partner, session_row_id: int) -> bool:
    """End one of the partner's sessions (by row id, never its cookie value)."""
    ended = changed_rows(
        delete(PartnerSession).where(
            PartnerSession.id == session_row_id, PartnerSession.partner_id == partner.id
        )
    )
    if ended:
        record_action(
            "partner.session.ended",
            actor,
            partner_id=partner.id,
            email=partner.email,
            details={"session": session_row_id},
        )
    return bool(ended)


@unit_of_work
def end_all_sessions(actor: Actor, partner: Partner) -> int:
    """End every session of the partner; return how many."""
    ended = sessions.end_all(PartnerSession, PartnerSession.partner_id, partner.id)
    record_action(
        "partner.sessions.ended",
        actor,
        partner_id=partner.id,
        email=partner.email,
        details={"count": ended},
    )
    return ended


@unit_of_work
def revoke_link(actor: Actor, partner: Partner, token_id: int) -> bool:
    """Revoke one outstanding link of the partner; return whether it was outstanding."""
    revoked = tokens.revoke_tokens(partner_id=partner.id, token_id=token_id)
    if revoked:
        record_action(
            "partner.link.revoked",
            actor,
            partner_id=partner.id,
            email=partner.email,
            details={"token_id": token_id},
        )
    return bool(revoked)


def grant_choices() -> tuple[list[SelectChoice], list[SelectChoice]]:
    """Return the options of partners and of pages for a grant form."""
    people = [
        SelectChoice(str(partner.id), f"{partner.name} <{partner.email}>")
        for partner in db.session.scalars(select(Partner).order_by(Partner.name, Partner.email))
    ]
    pages = [
        SelectChoice(str(page.id), f"{page.name} ({page.slug})")
        for page in db.session.scalars(select(StatusPage).order_by(StatusPage.name))
    ]
    return people, pages
