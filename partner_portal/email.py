"""Outgoing email: each message is a template folder plus one context function.

``templates/email/<name>/`` holds ``subject.txt``, ``body.txt`` and
``body.html``. In development with no MAIL_SERVER, messages go to the
development mailbox (files in the instance folder) and the link is printed
to the console, so a newcomer can sign in without a mail server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_mail import Message

from . import clock
from .dev import mailbox
from .extensions import mail
from .models import Admin, Partner


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


def deliver(message: Message, *, link: str | None = None) -> None:
    """Send ``message`` through SMTP, or to the development mailbox when there is no server."""
    if current_app.config["MAIL_TO_DEV_MAILBOX"]:
        mailbox.store(message.as_bytes())
        if link:
            # Development only (production refuses to start without MAIL_SERVER).
            print(
                f"\n  [development mailbox] {message.subject} for {', '.join(message.recipients)}"
                f"\n  {link}\n",
                flush=True,
            )
        return
    mail.send(message)


def login_link_context(partner: Partner, link: str, lifetime: timedelta) -> dict[str, object]:
    """Return what the login link email says."""
    return {
        "name": partner.name,
        "link": link,
        "expires_in": describe_duration(lifetime),
        "sent_at": formatdate(clock.now().timestamp(), usegmt=True),
    }


def send_login_link(partner: Partner, raw_token: str, lifetime: timedelta) -> None:
    """Email a partner their sign-in link."""
    link = f"{current_app.config['PORTAL_BASE_URL']}/partner/verify/{raw_token}"
    rendered = render("login_link", **login_link_context(partner, link, lifetime))
    deliver(build_message(partner.email, rendered), link=link)


def invitation_context(partner: Partner, link: str, lifetime: timedelta) -> dict[str, object]:
    """Return what the invitation email says."""
    return {
        "name": partner.name,
        "company": partner.company,
        "link": link,
        "expires_in": describe_duration(lifetime),
    }


def send_invitation(partner: Partner, raw_token: str, lifetime: timedelta) -> None:
    """Email a partner their invitation (a signup link)."""
    link = f"{current_app.config['PORTAL_BASE_URL']}/partner/signup/{raw_token}"
    rendered = render("invitation", **invitation_context(partner, link, lifetime))
    deliver(build_message(partner.email, rendered), link=link)


def admin_password_reset_context(admin: Admin, link: str, lifetime: timedelta) -> dict[str, object]:
    """Return what the staff password reset email says."""
    return {
        "email": admin.email,
        "link": link,
        "expires_in": describe_duration(lifetime),
    }


def send_admin_password_reset(admin: Admin, raw_token: str, lifetime: timedelta) -> None:
    """Email an admin a link to set a new password."""
    link = f"{current_app.config['PORTAL_BASE_URL']}/admin/password-reset/{raw_token}"
    rendered = render("admin_password_reset", **admin_password_reset_context(admin, link, lifetime))
    deliver(build_message(admin.email, rendered), link=link)


def describe_duration(duration: timedelta) -> str:
    """Return '15 minutes', '1 hour', '24 hours'..."""
    minutes = int(duration.total_seconds() // 60)
    if minutes % 60 == 0 and minutes >= 60:
        hours = minutes // 60
        return f"{hours} hour" + ("s" if hours != 1 else "")
    return f"{minutes} minute" + ("s" if minutes != 1 else "")
