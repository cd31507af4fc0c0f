"""Who makes a change (staff in the console, the command line, later an API key) and its record.

Every write that staff can make goes through a domain function that takes an
:class:`Actor` and records ``admin.<action>`` with it, in the same
transaction: a change made from the console, the command line or the API
reads the same in the audit log, but for who and where.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .security.audit import SYSTEM as SYSTEM_REQUESTER
from .security.audit import Requester, Severity, record

# What the audit log shows as the user agent of command-line changes.
CLI_REQUESTER = Requester(ip_address=None, user_agent="flask cli")


@dataclass(frozen=True)
class Actor:
    """Who does a staff action, and from where.

    ``admin_id`` is the signed-in member of staff (None from the command
    line); ``via`` names the channel ("console", "cli").
    """

    admin_id: int | None
    requester: Requester
    via: str = "console"


CLI = Actor(admin_id=None, requester=CLI_REQUESTER, via="cli")
# Changes the portal makes by itself (demo data, scheduled work).
SYSTEM = Actor(admin_id=None, requester=SYSTEM_REQUESTER, via="system")


def record_action(
    action: str,
    actor: Actor,
    *,
    severity: Severity = Severity.INFO,
    partner_id: int | None = None,
    email: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record ``admin.<action>`` by ``actor`` in the current transaction (the caller commits)."""
    if actor.via != "console":
        details = {**(details or {}), "via": actor.via}
    record(
        f"admin.{action}",
        actor.requester,
        severity=severity,
        admin_id=actor.admin_id,
        partner_id=partner_id,
        email=email,
        details=details or None,
    )
