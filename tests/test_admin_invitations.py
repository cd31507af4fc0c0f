"""An admin invites a partner; the partner follows the emailed link and confirms."""

from __future__ import annotations

from sqlalchemy import select, text

from partner_portal import messages
from partner_portal.extensions import db
from partner_portal.models import MagicLinkToken

from .conftest import free_port
from .helpers import (
    SIGNUP_PATTERN,
    add_page,
    add_partner,
    audit_events,
    field_errors,
    flashes,
    get_partner,
    grant,
    link_from,
    request_link,
    soup,
    submit,
)


def invite(client, email="bob@globex.example", name="Bob Okafor", company="Globex"):
    return submit(
        client,
        "/admin/partners/invite",
        "/admin/partners/invite",
        {"email": email, "name": name, "company": company},
    )


def test_invitation_end_to_end_through_a_real_smtp_server(app, client, admin, smtp):
    add_page(app, "eu-region", name="EU Region")
    response = invite(client)
    bob = get_partner(app, "bob@globex.example")
    assert response.location == f"/admin/partners/{bob.id}"
    assert flashes(client.get(response.location)) == [
        messages.PARTNER_INVITED.format(email="bob@globex.example", lifetime="24 hours")
    ]
    assert not bob.is_active
    grant(app, "bob@globex.example", "eu-region")

    (message,) = smtp.wait_for(1)
    assert message["To"] == "bob@globex.example"
    assert message["Subject"] == "Partner Portal - You are invited to see your status pages"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Hello Bob Okafor" in text
    assert "expires in 24 hours" in text
    token = link_from(message, SIGNUP_PATTERN)
    assert token in message.get_body(preferencelist=("html",)).get_content()

    partner = app.test_client()
    for _ in range(2):  # a mail scanner, then the person: opening never spends it
        opened = partner.get(f"/partner/signup/{token}")
        assert opened.status_code == 303
        assert opened.location == "/partner/signup"
        assert opened.headers["Referrer-Policy"] == "no-referrer"
    page = partner.get("/partner/signup")
    assert "Bob Okafor" in page.get_data(as_text=True)
    assert token not in page.get_data(as_text=True)
    assert not get_partner(app, "bob@globex.example").is_active
    assert partner.get_cookie("partner.sid") is None

    accepted = submit(partner, "/partner/signup", "/partner/signup")
    assert accepted.location == "/partner/dashboard"
    dashboard = partner.get("/partner/dashboard")
    assert flashes(dashboard) == [messages.WELCOME]
    assert "EU Region" in dashboard.get_data(as_text=True)
    assert get_partner(app, "bob@globex.example").is_active
    (signup,) = audit_events(app, "partner.signup")
    assert signup.partner_id == bob.id
    (invited,) = audit_events(app, "admin.partner.invited")
    assert (invited.admin_id, invited.partner_id) == (admin, bob.id)

    # Used once: following it again explains, and the account page shows no pending invite.
    again = app.test_client()
    again.get(f"/partner/signup/{token}")
    assert flashes(again.get("/partner/login")) == [messages.INVITATION_USED]
    assert "Invitation pending" not in client.get(f"/admin/partners/{bob.id}").get_data(
        as_text=True
    )


def test_an_invited_partner_cannot_sign_in_before_accepting(app, client, admin, smtp):
    invite(client)
    smtp.wait_for(1)
    request_link(app.test_client(), "bob@globex.example")
    assert len(smtp.messages) == 1
    listing = soup(client.get("/admin/partners"))
    assert "Invitation pending" in listing.select_one("table.partners").get_text()


def test_reinviting_revokes_the_earlier_invitation(app, client, admin, smtp):
    invite(client)
    first = link_from(smtp.wait_for(1)[0], SIGNUP_PATTERN)
    bob = get_partner(app, "bob@globex.example")
    response = submit(client, f"/admin/partners/{bob.id}", f"/admin/partners/{bob.id}/invitation")
    assert response.location == f"/admin/partners/{bob.id}"
    second = link_from(smtp.wait_for(2)[1], SIGNUP_PATTERN)
    assert first != second

    browser = app.test_client()
    browser.get(f"/partner/signup/{first}")
    assert flashes(browser.get("/partner/login")) == [messages.INVITATION_REVOKED]
    assert browser.get(f"/partner/signup/{second}").location == "/partner/signup"
    submit(browser, "/partner/signup", "/partner/signup")
    assert browser.get("/partner/dashboard").status_code == 200
    invited = audit_events(app, "admin.partner.invited")
    assert [e.details["earlier_revoked"] for e in invited] == [0, 1]


def test_an_expired_invitation_is_refused(app, client, admin, smtp, clock):
    invite(client)
    token = link_from(smtp.wait_for(1)[0], SIGNUP_PATTERN)
    clock.advance(hours=24, seconds=1)
    browser = app.test_client()
    browser.get(f"/partner/signup/{token}")
    assert flashes(browser.get("/partner/login")) == [messages.INVITATION_EXPIRED]
    assert not get_partner(app, "bob@globex.example").is_active
    assert audit_events(app, "partner.signup.failed")[0].details["reason"] == "expired"


def test_a_login_link_is_not_an_invitation_and_an_invitation_is_not_a_login_link(
    app, client, admin, smtp
):
    add_partner(app, "alice@acme.example")
    request_link(app.test_client(), "alice@acme.example")
    text = smtp.wait_for(1)[0].get_body(preferencelist=("plain",)).get_content()
    login_token = text.split("/partner/verify/")[1].split()[0]
    browser = app.test_client()
    browser.get(f"/partner/signup/{login_token}")
    assert flashes(browser.get("/partner/login")) == [messages.INVITATION_INVALID]

    invite(client)
    signup_token = link_from(smtp.wait_for(2)[1], SIGNUP_PATTERN)
    browser.get(f"/partner/verify/{signup_token}")
    assert flashes(browser.get("/partner/login")) == [messages.LINK_INVALID]


def test_accepting_without_opening_a_link_explains_what_to_do(client):
    response = client.get("/partner/signup")
    assert response.location == "/partner/login"
    assert flashes(client.get("/partner/login")) == [messages.INVITATION_NO_PENDING]


def test_inviting_an_existing_address_is_a_field_error(app, client, admin, smtp):
    add_partner(app, "alice@acme.example")
    response = invite(client, email="ALICE@acme.example")
    assert response.status_code == 400
    assert field_errors(response) == ["A partner with the email alice@acme.example already exists."]
    assert smtp.messages == []


def test_an_invitation_during_a_mail_outage_arrives_once_the_server_is_back(
    app, client, admin, smtp, clock
):
    port = app.extensions["mail"].port
    app.extensions["mail"].port = free_port()  # nothing listens there
    response = invite(client)
    assert flashes(client.get(response.location)) == [
        messages.PARTNER_INVITED.format(email="bob@globex.example", lifetime="24 hours")
    ]
    assert smtp.delivered() == []  # the worker tried and will try again
    (job,) = outbox_jobs(app)
    assert job.status == "queued"

    app.extensions["mail"].port = port
    clock.advance(seconds=30)
    token = link_from(smtp.wait_for(1)[0], SIGNUP_PATTERN)
    with app.app_context():
        rows = db.session.scalars(select(MagicLinkToken).order_by(MagicLinkToken.id)).all()
        # The link minted for the failed try died with it; the delivered one works.
        assert [row.revoked_at is not None for row in rows] == [True, False]
    assert app.test_client().get(f"/partner/signup/{token}").location == "/partner/signup"


def outbox_jobs(app):
    from partner_portal.models import OutboxJob

    with app.app_context():
        jobs = db.session.scalars(select(OutboxJob)).all()
        for job in jobs:
            db.session.expunge(job)
        return list(jobs)


def test_an_invitation_still_in_the_outbox_shows_as_pending(app, client, admin, smtp):
    response = invite(client)
    page = soup(client.get(response.location))
    text = page.get_text(" ", strip=True)
    assert "being sent" in text
    assert "Reactivate" not in [b.get_text(strip=True) for b in page.find_all("button")]
    smtp.wait_for(1)  # the worker sends it: now the link itself is shown
    text = soup(client.get(response.location)).get_text(" ", strip=True)
    assert "being sent" not in text
    assert "expires" in text


def test_an_invitation_whose_session_cannot_be_stored_spends_nothing(app, client, admin, smtp):
    """Spending the invitation, activating the partner and the session row are one transaction."""
    invite(client)
    token = link_from(smtp.wait_for(1)[0], SIGNUP_PATTERN)
    partner = app.test_client()
    partner.get(f"/partner/signup/{token}")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        db.session.execute(text("ALTER TABLE partner_sessions RENAME TO partner_sessions_away"))
        db.session.commit()
    try:
        failed = submit(partner, "/partner/signup", "/partner/signup")
    finally:
        with app.app_context():
            db.session.execute(text("ALTER TABLE partner_sessions_away RENAME TO partner_sessions"))
            db.session.commit()
    assert failed.status_code >= 500
    assert not get_partner(app, "bob@globex.example").is_active
    assert audit_events(app, "partner.signup") == []
    with app.app_context():
        assert db.session.scalar(select(MagicLinkToken.used_at)) is None

    # Nothing was lost: the same invitation works once the store is back.
    again = app.test_client()
    again.get(f"/partner/signup/{token}")
    accepted = submit(again, "/partner/signup", "/partner/signup")
    assert accepted.location == "/partner/dashboard"
    assert get_partner(app, "bob@globex.example").is_active
