"""Outgoing email: what each message says, and how it leaves.

``templates/email/<name>/`` holds ``subject.txt``, ``body.txt`` and
``body.html``, with one context function each here. Requests never send
mail: they enqueue an outbox job (``outbox.py``), and the worker calls the
job kind's *composer* here, which mints the link at that moment and returns
the message. Delivery goes to SMTP with short timeouts, or, in development
with no MAIL_SERVER, to the development mailbox (files in the instance
folder), printing the link to the console.
"""

from __future__ import annotations

import functools
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_mail import BadHeaderError, Connection, Message
from sqlalchemy import select

from . import clock, devices
from .dev import mailbox
from .extensions import db
from .models import Admin, OutboxJob, Partner
from .partners import find_partner
from .security import codes, tokens
from .security.purposes import Purpose


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


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


def build_message(to: str, rendered: RenderedEmail) -> Message:
    """Return a multipart message with the headers mail systems expect."""
    domain = urlsplit(current_app.config["PORTAL_BASE_URL"]).hostname or "localhost"
    message = Message(
        subject=rendered.subject,
        recipients=[to],
        body=rendered.text,
        html=rendered.html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        date=clock.now().timestamp(),
        extra_headers={"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"},
    )
    message.msgId = make_msgid(domain=domain)
    return message


@dataclass(frozen=True)
class Composed:
    """A message ready to send, and the link it carries (for the development console)."""

    message: Message
    link: str | None = None
    token_id: int | None = None


@functools.cache
def tls_context() -> ssl.SSLContext:
    """Return the verifying TLS context, built once (loading CA certificates takes ~40 ms)."""
    return ssl.create_default_context()


class TimeoutConnection(Connection):
    """Flask-Mail's connection with a socket timeout, so a stalled server cannot hang a worker."""

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        state = self.mail
        timeout = current_app.config["MAIL_TIMEOUT"]
        host: smtplib.SMTP | smtplib.SMTP_SSL
        if state.use_ssl:
            host = smtplib.SMTP_SSL(
                state.server, state.port, timeout=timeout, context=tls_context()
            )
        else:
            host = smtplib.SMTP(state.server, state.port, timeout=timeout)
        if state.use_tls:
            host.starttls(context=tls_context())
        if state.username and state.password:
            host.login(state.username, state.password)
        return host

    def __exit__(self, exc_type, exc_value, tb) -> None:  # noqa: ANN001
        """Say QUIT after a success; after a failure just close, keeping the real error."""
        if self.host is None:
            return
        if exc_type is None:
            self.host.quit()
        else:
            self.host.close()


def send(composed: Composed) -> None:
    """Hand a message to SMTP (raising on failure), or to the development mailbox."""
    message = composed.message
    # Flask-Mail checks this before SMTP; the development mailbox must too,
    # or a line break in an address would write headers of its own there.
    if message.has_bad_headers():
        raise BadHeaderError("line break in a header")
    if current_app.config["MAIL_TO_DEV_MAILBOX"]:
        mailbox.store(message.as_bytes())
        if composed.link:
            # Development only (production refuses to start without MAIL_SERVER).
            print(
                f"\n  [development mailbox] {message.subject} for {', '.join(message.recipients)}"
                f"\n  {composed.link}\n",
                flush=True,
            )
        return
    with TimeoutConnection(current_app.extensions["mail"]) as connection:
        connection.send(message)


def login_link_context(
    partner: Partner, link: str, lifetime: timedelta, code: str | None = None
) -> dict[str, object]:
    """Return what the login link email says (and its one-time code, if it has one)."""
    return {
        "name": partner.name,
        "link": link,
        "code": codes.display(code) if code else None,
        "expires_in": describe_duration(lifetime),
        "sent_at": formatdate(clock.now().timestamp(), usegmt=True),
    }


def compose_login_link(job: OutboxJob) -> Composed | None:
    """Mint a login link for the job's address, if it (still) belongs to an active partner.

    Unknown and inactive addresses are enqueued exactly like registered ones,
    so the request does the same work either way; they end here, unsent.
    """
    partner = find_partner(job.recipient)
    if partner is None or not partner.is_active:
        return None
    # A newer request makes earlier codes for the address useless (their
    # links keep working until they expire or are used).
    tokens.kill_codes(email=partner.email, purpose=Purpose.LOGIN)
    link = mint_for(
        job,
        Purpose.LOGIN,
        "/partner/verify/",
        email=partner.email,
        partner_id=partner.id,
        redirect_to=job.redirect_to,
        request_id=(job.details or {}).get("request_id"),
    )
    context = login_link_context(partner, link.url, link.lifetime, link.minted.code)
    return composed(partner.email, "login_link", context, link)


def link_to(path: str, raw: str) -> str:
    """Return the public URL of an emailed link (built from PORTAL_BASE_URL, never the request)."""
    return f"{current_app.config['PORTAL_BASE_URL']}{path}{raw}"


def composed(to: str, template: str, context: dict[str, object], link: MintedLink) -> Composed:
    """Render ``template`` for ``to`` and pair the message with the link it carries."""
    message = build_message(to, render(template, **context))
    return Composed(message, link=link.url, token_id=link.minted.token.id)


@dataclass(frozen=True)
class MintedLink:
    """A link minted for a job's message: the token (row and raw), its URL and lifetime."""

    minted: tokens.MintedToken
    url: str
    lifetime: timedelta


def mint_for(
    job: OutboxJob,
    purpose: Purpose,
    path: str,
    *,
    email: str,
    details: dict[str, Any] | None = None,
    **owner: Any,
) -> MintedLink:
    """Mint, now at send time, the link a job's message carries, for whoever asked."""
    lifetime = current_app.config["MAGIC_LINK_LIFETIMES"][purpose]
    asked = job.details or {}
    minted = tokens.mint_token(
        email=email,
        purpose=purpose,
        lifetime=lifetime,
        ip_address=asked.get("ip_address"),
        user_agent=asked.get("user_agent"),
        details={"outbox_job_id": job.id, **(details or {})},
        **owner,
    )
    return MintedLink(minted, link_to(path, minted.raw), lifetime)


def active_partner(job: OutboxJob) -> Partner | None:
    """Return the job's partner if they still exist and are active."""
    partner = db.session.get(Partner, job.partner_id) if job.partner_id is not None else None
    return partner if partner is not None and partner.is_active else None


def compose_email_change_link(job: OutboxJob) -> Composed | None:
    """Mint the link that moves a partner to a new address; it goes to that new address.

    Nothing is sent when the partner is gone or inactive, has changed address
    since asking, or when the new address already belongs to a partner: the
    requester was told the same either way, so the page reveals nothing.
    """
    partner = active_partner(job)
    details = job.details or {}
    if partner is None or partner.email != details.get("old_email"):
        return None
    if find_partner(job.recipient) is not None:
        return None
    # Only the latest request can complete.
    tokens.revoke_tokens(partner_id=partner.id, purpose=Purpose.EMAIL_LINK)
    link = mint_for(
        job,
        Purpose.EMAIL_LINK,
        "/partner/account/email/verify/",
        email=job.recipient,
        partner_id=partner.id,
        details={"old_email": partner.email},
    )
    context = {
        "name": partner.name,
        "link": link.url,
        "old_email": partner.email,
        "new_email": job.recipient,
        "expires_in": describe_duration(link.lifetime),
    }
    return composed(job.recipient, "email_change_link", context, link)


def compose_email_change_notice(job: OutboxJob) -> Composed | None:
    """Tell the old address that a change of address was asked for (or has been made)."""
    partner = active_partner(job)
    if partner is None:
        return None
    details = job.details or {}
    rendered = render(
        "email_change_notice",
        is_done=bool(details.get("is_done")),
        name=partner.name,
        new_email=details.get("new_email"),
        ip_address=details.get("ip_address") or "an unknown address",
        device=devices.describe(details.get("user_agent")),
        requested_at=formatdate(job.created_at.timestamp(), usegmt=True),
    )
    return Composed(build_message(job.recipient, rendered))


def compose_account_deletion_link(job: OutboxJob) -> Composed | None:
    """Mint the link that confirms deleting the account; it goes to the partner's address."""
    partner = active_partner(job)
    if partner is None or partner.email != job.recipient:
        return None
    tokens.revoke_tokens(partner_id=partner.id, purpose=Purpose.ACCOUNT_DELETION)
    link = mint_for(
        job,
        Purpose.ACCOUNT_DELETION,
        "/partner/account/delete/verify/",
        email=partner.email,
        partner_id=partner.id,
    )
    context = {
        "name": partner.name,
        "link": link.url,
        "expires_in": describe_duration(link.lifetime),
    }
    return composed(partner.email, "account_deletion_link", context, link)


def invitation_context(partner: Partner, link: str, lifetime: timedelta) -> dict[str, object]:
    """Return what the invitation email says."""
    return {
        "name": partner.name,
        "company": partner.company,
        "link": link,
        "expires_in": describe_duration(lifetime),
    }


def compose_invitation(job: OutboxJob) -> Composed | None:
    """Mint the invitation (signup) link for a partner who has not accepted yet.

    Earlier invitations are revoked as this one is minted, so only the newest
    link works, whatever order the jobs were queued in.
    """
    partner = db.session.get(Partner, job.partner_id) if job.partner_id else None
    if partner is None or partner.is_active:
        return None
    tokens.revoke_tokens(partner_id=partner.id, purpose=Purpose.SIGNUP)
    link = mint_for(
        job, Purpose.SIGNUP, "/partner/signup/", email=partner.email, partner_id=partner.id
    )
    context = invitation_context(partner, link.url, link.lifetime)
    return composed(partner.email, "invitation", context, link)


def admin_password_reset_context(admin: Admin, link: str, lifetime: timedelta) -> dict[str, object]:
    """Return what the staff password reset email says."""
    return {
        "email": admin.email,
        "link": link,
        "expires_in": describe_duration(lifetime),
    }


def compose_admin_password_reset(job: OutboxJob) -> Composed | None:
    """Mint a password reset link if the address belongs to an active admin."""
    admin = db.session.scalar(select(Admin).where(Admin.email == job.recipient))
    if admin is None or not admin.is_active:
        return None
    link = mint_for(
        job, Purpose.PASSWORD_RESET, "/admin/password-reset/", email=admin.email, admin_id=admin.id
    )
    context = admin_password_reset_context(admin, link.url, link.lifetime)
    return composed(admin.email, "admin_password_reset", context, link)


# Every kind of outbox job, and the function that composes its message.
COMPOSERS: dict[str, Callable[[OutboxJob], Composed | None]] = {
    "login_link": compose_login_link,
    "invitation": compose_invitation,
    "admin_password_reset": compose_admin_password_reset,
    "email_change_link": compose_email_change_link,
    "email_change_notice": compose_email_change_notice,
    "account_deletion_link": compose_account_deletion_link,
}


def describe_duration(duration: timedelta) -> str:
    """Return '15 minutes', '1 hour', '24 hours'..."""
    minutes = int(duration.total_seconds() // 60)
    if minutes % 60 == 0 and minutes >= 60:
        hours = minutes // 60
        return f"{hours} hour" + ("s" if hours != 1 else "")
    return f"{minutes} minute" + ("s" if minutes != 1 else "")
