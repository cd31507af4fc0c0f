"""Attacks: mail header injection (CR/LF in a name or an address), lookalike addresses.

Defences: addresses are validated and canonicalised (email-validator) before
they are stored or mailed, and control characters are refused in names; no
partner-supplied text goes into a header; Flask-Mail refuses a header with a
line break, and so does the development mailbox; APP_NAME must be one line.
Internationalised domains are stored in their punycode form; addresses with
non-ASCII before the @ are refused with a sentence saying so.
"""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from partner_portal import messages
from partner_portal.config import ConfigError, load_config
from partner_portal.extensions import db
from partner_portal.models import AuditEvent, OutboxJob, Partner

from ..conftest import run_outbox
from ..helpers import add_partner, field_errors, request_link, token_from

INJECTED = "Bcc: victim@evil.example"


def insert_partner(app, email: str, name: str) -> None:
    """Write a partner straight into the table, past every validation (a bad import, say)."""
    with app.app_context():
        db.session.execute(
            insert(Partner).values(email=email, name=name, is_active=True, created_at=__now())
        )
        db.session.commit()


def __now():  # noqa: ANN202
    from partner_portal import clock

    return clock.now()


def test_line_breaks_in_a_name_never_reach_a_header(app, client, smtp):
    insert_partner(app, "alice@acme.example", f"Alice\r\n{INJECTED}\r\nSubject: hi")
    request_link(client, "alice@acme.example")
    (message,) = smtp.wait_for(1)
    assert message["Bcc"] is None
    assert message["Subject"] == "Partner Portal - Your Status Page Access Link"
    assert smtp.envelopes == [("noreply@portal.example", ["alice@acme.example"])]
    assert token_from(message)


def test_an_address_with_a_line_break_is_never_sent_to(app, client, smtp):
    bad = f"alice@acme.example\r\n{INJECTED}"
    insert_partner(app, bad, "Alice")
    with app.app_context():
        from partner_portal import outbox
        from partner_portal.security.audit import SYSTEM

        outbox.enqueue("login_link", bad, SYSTEM, purpose="login")
        db.session.commit()
    assert run_outbox(app) == {"failed": 1}
    assert smtp.delivered() == []
    with app.app_context():
        job = db.session.scalar(select(OutboxJob))
        assert job.last_error == "bad header"
        failed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "email.failed"))
        assert failed.severity == "critical"


def test_the_development_mailbox_refuses_header_breaks_too(app, client, smtp):
    app.config["MAIL_TO_DEV_MAILBOX"] = True
    bad = f"alice@acme.example\n{INJECTED}"
    insert_partner(app, bad, "Alice")
    with app.app_context():
        from partner_portal import outbox
        from partner_portal.dev import mailbox
        from partner_portal.security.audit import SYSTEM

        outbox.enqueue("login_link", bad, SYSTEM, purpose="login")
        db.session.commit()
        assert run_outbox(app) == {"failed": 1}
        assert mailbox.messages() == []


@pytest.mark.parametrize("name", ["Portal\r\nBcc: x@evil.example", "Portal\nX: y", "A\x00B"])
def test_app_name_must_be_one_line(tmp_path, name):
    with pytest.raises(ConfigError, match="APP_NAME"):
        load_config({"APP_NAME": name}, str(tmp_path))


@pytest.mark.parametrize(
    "email",
    [
        "alice@acme.example\r\nBcc: victim@evil.example",
        "alice@acme.example\nBcc: victim@evil.example",
        "alice@acme.example%0d%0aBcc: victim@evil.example",
        "alice@acme.example, victim@evil.example",
        "alice@acme.example;victim@evil.example",
        '"alice@acme.example" <victim@evil.example>',
    ],
)
def test_header_breaking_or_multiple_addresses_are_refused(app, client, smtp, email):
    add_partner(app, "alice@acme.example")
    response = request_link(client, email)
    assert response.status_code == 400
    assert field_errors(response) == [messages.INVALID_EMAIL]
    assert smtp.delivered() == []


def test_an_internationalised_domain_is_stored_and_mailed_as_punycode(app, client, smtp):
    add_partner(app, "jurgen@bücher.example", name="Jürgen")
    with app.app_context():
        assert db.session.scalar(select(Partner.email)) == "jurgen@xn--bcher-kva.example"
    request_link(client, "Jurgen@BÜCHER.example")
    (message,) = smtp.wait_for(1)
    assert message["To"] == "jurgen@xn--bcher-kva.example"
    assert smtp.envelopes[0][1] == ["jurgen@xn--bcher-kva.example"]


def test_a_non_ascii_local_part_is_refused_with_a_clear_sentence(app, client, smtp):
    response = request_link(client, "jürgen@acme.example")
    assert response.status_code == 400
    assert field_errors(response) == [messages.EMAIL_NOT_ASCII]
    api = client.post("/api/partner/auth/request-login", json={"email": "jürgen@acme.example"})
    assert api.status_code == 400
    assert api.json == {"error": messages.API_INVALID_EMAIL, "detail": messages.EMAIL_NOT_ASCII}


@pytest.mark.parametrize(
    "lookalike",
    [
        "alice@acme.exаmple",  # Cyrillic a in the domain: another domain entirely
        "alice@acme.example.",  # trailing dot
        "аlice@acme.example",  # Cyrillic a in the local part: refused
        "alice@acmе.example",  # Cyrillic e
        "alice\u200b@acme.example",  # zero-width space
    ],
)
def test_lookalike_addresses_never_reach_the_real_partner(app, client, smtp, lookalike):
    add_partner(app, "alice@acme.example")
    request_link(client, lookalike)
    assert smtp.delivered() == []
