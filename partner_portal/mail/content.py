"""What each email says: ``templates/email/<name>/`` and one context function per email.

Nothing here changes security state: the link registry (``links.py``) decides
whether a message goes out and mints its link, then asks this module for the
words. ``who_asked`` says who set a message off, so a partner who did not ask
can tell at a glance.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import formatdate

from flask import current_app, render_template

from .. import clock, devices
from ..messages import describe_duration
from ..models import Admin, OutboxJob, Partner
from ..security import codes
from .transport import Composed, RenderedEmail, build_message


def render(template: str, **context: object) -> RenderedEmail:
    """Render the three parts of the email in ``templates/email/<template>/``."""
    context.setdefault("app_name", current_app.config["APP_NAME"])
    subject = render_template(f"email/{template}/subject.txt", **context)
    return RenderedEmail(
        # A subject is one line whatever the template or a name in it holds.
        subject=" ".join(subject.split()),
        text=render_template(f"email/{template}/body.txt", **context),
        html=render_template(f"email/{template}/body.html", **context),
    )


def compose(
    to: str,
    template: str,
    context: dict[str, object],
    *,
    link: str | None = None,
    token_id: int | None = None,
) -> Composed:
    """Render ``template`` for ``to``, paired with the link it carries (if any)."""
    return Composed(build_message(to, render(template, **context)), link=link, token_id=token_id)


def who_asked(job: OutboxJob) -> str:
    """Return who set a job off, in words: 'Firefox on Windows, from 203.0.113.5, at 10:02 UTC'."""
    details = job.details or {}
    ip_address = details.get("ip_address") or "an unknown address"
    device = devices.describe(details.get("user_agent"))
    return f"{device}, from {ip_address}, at {utc_time(job.created_at)}"


def utc_time(moment: datetime) -> str:
    """Return a moment as '10:02 UTC on 21 November 2026'."""
    return f"{moment:%H:%M} UTC on {moment.day} {moment:%B %Y}"


def login_link_context(
    partner: Partner, link: str, lifetime: timedelta, code: str | None, asked: str
) -> dict[str, object]:
    """Return what the login link email says (and its one-time code, if it has one)."""
    return {
        "name": partner.name,
        "link": link,
        "code": codes.display(code) if code else None,
        "expires_in": describe_duration(lifetime),
        "sent_at": formatdate(clock.now().timestamp(), usegmt=True),
        "asked": asked,
    }


def invitation_context(partner: Partner, link: str, lifetime: timedelta) -> dict[str, object]:
    """Return what the invitation email says."""
    return {
        "name": partner.name,
        "company": partner.company,
        "link": link,
        "expires_in": describe_duration(lifetime),
    }


def email_change_link_context(
    partner: Partner, link: str, lifetime: timedelta, new_email: str, asked: str
) -> dict[str, object]:
    """Return what the link to the new address says."""
    return {
        "name": partner.name,
        "link": link,
        "old_email": partner.email,
        "new_email": new_email,
        "expires_in": describe_duration(lifetime),
        "asked": asked,
    }


def email_change_notice_context(
    partner: Partner, job: OutboxJob, cancel_link: str | None, lifetime: timedelta | None
) -> dict[str, object]:
    """Return what the notice to the old address says (with its "this was not me" link)."""
    details = job.details or {}
    return {
        "is_done": bool(details.get("is_done")),
        "name": partner.name,
        "new_email": details.get("new_email"),
        "ip_address": details.get("ip_address") or "an unknown address",
        "device": devices.describe(details.get("user_agent")),
        "requested_at": formatdate(job.created_at.timestamp(), usegmt=True),
        "cancel_link": cancel_link,
        "cancel_expires_in": describe_duration(lifetime) if lifetime else None,
    }


def account_deletion_link_context(
    partner: Partner, link: str, lifetime: timedelta, asked: str
) -> dict[str, object]:
    """Return what the deletion link email says."""
    return {
        "name": partner.name,
        "link": link,
        "expires_in": describe_duration(lifetime),
        "asked": asked,
    }


def admin_password_reset_context(
    admin: Admin, link: str, lifetime: timedelta, asked: str
) -> dict[str, object]:
    """Return what the staff password reset email says."""
    return {
        "email": admin.email,
        "link": link,
        "expires_in": describe_duration(lifetime),
        "asked": asked,
    }
