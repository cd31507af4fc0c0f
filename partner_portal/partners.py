"""Partners and their grants: the portal's directory.

Status pages and components live in ``statuspages.py`` (shared by the console,
the CLI and the API); their old names here still work (see the end).

The console, the command line and the CSV import change partners and grants
through the same functions here, each one transaction (``unit_of_work``)
audited with its :class:`~partner_portal.actors.Actor`. Bad input raises a
:class:`DirectoryError` subclass that carries a sentence a person can act on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import NamedTuple

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Select, bindparam, delete, or_, select, update

from . import clock, messages
from .actors import Actor, record_action
from .extensions import changed_rows, db, run, unit_of_work
from .models import (
    AccessGrant,
    MagicLinkToken,
    OutboxJob,
    OutboxStatus,
    Partner,
    PartnerSession,
    StatusPage,
)
from .security import sessions, tokens
from .security.audit import Severity

MAX_EMAIL_LENGTH = 254
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Names end up in email headers' neighbourhood and in HTML; control
# characters (CR/LF above all) have no business in either.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class DirectoryError(ValueError):
    """A directory change that cannot be made, with the reason in words."""


class InvalidEmail(DirectoryError):
    pass


class DuplicatePartner(DirectoryError):
    pass


class UnknownPartner(DirectoryError):
    pass


class DuplicatePage(DirectoryError):
    pass


class UnknownPage(DirectoryError):
    pass


class InvalidValue(DirectoryError):
    pass


def canonical_email(raw: str) -> str:
    """Return an address in canonical form (trimmed, lower-cased, ASCII), or raise InvalidEmail."""
    candidate = (raw or "").strip()
    if len(candidate) > MAX_EMAIL_LENGTH:
        raise InvalidEmail(messages.EMAIL_TOO_LONG)
    if _CONTROL.search(candidate):
        raise InvalidEmail(messages.INVALID_EMAIL)
    try:
        result = validate_email(candidate, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        local = candidate.rpartition("@")[0]
        if local and not local.isascii():
            raise InvalidEmail(messages.EMAIL_NOT_ASCII) from error
        raise InvalidEmail(messages.INVALID_EMAIL) from error
    # ascii_email turns an internationalised domain into its punycode form,
    # so one mailbox has exactly one spelling in the database.
    return (result.ascii_email or result.normalized).lower()


def clean_text(value: str, *, field: str, max_length: int = 200, required: bool = True) -> str:
    """Return ``value`` trimmed, refusing control characters and over-long text."""
    text = (value or "").strip()
    if required and not text:
        raise InvalidValue(f"{field} is required.")
    if len(text) > max_length:
        raise InvalidValue(f"{field} must be at most {max_length} characters.")
    if _CONTROL.search(text):
        raise InvalidValue(f"{field} cannot contain line breaks or control characters.")
    return text


def find_partner(email: str) -> Partner | None:
    """Return the partner with this (canonical) email, if any."""
    return db.session.scalar(select(Partner).where(Partner.email == email))


class Standing(NamedTuple):
    """Whether an address belongs to a partner, and whether they may sign in."""

    id: int
    is_active: bool


def standing(email: str) -> Standing | None:
    """Return the id and activity of the partner with this (canonical) email, if any.

    One prepared, indexed read: every request for a sign-in link runs it.
    """
    row = run(_standing_statement(), {"email": email}).first()
    return Standing(row.id, row.is_active) if row is not None else None


@cache
def _standing_statement() -> Select:
    return select(Partner.id, Partner.is_active).where(Partner.email == bindparam("email"))


def get_partner(email: str) -> Partner:
    """Return the partner with this address, or raise UnknownPartner."""
    partner = find_partner(canonical_email(email))
    if partner is None:
        raise UnknownPartner(f"No partner has the email {email.strip()!r}.")
    return partner


def _new_partner(email: str, name: str, company: str | None, *, is_active: bool) -> Partner:
    """Add a partner row to the current transaction (raises DirectoryError on bad input)."""
    address = canonical_email(email)
    if find_partner(address) is not None:
        raise DuplicatePartner(f"A partner with the email {address} already exists.")
    partner = Partner(
        email=address,
        name=clean_text(name, field="Name"),
        company=clean_text(company or "", field="Company", required=False) or None,
        is_active=is_active,
        created_at=clock.now(),
    )
    db.session.add(partner)
    db.session.flush()
    return partner


@unit_of_work
def create_partner(
    actor: Actor, email: str, name: str, company: str | None = None, *, is_active: bool = True
) -> Partner:
    """Create a partner (active unless they are to be invited); audited."""
    partner = _new_partner(email, name, company, is_active=is_active)
    details: dict[str, object] = {"name": partner.name}
    if not is_active:
        details["invited"] = True
    record_action(
        "partner.created", actor, partner_id=partner.id, email=partner.email, details=details
    )
    return partner


@unit_of_work
def update_partner(actor: Actor, partner: Partner, name: str, company: str | None) -> None:
    """Change a partner's name and company; audited with what changed."""
    new_name = clean_text(name, field="Name")
    new_company = clean_text(company or "", field="Company", required=False) or None
    changes = {
        field: [old, new]
        for field, old, new in (
            ("name", partner.name, new_name),
            ("company", partner.company, new_company),
        )
        if old != new
    }
    partner.name, partner.company = new_name, new_company
    record_action(
        "partner.updated",
        actor,
        partner_id=partner.id,
        email=partner.email,
        details={"changes": changes},
    )


def end_access(partner: Partner) -> tuple[int, int]:
    """Make a partner inactive, end their sessions and revoke their links, uncommitted.

    Return how many sessions ended and how many links were revoked. Deactivation
    by staff and by the partner's own deletion both go through here.
    """
    partner.is_active = False
    ended = sessions.end_all(PartnerSession, PartnerSession.partner_id, partner.id)
    revoked = tokens.revoke_tokens(partner_id=partner.id)
    # An invitation still waiting in the outbox would otherwise mint a signup
    # link after this, and accepting it would make the partner active again.
    changed_rows(
        update(OutboxJob)
        .where(
            OutboxJob.partner_id == partner.id,
            OutboxJob.kind == "invitation",
            OutboxJob.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING]),
        )
        .values(status=OutboxStatus.SKIPPED, finished_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return ended, revoked


@unit_of_work
def deactivate_partner(actor: Actor, partner: Partner) -> tuple[int, int]:
    """Deactivate a partner: their sessions end and their links die at once.

    Return how many sessions ended and how many links were revoked.
    """
    ended, revoked = end_access(partner)
    record_action(
        "partner.deactivated",
        actor,
        severity=Severity.WARNING,
        partner_id=partner.id,
        email=partner.email,
        details={"sessions_ended": ended, "links_revoked": revoked},
    )
    return ended, revoked


@unit_of_work
def reactivate_partner(actor: Actor, partner: Partner) -> bool:
    """Let a deactivated partner sign in again; return False if active already or deleted."""
    if partner.is_active or partner.deleted_at is not None:
        return False
    partner.is_active = True
    record_action("partner.reactivated", actor, partner_id=partner.id, email=partner.email)
    return True


@unit_of_work
def delete_partner(actor: Actor, partner: Partner) -> None:
    """Delete a partner's account (as self-service deletion does); their audit history stays."""
    email, name, company = partner.email, partner.name, partner.company
    removed = erase_partner(partner)
    record_action(
        "partner.deleted",
        actor,
        severity=Severity.WARNING,
        partner_id=partner.id,
        email=email,
        details={"name": name, "company": company, **removed},
    )


def erase_partner(partner: Partner) -> dict[str, int]:
    """Delete a partner's account in place, uncommitted; return what was removed.

    Sessions, links and grants go; queued mail loses the address; the row stays,
    anonymised and inactive, so its id is never handed to someone else (SQLite
    reuses the highest deleted id) and the audit trail, which names partners by
    id and keeps the address each event was about, stays attributable.
    """
    erased_email = f"deleted-{partner.id}@deleted.invalid"
    counts = {
        "sessions_ended": sessions.end_all(PartnerSession, PartnerSession.partner_id, partner.id),
        "links_deleted": changed_rows(
            delete(MagicLinkToken).where(MagicLinkToken.partner_id == partner.id)
        ),
        "grants_removed": changed_rows(
            delete(AccessGrant).where(AccessGrant.partner_id == partner.id)
        ),
        "mail_scrubbed": changed_rows(
            update(OutboxJob)
            .where(or_(OutboxJob.partner_id == partner.id, OutboxJob.recipient == partner.email))
            .values(recipient=erased_email, details=None, redirect_to=None)
        ),
    }
    db.session.expire(partner, ["grants"])
    partner.email = erased_email
    partner.name = "Deleted partner"
    partner.company = None
    partner.is_active = False
    partner.last_login_at = None
    partner.deleted_at = clock.now()
    return counts


def _grant(partner: Partner, page: StatusPage, until: datetime | None) -> AccessGrant:
    grant = db.session.scalar(
        select(AccessGrant).where(
            AccessGrant.partner_id == partner.id, AccessGrant.page_id == page.id
        )
    )
    if grant is None:
        grant = AccessGrant(partner=partner, page=page, granted_at=clock.now())
        db.session.add(grant)
    grant.expires_at = until
    db.session.flush()
    return grant


@unit_of_work
def grant_access(
    actor: Actor, partner: Partner, page: StatusPage, until: datetime | None = None
) -> AccessGrant:
    """Let a partner see a page (until ``until``, if given); re-granting sets the new end."""
    grant = _grant(partner, page, until)
    record_action(
        "access.granted",
        actor,
        partner_id=partner.id,
        email=partner.email,
        details={
            "page": page.slug,
            "page_id": page.id,
            "until": until.isoformat() if until else None,
        },
    )
    return grant


@unit_of_work
def revoke_access(actor: Actor, partner: Partner, page: StatusPage) -> bool:
    """Stop a partner seeing a page; return whether they could before."""
    removed = changed_rows(
        delete(AccessGrant).where(
            AccessGrant.partner_id == partner.id, AccessGrant.page_id == page.id
        )
    )
    if removed:
        record_action(
            "access.revoked",
            actor,
            partner_id=partner.id,
            email=partner.email,
            details={"page": page.slug, "page_id": page.id},
        )
    return removed > 0


class NewPartner(NamedTuple):
    """One partner to create in a bulk import, from line ``line`` of the file."""

    line: int
    email: str
    name: str
    company: str | None
    pages: list[StatusPage]


@unit_of_work
def import_partners(
    actor: Actor, rows: list[NewPartner], progress: Callable[[int], object] | None = None
) -> int:
    """Create partners with their grants, all in one transaction; return how many."""
    for index, row in enumerate(rows, start=1):
        partner = _new_partner(row.email, row.name, row.company, is_active=True)
        for page in row.pages:
            _grant(partner, page, None)
        record_action(
            "partner.created",
            actor,
            partner_id=partner.id,
            email=partner.email,
            details={
                "source": "import",
                "line": row.line,
                "pages": [page.slug for page in row.pages],
            },
        )
        if progress:
            progress(index)
    record_action("partners.imported", actor, details={"count": len(rows)})
    return len(rows)


# Moved to statuspages.py; kept importable from here while branches written
# against the old place are merged (looked up lazily: statuspages imports us).
_MOVED_TO_STATUSPAGES = frozenset(
    {
        "find_page",
        "get_page",
        "add_page",
        "parse_component_status",
        "add_component",
        "set_component_status",
    }
)


def __getattr__(name: str) -> object:
    if name in _MOVED_TO_STATUSPAGES:
        from . import statuspages

        return getattr(statuspages, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
