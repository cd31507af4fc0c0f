"""The audit trail: who did what, from where, how worrying it is.

Events are added to the caller's transaction, so an action and its audit
entry are committed together or not at all. An event is written with one
prepared INSERT, not through the ORM's unit of work: every sign-in request
writes one, and the unit of work cost more than the statement.

Refusals (requests over a limit) are anonymous noise an attacker controls:
the first refusal of a counter's window is a row, and every later one adds to
that row's ``occurrences`` and ``last_at`` instead of writing its own. The
trail still shows who was targeted (the address, the partner), from where
(the IP or /64 that was refused) and how hard (how many times, until when).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, Insert, Table, Update, bindparam, insert, update

from .. import clock
from ..extensions import run
from ..models import AuditEvent

if TYPE_CHECKING:
    from .limits import Throttled
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
    return insert(cast("Table", AuditEvent.__table__))


def record_refusal(
    action: str,
    requester: Requester,
    throttled: Throttled,
    *,
    partner_id: int | None = None,
    admin_id: int | None = None,
    email: str | None = None,
) -> None:
    """Add a refused request to the trail: a row for the first of its window, a count after.

    Every kind of address takes the same statements (an UPDATE, and an INSERT
    for the first refusal), so the trail adds no way to tell them apart.
    """
    now = clock.now()
    key = throttled.aggregate_key
    if key is not None:
        result = run(_count_again_statement(), {"refusal_key": key, "seen_at": now})
        if cast("CursorResult[Any]", result).rowcount:
            return
    run(
        _insert_statement(),
        {
            "created_at": now,
            "action": action,
            "severity": Severity.WARNING.value,
            "partner_id": partner_id,
            "admin_id": admin_id,
            "email": email,
            "ip_address": requester.ip_address,
            "user_agent": (requester.user_agent or "")[:USER_AGENT_MAX] or None,
            "details": {
                "limit": throttled.limit,
                "limit_key": throttled.key or None,
                "retry_after": throttled.retry_after_seconds,
            },
            "aggregate_key": key,
            "occurrences": 1,
            "last_at": now,
        },
    )


@cache
def _count_again_statement() -> Update:
    table = cast("Table", AuditEvent.__table__)
    return (
        update(table)
        .where(table.c.aggregate_key == bindparam("refusal_key"))
        .values(occurrences=table.c.occurrences + 1, last_at=bindparam("seen_at"))
    )


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
