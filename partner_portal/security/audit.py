"""The audit trail: who did what, from where, how worrying it is.

Events are added to the caller's transaction, so an action and its audit
entry are committed together or not at all. An event is written with one
prepared INSERT, not through the ORM's unit of work: every sign-in request
writes one, and the unit of work cost more than the statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Insert, insert

from .. import clock
from ..extensions import run
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
) -> None:
    """Add one audit event to the current transaction."""
    run(
        _insert_statement(),
        {
            "created_at": clock.now(),
            "action": action,
            "severity": severity.value,
            "partner_id": partner_id,
            "admin_id": admin_id,
            "email": email,
            "ip_address": requester.ip_address,
            "user_agent": (requester.user_agent or "")[:USER_AGENT_MAX] or None,
            "details": details,
        },
    )


@cache
def _insert_statement() -> Insert:
    return insert(AuditEvent.__table__)


def record_link_failure(action: str, error: MagicLinkError, requester: Requester) -> None:
    """Add the event for a link that could not be used: the reason and the token's id, never
    the token itself."""
    token = error.token
    record(
        action,
        requester,
        severity=Severity.WARNING,
        partner_id=token.partner_id if token else None,
        admin_id=token.admin_id if token else None,
        email=token.email if token else None,
        details={"reason": error.reason, "token_id": token.id if token else None},
    )
