"""How a message leaves: SMTP with short timeouts, or the development sink chosen at start."""

from __future__ import annotations

import functools
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import make_msgid
from urllib.parse import urlsplit

from flask import Flask, current_app
from flask_mail import BadHeaderError, Connection, Message

from .. import clock

SINK = "portal.mail_sink"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Composed:
    """A message ready to send, and the link it carries (for the development console)."""

    message: Message
    link: str | None = None
    token_id: int | None = None


def init_app(app: Flask, development_sink: Callable[[bytes], object] | None = None) -> None:
    """Register where mail goes when ``MAIL_TO_DEV_MAILBOX`` is set (development only).

    The app passes the development mailbox in at start, so this module (which
    production runs) never imports the development package.
    """
    if development_sink is not None:
        app.extensions[SINK] = development_sink


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
    """Hand a message to SMTP (raising on failure), or to the development sink."""
    message = composed.message
    # Flask-Mail checks this before SMTP; the development mailbox must too,
    # or a line break in an address would write headers of its own there.
    if message.has_bad_headers():
        raise BadHeaderError("line break in a header")
    if current_app.config["MAIL_TO_DEV_MAILBOX"]:
        sink = current_app.extensions.get(SINK)
        if sink is None:
            # Production registers no sink: mail is never silently kept on disk.
            raise RuntimeError("MAIL_TO_DEV_MAILBOX is set but no development mailbox exists")
        sink(message.as_bytes())
        if composed.link:
            # Development only (production refuses to start without MAIL_SERVER).
            recipients = ", ".join(map(str, message.recipients))
            print(
                f"\n  [development mailbox] {message.subject} for {recipients}"
                f"\n  {composed.link}\n",
                flush=True,
            )
        return
    with TimeoutConnection(current_app.extensions["mail"]) as connection:
        connection.send(message)
