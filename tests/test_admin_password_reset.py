"""An admin who forgot the password sets a new one through an emailed link."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from partner_portal import messages
from partner_portal.extensions import db
from partner_portal.models import Admin, MagicLinkToken, StaffSession

from .helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    RESET_PATTERN,
    add_admin,
    admin_sign_in,
    audit_events,
    field_errors,
    flashes,
    link_from,
    soup,
    submit,
)

NEW_PASSWORD = "a brand new staff passphrase"


def ask_for_reset(client, email: str = ADMIN_EMAIL):
    return submit(client, "/admin/password-reset", "/admin/password-reset", {"email": email})


def set_password(client, token: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    opened = client.get(f"/admin/password-reset/{token}")
    assert opened.location == "/admin/password-reset/new", opened.location
    return submit(
        client,
        "/admin/password-reset/new",
        "/admin/password-reset/new",
        {"password": password, "confirm": password if confirm is None else confirm},
    )


@pytest.fixture
def reset_link(app, smtp) -> str:
    """A reset link for the admin, as emailed."""
    add_admin(app)
    ask_for_reset(app.test_client())
    return link_from(smtp.wait_for(1)[0], RESET_PATTERN)


def test_password_reset_end_to_end(app, client, smtp):
    admin_id = add_admin(app)
    elsewhere = app.test_client()
    admin_sign_in(elsewhere)
    assert elsewhere.get("/admin/").status_code == 200

    response = ask_for_reset(client, " OPS@portal.example ")
    assert response.location == "/admin/password-reset/sent"
    assert messages.ADMIN_RESET_REQUESTED in client.get(response.location).get_data(as_text=True)
    (message,) = smtp.wait_for(1)
    assert message["To"] == ADMIN_EMAIL
    assert message["Subject"] == "Partner Portal - Set a new staff password"
    assert "expires in 1 hour" in message.get_body(preferencelist=("plain",)).get_content()
    token = link_from(message, RESET_PATTERN)

    client.get(f"/admin/password-reset/{token}")  # opening twice spends nothing
    form_page = client.get("/admin/password-reset/new")
    assert ADMIN_EMAIL in form_page.get_data(as_text=True)
    assert token not in form_page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(MagicLinkToken.used_at)) is None

    done = set_password(client, token)
    assert done.location == "/admin/login"
    assert flashes(client.get("/admin/login")) == [messages.ADMIN_RESET_DONE]
    # Every other staff session of the account has ended.
    assert elsewhere.get("/admin/").location.startswith("/admin/login")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffSession)) == 0
    assert admin_sign_in(app.test_client(), ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 400
    assert admin_sign_in(client, ADMIN_EMAIL, NEW_PASSWORD).status_code == 303
    (event,) = audit_events(app, "admin.password_reset")
    assert event.admin_id == admin_id
    assert event.details["sessions_ended"] == 1
    assert NEW_PASSWORD not in repr([e.details for e in audit_events(app)])


def test_unknown_and_known_addresses_get_the_same_answer(app, smtp):
    add_admin(app)
    known = ask_for_reset(app.test_client(), ADMIN_EMAIL)
    unknown = ask_for_reset(app.test_client(), "nobody@portal.example")
    assert (known.status_code, known.location) == (unknown.status_code, unknown.location)
    assert len(smtp.wait_for(1)) == 1
    assert len(smtp.delivered()) == 1  # the unknown address's job was skipped, not sent
    requested = audit_events(app, "admin.password_reset.requested")
    assert [e.details["reason"] for e in requested] == [None, "unknown_email"]
    assert [e.severity for e in requested] == ["info", "warning"]


def test_a_reset_link_works_once(app, client, reset_link):
    set_password(client, reset_link)
    other = app.test_client()
    other.get(f"/admin/password-reset/{reset_link}")
    assert flashes(other.get("/admin/password-reset")) == [messages.ADMIN_RESET_USED]


def test_an_expired_reset_link_is_refused(app, client, reset_link, clock):
    clock.advance(hours=1, seconds=1)
    response = client.get(f"/admin/password-reset/{reset_link}")
    assert response.location == "/admin/password-reset"
    assert flashes(client.get("/admin/password-reset")) == [messages.ADMIN_RESET_EXPIRED]


@pytest.mark.parametrize(
    ("password", "confirm", "expected"),
    [
        ("too short", "too short", [messages.PASSWORD_TOO_SHORT]),
        (NEW_PASSWORD, NEW_PASSWORD + "!", [messages.PASSWORDS_DIFFER]),
        ("", "", [messages.PASSWORD_TOO_SHORT, messages.PASSWORDS_DIFFER]),
    ],
)
def test_a_weak_or_mistyped_password_is_a_field_error_and_keeps_the_link(
    app, client, reset_link, password, confirm, expected
):
    response = set_password(client, reset_link, password, confirm)
    assert response.status_code == 400
    assert field_errors(response) == expected
    with app.app_context():
        assert db.session.scalar(select(MagicLinkToken.used_at)) is None
    assert set_password(client, reset_link).location == "/admin/login"


def test_a_partner_link_cannot_reset_a_staff_password(app, client):
    from partner_portal.security import tokens
    from partner_portal.security.purposes import Purpose

    from .helpers import add_partner

    partner_id = add_partner(app, "alice@acme.example")
    add_admin(app)
    with app.app_context():
        minted = tokens.mint_token(
            email="alice@acme.example",
            purpose=Purpose.PASSWORD_RESET,
            lifetime=Purpose.PASSWORD_RESET.default_lifetime,
            partner_id=partner_id,
        )
        db.session.commit()
    response = client.get(f"/admin/password-reset/{minted.raw}")
    assert response.location == "/admin/password-reset"
    assert flashes(client.get("/admin/password-reset")) == [messages.ADMIN_RESET_INVALID]


def test_reset_of_a_deactivated_admin_does_nothing(app, client, reset_link):
    with app.app_context():
        db.session.scalar(select(Admin)).is_active = False
        db.session.commit()
    client.get(f"/admin/password-reset/{reset_link}")
    assert flashes(client.get("/admin/password-reset")) == [messages.ADMIN_RESET_INVALID]


def test_reset_requests_are_capped_per_address(app, smtp):
    add_admin(app)
    for number in range(7):
        browser = app.test_client()
        browser.environ_base["REMOTE_ADDR"] = f"10.0.0.{number}"
        assert ask_for_reset(browser).location == "/admin/password-reset/sent"
    assert len(smtp.wait_for(5)) == 5
    reasons = [e.details.get("reason") for e in audit_events(app, "admin.password_reset.requested")]
    assert reasons == [None] * 5
    # The two refusals are one row of the address's window, counted twice.
    (refused,) = audit_events(app, "admin.password_reset.throttled")
    assert (refused.email, refused.occurrences) == ("ops@portal.example", 2)
    assert refused.details["limit"] == "account"


def test_the_new_password_page_without_a_link_explains(client):
    response = client.get("/admin/password-reset/new")
    assert response.location == "/admin/password-reset"
    assert flashes(client.get("/admin/password-reset")) == [messages.ADMIN_RESET_NO_PENDING]
    page = soup(client.get("/admin/password-reset"))
    assert page.find("input", attrs={"name": "email"})
