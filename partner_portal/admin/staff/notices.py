"""Emails about a staff account's own sign-in (no link in them): what changed, and who did it.

A password reset, a second factor set up or removed, new recovery codes:
each tells the account's address at once, so a member of staff whose account
is being taken over hears of it even if the attacker now holds the password.
"""

from __future__ import annotations

from collections.abc import Callable

from ...extensions import db
from ...mail import content
from ...mail.transport import Composed
from ...models import Admin, OutboxJob


def compose_security_notice(job: OutboxJob) -> Composed | None:
    """Compose the notice for the account the job names, if it still has that address."""
    admin_id = (job.details or {}).get("admin_id")
    admin = db.session.get(Admin, admin_id) if isinstance(admin_id, int) else None
    if admin is None or admin.email != job.recipient:
        return None
    context = content.admin_security_notice_context(admin, job)
    if context is None:
        return None
    return content.compose(admin.email, "admin_security_notice", context)


COMPOSERS: dict[str, Callable[[OutboxJob], Composed | None]] = {
    "admin_security_notice": compose_security_notice,
}
