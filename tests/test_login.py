"""A partner asks for a sign-in link."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from partner_portal import actors, messages
from partner_portal.extensions import db
from partner_portal.models import AuditEvent, MagicLinkToken
from partner_portal.security.tokens import hash_token

from .helpers import (
    add_partner,
    field_errors,
    request_link,
    soup,
    submit,
    token_from,
)


def audit(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def shape(headers) -> list[tuple[str, str]]:  # noqa: ANN001
    """Return the headers with cookie values masked: each cookie holds a fresh random id.

    A cookie's Expires is masked too: it is max-age from the wall clock, so two
    responses a moment apart may name different seconds.
    """

    def masked(name: str, value: str) -> str:
        if name != "Set-Cookie":
            return value
        value = re.sub(r"=[^;]*", "=…", value, count=1)
        return re.sub(r"Expires=[^;]*", "Expires=…", value)

    return sorted((name, masked(name, value)) for name, value in headers.items())


def test_login_page_has_a_labelled_email_field_and_csrf_token(client):
    page = soup(client.get("/partner/login"))
    field = page.find("input", attrs={"name": "email"})
    assert field["type"] == "email"
    assert page.find("label", attrs={"for": field["id"]}).get_text(strip=True) == "Email address"
    assert page.find("input", attrs={"name": "csrf_token"})["value"]


def test_registered_partner_receives_a_link_by_email(app, client, smtp):
    add_partner(app, "alice@acme.example", name="Alice Martin")

    response = request_link(client, "alice@acme.example")

    assert response.status_code == 303
    assert response.location == "/partner/login/sent"
    assert messages.LOGIN_LINK_REQUESTED in client.get(response.location).get_data(as_text=True)
    (message,) = smtp.wait_for(1)
    assert message["Subject"] == "Partner Portal - Your Status Page Access Link"
    assert message["To"] == "alice@acme.example"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"]
    assert message["Date"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Hello Alice Martin" in text
    assert "expires in 15 minutes" in text
    assert "ignore this email" in text
    token = token_from(message)
    assert f"http://localhost/partner/verify/{token}" in html
    assert len(token) == 43


def test_only_the_hash_of_the_token_is_stored(app, client, smtp):
    add_partner(app, "alice@acme.example")
    request_link(client, "alice@acme.example")
    token = token_from(smtp.wait_for(1)[0])
    with app.app_context():
        row = db.session.scalar(select(MagicLinkToken))
        assert row.token_hash == hash_token(token)
        assert token not in repr([getattr(row, c.key) for c in MagicLinkToken.__table__.columns])
        assert row.purpose == "login"
        assert row.expires_at - row.created_at == __import__("datetime").timedelta(minutes=15)
        assert row.ip_address == "127.0.0.1"


def test_email_is_matched_in_canonical_form(app, client, smtp):
    add_partner(app, "alice@acme.example")
    request_link(client, "  Alice@ACME.example ")
    assert smtp.wait_for(1)[0]["To"] == "alice@acme.example"


@pytest.mark.parametrize("kind", ["unknown", "inactive"])
def test_unknown_and_inactive_addresses_get_the_same_answer_and_no_mail(app, client, smtp, kind):
    add_partner(app, "alice@acme.example")
    add_partner(app, "gone@acme.example")
    with app.app_context():
        from partner_portal import partners

        partners.deactivate_partner(actors.SYSTEM, partners.get_partner("gone@acme.example"))
        db.session.commit()
    address = "nobody@acme.example" if kind == "unknown" else "gone@acme.example"

    registered = request_link(client, "alice@acme.example")
    other = request_link(client, address)

    assert (other.status_code, other.location) == (registered.status_code, registered.location)
    assert other.get_data() == registered.get_data()
    assert shape(other.headers) == shape(registered.headers)
    assert len(smtp.wait_for(1)) == 1
    requested = audit(app, "partner.login.requested")
    assert [e.email for e in requested] == ["alice@acme.example", address]
    assert requested[1].severity == "warning"
    assert requested[1].details["known"] is False


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("", messages.INVALID_EMAIL),
        ("not-an-email", messages.INVALID_EMAIL),
        ("alice@", messages.INVALID_EMAIL),
        ("alice@acme.example\r\nBcc: x@evil.example", messages.INVALID_EMAIL),
        ("a" * 300 + "@acme.example", messages.EMAIL_TOO_LONG),
        ("jürgen@acme.example", messages.EMAIL_NOT_ASCII),
    ],
)
def test_malformed_email_gets_a_clear_form_error(app, client, smtp, email, expected):
    response = request_link(client, email)
    assert response.status_code == 400
    assert field_errors(response) == [expected]
    page = soup(response)
    assert page.find("input", attrs={"name": "email"})["aria-invalid"] == "true"
    assert smtp.delivered() == []
    assert audit(app, "partner.login.requested") == []


def test_login_without_csrf_token_does_nothing(app, client, smtp):
    add_partner(app, "alice@acme.example")
    response = client.post("/partner/login", data={"email": "alice@acme.example"})
    assert response.status_code == 303
    assert response.location == "/partner/login"
    assert messages.FORM_EXPIRED in client.get("/partner/login").get_data(as_text=True)
    assert smtp.delivered() == []


def test_next_is_kept_with_the_link_only_when_it_is_a_local_path(app, client, smtp):
    add_partner(app, "alice@acme.example")
    submit(
        client,
        "/partner/login?next=/partner/status/x",
        "/partner/login",
        {"email": "alice@acme.example"},
    )
    submit(
        client,
        "/partner/login?next=https://evil.example/",
        "/partner/login",
        {"email": "alice@acme.example"},
    )
    smtp.wait_for(2)
    with app.app_context():
        rows = db.session.scalars(select(MagicLinkToken).order_by(MagicLinkToken.id)).all()
        assert [row.redirect_to for row in rows] == ["/partner/status/x", None]


def test_registered_unknown_and_inactive_requests_do_the_same_work(app, client, smtp):
    """Enumeration by time: each kind of address runs the very same SQL, and no SMTP at all."""
    from sqlalchemy import event

    from partner_portal import partners

    add_partner(app, "alice@acme.example")
    add_partner(app, "gone@acme.example")
    with app.app_context():
        partners.deactivate_partner(actors.SYSTEM, partners.get_partner("gone@acme.example"))
        db.session.commit()
        engine = db.engine

    def statements_for(email: str) -> list[str]:
        page = client.get("/partner/login")  # not measured
        seen: list[str] = []

        def capture(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", capture)
        try:
            from .helpers import form_data

            data = form_data(page, "/partner/login")
            data["email"] = email
            response = client.post("/partner/login", data=data)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        assert response.location == "/partner/login/sent"
        return seen

    registered = statements_for("alice@acme.example")
    unknown = statements_for("nobody@acme.example")
    inactive = statements_for("gone@acme.example")
    assert registered == unknown == inactive
    assert any("INSERT INTO outbox_jobs" in statement for statement in registered)
    assert smtp.messages == []  # nothing was sent on any request path
