"""A partner opens the emailed link and confirms the sign-in."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text

from partner_portal import actors, messages
from partner_portal.extensions import db
from partner_portal.models import AuditEvent, MagicLinkToken
from partner_portal.security import tokens
from partner_portal.security.purposes import Purpose

from .helpers import (
    add_partner,
    confirm,
    cookie,
    flashes,
    form_data,
    request_link,
    soup,
    submit,
    token_from,
)


@pytest.fixture
def link(app, client, smtp) -> str:
    """A fresh login link for alice@acme.example, as emailed."""
    add_partner(app, "alice@acme.example", name="Alice Martin", company="Acme")
    request_link(client, "alice@acme.example")
    return token_from(smtp.wait_for(1)[0])


def token_row(app) -> MagicLinkToken:
    with app.app_context():
        row = db.session.scalar(select(MagicLinkToken))
        db.session.expunge(row)
        return row


def failures(app) -> list[str]:
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "partner.login.failed")
        )
        return [event.details["reason"] for event in events]


def test_opening_the_link_does_not_consume_it(app, client, link):
    for _ in range(3):  # a mail scanner, a preview, then the person
        response = client.get(f"/partner/verify/{link}")
        assert response.status_code == 303
        assert response.location == "/partner/verify"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    page = client.get("/partner/verify")
    assert page.status_code == 200
    assert token_row(app).used_at is None
    assert client.get_cookie("partner.sid") is None


def test_confirmation_page_names_the_account_and_keeps_the_token_out_of_the_page(client, link):
    client.get(f"/partner/verify/{link}")
    page = client.get("/partner/verify")
    html = page.get_data(as_text=True)
    assert "Alice Martin" in html
    assert "alice@acme.example" in html
    assert link not in html
    assert link not in (client.get_cookie("partner.pre").value)
    button = soup(page).find("form", attrs={"action": "/partner/verify"}).find("button")
    assert button.get_text(strip=True) == "Sign in"


def test_confirming_signs_in_and_lands_on_the_dashboard(app, client, link):
    response = confirm(client, link)
    assert response.status_code == 303
    assert response.location == "/partner/dashboard"
    assert client.get("/partner/dashboard").status_code == 200
    row = token_row(app)
    assert row.used_at is not None
    with app.app_context():
        login = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "partner.login"))
        assert login.details == {"token_id": row.id, "method": "link"}
        assert login.ip_address == "127.0.0.1"


def test_a_used_link_cannot_be_used_again(app, client, link):
    confirm(client, link)
    other = app.test_client()
    response = other.get(f"/partner/verify/{link}")
    assert response.location == "/partner/login"
    page = other.get("/partner/login")
    assert flashes(page) == [messages.LINK_USED]
    # One click to a fresh link, without showing whose the dead link was.
    assert "alice@acme.example" not in page.get_data(as_text=True)
    assert not soup(page).find("input", attrs={"name": "email"}).get("value")
    assert soup(page).find("form", attrs={"action": "/partner/login/fresh-link"})
    assert failures(app) == ["already_used"]


def test_expired_link_offers_a_fresh_one_but_never_sends_it(app, client, link, clock, smtp):
    clock.advance(minutes=15, seconds=1)
    response = client.get(f"/partner/verify/{link}")
    assert response.location == "/partner/login"
    page = client.get("/partner/login")
    assert flashes(page) == [messages.LINK_EXPIRED]
    assert len(smtp.delivered()) == 1
    assert failures(app) == ["expired"]
    # One click: the button sends the dead link's owner a fresh one.
    resent = client.post(
        "/partner/login/fresh-link", data=form_data(page, "/partner/login/fresh-link")
    )
    assert resent.location == "/partner/login/sent"
    fresh = smtp.wait_for(2)[-1]
    assert fresh["To"] == "alice@acme.example"
    assert token_from(fresh) != link


def test_link_expiring_between_opening_and_confirming_is_refused(app, client, link, clock):
    client.get(f"/partner/verify/{link}")
    data = form_data(client.get("/partner/verify"), "/partner/verify")
    clock.advance(minutes=16)
    response = client.post("/partner/verify", data=data)
    assert response.location == "/partner/login"
    assert client.get_cookie("partner.sid") is None
    assert failures(app) == ["expired"]


def test_revoked_link_is_refused(app, client, link):
    with app.app_context():
        tokens.revoke_tokens(partner_id=token_row(app).partner_id)
        db.session.commit()
    client.get(f"/partner/verify/{link}")
    assert flashes(client.get("/partner/login")) == [messages.LINK_REVOKED]


def test_link_of_another_purpose_is_refused(app, client):
    partner_id = add_partner(app, "alice@acme.example")
    with app.app_context():
        minted = tokens.mint_token(
            email="alice@acme.example",
            purpose=Purpose.ACCOUNT_DELETION,
            lifetime=Purpose.ACCOUNT_DELETION.default_lifetime,
            partner_id=partner_id,
        )
        db.session.commit()
    response = client.get(f"/partner/verify/{minted.raw}")
    assert response.location == "/partner/login"
    assert flashes(client.get("/partner/login")) == [messages.LINK_INVALID]
    assert failures(app) == ["wrong_purpose"]


@pytest.mark.parametrize(
    "token",
    [
        "x",
        "A" * 43,
        "A" * 5000,
        "%27%20OR%201%3D1--",
        "%C3%A9" * 20,
        "abc/def/ghi",
        "..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_malformed_or_unknown_tokens_get_the_generic_invalid_link_page(app, client, token):
    response = client.get(f"/partner/verify/{token}")
    assert response.status_code == 303
    assert response.location == "/partner/login"
    assert flashes(client.get("/partner/login")) == [messages.LINK_INVALID]
    assert failures(app) == ["not_found"]


def test_link_of_a_deactivated_partner_is_refused(app, client, link):
    from partner_portal import partners

    client.get(f"/partner/verify/{link}")
    data = form_data(client.get("/partner/verify"), "/partner/verify")
    with app.app_context():
        partners.deactivate_partner(actors.SYSTEM, partners.get_partner("alice@acme.example"))
        db.session.commit()
    response = client.post("/partner/verify", data=data)
    assert response.location == "/partner/login"
    assert client.get_cookie("partner.sid") is None


def test_confirm_without_a_pending_link_explains_what_to_do(client):
    response = client.get("/partner/verify")
    assert response.location == "/partner/login"
    assert flashes(client.get("/partner/login")) == [messages.LINK_NO_PENDING]


def test_confirm_post_needs_the_csrf_token(app, client, link):
    client.get(f"/partner/verify/{link}")
    response = client.post("/partner/verify", data={})
    assert response.status_code == 303
    assert token_row(app).used_at is None
    assert client.get_cookie("partner.sid") is None


def test_redirect_stored_with_the_link_is_followed_after_sign_in(app, client, smtp):
    add_partner(app, "alice@acme.example")
    submit(
        client,
        "/partner/login?next=/partner/status/payments-api",
        "/partner/login",
        {"email": "alice@acme.example"},
    )
    response = confirm(client, token_from(smtp.wait_for(1)[0]))
    assert response.location == "/partner/status/payments-api"


def test_only_one_of_many_concurrent_redemptions_wins(app, link):
    """Twenty threads confirm the same link at once on a real SQLite file: one session."""
    row = token_row(app)
    ref = tokens.LinkRef(row.id, row.token_hash)
    barrier = threading.Barrier(20)
    outcomes: list[str] = []

    def redeem() -> None:
        with app.app_context():
            barrier.wait()
            try:
                tokens.redeem_token(ref, Purpose.LOGIN)
                db.session.commit()
                outcomes.append("won")
            except tokens.LinkAlreadyUsed:
                db.session.rollback()
                outcomes.append("already_used")

    threads = [threading.Thread(target=redeem) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already_used"] * 19 + ["won"]


def test_a_sign_in_whose_session_cannot_be_stored_spends_nothing(app, client, link):
    """The spent link, its audit event and the session row are one transaction."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        db.session.execute(text("ALTER TABLE partner_sessions RENAME TO partner_sessions_away"))
        db.session.commit()
    try:
        response = confirm(client, link)
    finally:
        with app.app_context():
            db.session.execute(text("ALTER TABLE partner_sessions_away RENAME TO partner_sessions"))
            db.session.commit()
    assert response.status_code >= 500
    assert cookie(client, "partner.sid") is None
    assert token_row(app).used_at is None
    with app.app_context():
        assert (
            db.session.scalar(select(AuditEvent).where(AuditEvent.action == "partner.login"))
            is None
        )

    # Nothing was lost: the same link still signs in once the store is back.
    again = confirm(app.test_client(), link)
    assert (again.status_code, again.location) == (303, "/partner/dashboard")
