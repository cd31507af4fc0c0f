"""What admins do to partners, behind the views: each function is one audited action.

Every change is recorded as ``admin.*`` with the admin as actor, in the same
transaction as the change, and committed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import delete, func, or_, select
from wtforms.fields.choices import SelectChoice

from ... import clock, invitations, partners
from ...extensions import db
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
from ...security.audit import Severity, record
from ...security.purposes import Purpose
from ..identity import Actor

PER_PAGE = 25
RECENT_EVENTS = 20


def audit(action: str, actor: Actor, partner: Partner | None = None, **kwargs: Any) -> None:
    """Record ``admin.<action>`` with the admin as actor (and the partner, if any)."""
    if partner is not None:
        kwargs.setdefault("partner_id", partner.id)
        kwargs.setdefault("email", partner.email)
    record(f"admin.{action}", actor.requester, admin_id=actor.admin_id, **kwargs)


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


def get_partner(partner_id: int) -> Partner | None:
    """Return the partner with this id, if any."""
    return db.session.get(Partner, partner_id)


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


def create_partner(actor: Actor, email: str, name: str, company: str | None) -> Partner:
    """Create an active partner (raises DirectoryError subclasses)."""
    partner = partners.add_partner(email, name=name, company=company)
    audit("partner.created", actor, partner, details={"name": partner.name})
    db.session.commit()
    return partner


def invite_partner(actor: Actor, email: str, name: str, company: str | None) -> Partner:
    """Create an inactive partner and queue their invitation; return the partner."""
    partner = partners.add_partner(email, name=name, company=company)
    partner.is_active = False
    audit("partner.created", actor, partner, details={"name": partner.name, "invited": True})
    db.session.flush()
    invitations.invite(partner, actor.requester, actor.admin_id)
    return partner


def reinvite_partner(actor: Actor, partner: Partner) -> None:
    """Queue a fresh invitation, revoking the earlier one."""
    invitations.invite(partner, actor.requester, actor.admin_id)


def update_partner(actor: Actor, partner: Partner, name: str, company: str | None) -> None:
    """Change a partner's name and company."""
    new_name = partners.clean_text(name, field="Name")
    new_company = partners.clean_text(company or "", field="Company", required=False) or None
    changes = {
        field: [old, new]
        for field, old, new in (
            ("name", partner.name, new_name),
            ("company", partner.company, new_company),
        )
        if old != new
    }
    partner.name, partner.company = new_name, new_company
    audit("partner.updated", actor, partner, details={"changes": changes})
    db.session.commit()


def deactivate_partner(actor: Actor, partner: Partner) -> tuple[int, int]:
    """Deactivate: sessions end and links die at once; return (sessions, links)."""
    counts = partners.deactivate_partner(
        partner, actor.requester, admin_id=actor.admin_id, action="admin.partner.deactivated"
    )
    db.session.commit()
    return counts


def reactivate_partner(actor: Actor, partner: Partner) -> bool:
    """Let a deactivated partner sign in again; return False if active already or deleted."""
    if partner.is_active or partner.deleted_at is not None:
        return False
    partner.is_active = True
    audit("partner.reactivated", actor, partner)
    db.session.commit()
    return True


def delete_partner(actor: Actor, partner: Partner) -> None:
    """Delete a partner's account (as self-service deletion does); their audit history stays."""
    email, name, company = partner.email, partner.name, partner.company
    removed = partners.erase_partner(partner)
    audit(
        "partner.deleted",
        actor,
        partner_id=partner.id,
        email=email,
        severity=Severity.WARNING,
        details={"name": name, "company": company, **removed},
    )
    db.session.commit()


def end_session(actor: Actor, partner: Partner, session_row_id: int) -> bool:
    """End one of the partner's sessions (by row id, never its cookie value)."""
    ended = db.session.execute(
        delete(PartnerSession).where(
            PartnerSession.id == session_row_id, PartnerSession.partner_id == partner.id
        )
    ).rowcount
    if ended:
        audit("partner.session.ended", actor, partner, details={"session": session_row_id})
    db.session.commit()
    return bool(ended)


def end_all_sessions(actor: Actor, partner: Partner) -> int:
    """End every session of the partner; return how many."""
    ended = sessions.end_all(PartnerSession, PartnerSession.partner_id, partner.id)
    audit("partner.sessions.ended", actor, partner, details={"count": ended})
    db.session.commit()
    return ended


def revoke_link(actor: Actor, partner: Partner, token_id: int) -> bool:
    """Revoke one outstanding link of the partner; return whether it was outstanding."""
    revoked = tokens.revoke_tokens(partner_id=partner.id, token_id=token_id)
    if revoked:
        audit("partner.link.revoked", actor, partner, details={"token_id": token_id})
    db.session.commit()
    return bool(revoked)


def grant_access(
    actor: Actor, partner: Partner, page: StatusPage, until: datetime | None
) -> AccessGrant:
    """Let the partner see the page (until ``until``, if given); re-granting sets the new end."""
    grant = partners.grant_access(partner, page, until)
    audit(
        "access.granted",
        actor,
        partner,
        details={
            "page": page.slug,
            "page_id": page.id,
            "until": until.isoformat() if until else None,
        },
    )
    db.session.commit()
    return grant


def revoke_access(actor: Actor, grant: AccessGrant) -> None:
    """Remove one grant."""
    partner, page = grant.partner, grant.page
    partners.revoke_access(partner, page)
    audit("access.revoked", actor, partner, details={"page": page.slug, "page_id": page.id})
    db.session.commit()


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
