"""The audit trail: who did what, from where, how worrying it is.

Events are added to the caller's transaction, so an action and its audit
entry are committed together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .. import clock
from ..extensions import db
from ..models import AuditEvent

if TYPE_CHECKING:
    from .tokens import MagicLinkError

USER_AGENT_MAX = 512


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True)
class Requester:
    """Where a request came from, as the audit log records it."""

    ip_address: str | None = None
    user_agent: str | None = None


SYSTEM = Requester(ip_address=None, user_agent="system")


def record(
    action: str,
    requester: Requester,
    *,
    severity: Severity = Severity.INFO,
    partner_id: int | None = None,
    admin_id: int | None = None,
    email: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event to the current transaction and return it."""
    event = AuditEvent(
        created_at=clock.now(),
        action=action,
        severity=severity.value,
        partner_id=partner_id,
        admin_id=admin_id,
        email=email,
        ip_address=requester.ip_address,
        user_agent=(requester.user_agent or "")[:USER_AGENT_MAX] or None,
        details=details,
    )
    db.session.add(event)
    return event


def record_link_failure(action: str, error: MagicLinkError, requester: Requester) -> AuditEvent:
    """Add the event for a link that could not be used: the reason and the token's id, never
    the token itself."""
    token = error.token
    return record(
        action,
        requester,
        severity=Severity.WARNING,
        partner_id=token.partner_id if token else None,
        admin_id=token.admin_id if token else None,
        email=token.email if token else None,
        details={"reason": error.reason, "token_id": token.id if token else None},
    )
