"""Attacks on the self-service pages: IDOR, cross-account links, stolen sessions, CSRF.

Defences: every action is scoped to the signed-in partner (a session row is
found by id *and* owner); an emailed account link works only in a session of
the partner it was minted for, and is checked before it is spent; opening a
link only shows a confirmation page; changing the sign-in address needs a
sign-in from the last 15 minutes; every POST carries the CSRF token.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from partner_portal import messages
from partner_portal.extensions import db
from partner_portal.models import AuditEvent, MagicLinkToken, Partner, PartnerSession
from partner_portal.security import limits

from ..helpers import (
    add_partner,
    flashes,
    form_data,
    link_path_from,
    sign_in,
    submit,
    text_of,
)


@pytest.fixture
def alice_browser(app, smtp):
    add_partner(app, "alice@acme.example", name="Alice")
    client = app.test_client()
    sign_in(client, smtp, "alice@acme.example")
    return client


@pytest.fixture
def mallory(app, smtp):
    add_partner(app, "mallory@evil.example", name="Mallory")
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.66"
    sign_in(client, smtp, "mallory@evil.example")
    return client


def rows(app) -> list[PartnerSession]:
    with app.app_context():
        found = db.session.scalars(select(PartnerSession).order_by(PartnerSession.id)).all()
        for row in found:
            db.session.expunge(row)
        return list(found)


def email_of(app, partner_id: int) -> str:
    with app.app_context():
        return db.session.get(Partner, partner_id).email


def test_a_partner_cannot_end_another_partners_session(app, alice_browser, mallory):
    alices = next(r for r in rows(app) if r.partner_id == 1)
    csrf = form_data(mallory.get("/partner/account"), "/partner/account/sessions/end-others")
    response = mallory.post(f"/partner/account/sessions/{alices.id}/end", data=csrf)
    assert response.status_code == 303
    assert flashes(mallory.get("/partner/account")) == [messages.SESSION_NOT_FOUND]
    assert alice_browser.get("/partner/dashboard").status_code == 200


def test_sign_out_everywhere_else_touches_only_ones_own_sessions(app, alice_browser, mallory):
    submit(mallory, "/partner/account", "/partner/account/sessions/end-others")
    assert alice_browser.get("/partner/dashboard").status_code == 200


def mallory_change_link(app, smtp, mallory) -> str:  # noqa: ANN001
    before = len(smtp.delivered())
    submit(mallory, "/partner/account", "/partner/account/email", {"new_email": "m2@evil.example"})
    mails = smtp.wait_for(before + 2)[before:]
    return link_path_from(next(m for m in mails if m["To"] == "m2@evil.example"))


def test_an_email_change_link_works_only_for_its_own_partner(app, smtp, alice_browser, mallory):
    path = mallory_change_link(app, smtp, mallory)
    # Mallory tricks Alice into opening the link in her signed-in browser.
    response = alice_browser.get(path)
    assert response.location == "/partner/account"
    assert flashes(alice_browser.get("/partner/account")) == [messages.ACCOUNT_LINK_INVALID]
    assert email_of(app, 1) == "alice@acme.example"
    assert email_of(app, 2) == "mallory@evil.example"
    # The link was not spent by the refusal: its owner can still use it.
    mallory.get(path)
    submit(mallory, "/partner/account/email/confirm", "/partner/account/email/confirm")
    assert email_of(app, 2) == "m2@evil.example"


def test_an_account_link_opened_signed_out_asks_to_sign_in_and_keeps_the_token_out(
    app, smtp, mallory
):
    path = mallory_change_link(app, smtp, mallory)
    stranger = app.test_client()
    response = stranger.get(path)
    assert response.status_code == 303
    assert response.location == "/partner/login"  # no ?next= carrying the token
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert flashes(stranger.get("/partner/login")) == [messages.ACCOUNT_LINK_SIGN_IN_FIRST]
    with app.app_context():
        link = db.session.scalar(
            select(MagicLinkToken).where(MagicLinkToken.purpose == "email_link")
        )
        assert link.used_at is None


def test_a_deletion_link_is_not_a_sign_in_link_nor_the_other_way_round(app, smtp, alice_browser):
    before = len(smtp.delivered())
    submit(alice_browser, "/partner/account", "/partner/account/delete")
    alice_browser.get("/partner/account")  # reads the "we sent a link" note
    deletion = link_path_from(smtp.wait_for(before + 1)[-1])
    token = deletion.rsplit("/", 1)[1]
    stranger = app.test_client()
    stranger.get(f"/partner/verify/{token}")
    assert flashes(stranger.get("/partner/login")) == [messages.LINK_INVALID]
    response = alice_browser.get(f"/partner/account/email/verify/{token}")
    assert flashes(alice_browser.get("/partner/account")) == [messages.ACCOUNT_LINK_INVALID]
    assert response.location == "/partner/account"
    assert alice_browser.get("/partner/dashboard").status_code == 200


def test_a_stolen_session_cannot_quietly_move_the_account(app, smtp, alice_browser, clock):
    """A session cookie stolen hours after sign-in cannot point the account at a new address."""
    clock.advance(hours=3)
    thief = app.test_client()
    thief.set_cookie("partner.sid", alice_browser.get_cookie("partner.sid").value)
    page = thief.get("/partner/account")
    csrf = form_data(page, "/partner/account/sign-in-again")["csrf_token"]
    before = len(smtp.delivered())
    thief.post(
        "/partner/account/email", data={"csrf_token": csrf, "new_email": "thief@evil.example"}
    )
    assert flashes(thief.get("/partner/account")) == [messages.SIGN_IN_AGAIN]
    assert len(smtp.delivered()) == before
    with app.app_context():
        assert (
            db.session.scalar(
                select(AuditEvent).where(AuditEvent.action == "partner.email.change_requested")
            )
            is None
        )


@pytest.mark.parametrize(
    ("action", "fields"),
    [
        ("/partner/account/sessions/end-others", {}),
        ("/partner/account/email", {"new_email": "x@evil.example"}),
        ("/partner/account/delete", {}),
        ("/partner/account/sign-in-again", {}),
    ],
)
def test_account_posts_without_the_csrf_token_do_nothing(app, smtp, alice_browser, action, fields):
    before = len(smtp.delivered())
    response = alice_browser.post(action, data=fields)
    assert response.status_code == 303
    assert flashes(alice_browser.get("/partner/account")) == [messages.FORM_EXPIRED]
    assert alice_browser.get("/partner/dashboard").status_code == 200
    assert len(smtp.delivered()) == before


def test_an_email_change_confirmed_after_the_address_was_taken_is_refused(app, smtp, alice_browser):
    before = len(smtp.delivered())
    submit(
        alice_browser,
        "/partner/account",
        "/partner/account/email",
        {"new_email": "new@acme.example"},
    )
    mails = smtp.wait_for(before + 2)[before:]
    path = link_path_from(next(m for m in mails if m["To"] == "new@acme.example"))
    add_partner(app, "new@acme.example", name="Someone else")  # meanwhile, by an admin
    alice_browser.get(path)
    response = submit(
        alice_browser, "/partner/account/email/confirm", "/partner/account/email/confirm"
    )
    assert response.location == "/partner/account"
    assert flashes(alice_browser.get("/partner/account")) == [messages.EMAIL_UNAVAILABLE]
    assert email_of(app, 1) == "alice@acme.example"


def test_a_confirmation_page_without_a_pending_link_acts_on_nothing(app, alice_browser):
    for path in ("/partner/account/email/confirm", "/partner/account/delete/confirm"):
        response = alice_browser.get(path)
        assert response.location == "/partner/account"
        csrf = form_data(alice_browser.get("/partner/account"), "/partner/account/delete")
        response = alice_browser.post(path, data=csrf)
        assert response.location == "/partner/account"
    assert email_of(app, 1) == "alice@acme.example"
    assert alice_browser.get("/partner/dashboard").status_code == 200


def test_a_deleted_partners_links_and_cookies_are_dead(app, smtp, alice_browser):
    before = len(smtp.delivered())
    submit(alice_browser, "/partner/account", "/partner/account/delete")
    path = link_path_from(smtp.wait_for(before + 1)[-1])
    cookie = alice_browser.get_cookie("partner.sid").value
    alice_browser.get(path)
    submit(alice_browser, "/partner/account/delete/confirm", "/partner/account/delete/confirm")
    replay = app.test_client()
    replay.set_cookie("partner.sid", cookie)
    assert replay.get("/partner/dashboard").status_code == 302
    assert replay.get(path).location == "/partner/login"


def test_bad_account_links_are_audited_but_opening_them_counts_nothing(app, smtp, alice_browser):
    """Opening is a GET any page can cause; only a failed confirming POST is counted."""
    app.config["RATE_LIMIT_FAILURES_PER_IP"] = 2
    for _ in range(3):
        alice_browser.get("/partner/account/email/verify/" + "A" * 43)
    response = alice_browser.get("/partner/account/delete/verify/" + "B" * 43)
    assert response.status_code == 303
    assert set(flashes(alice_browser.get("/partner/account"))) == {messages.ACCOUNT_LINK_INVALID}
    with app.app_context():
        failed = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "partner.account_link.failed")
        ).all()
        assert len(failed) == 4
        assert limits.check_failures("127.0.0.1") is None


CANCEL_LINK = re.compile(r"http://localhost(/partner/account/email/cancel/[A-Za-z0-9_-]+)")


def thief_asks_to_move(app, smtp, thief) -> tuple[str, str]:  # noqa: ANN001
    """From a stolen session, ask to move the account; return (change link, cancel link) paths."""
    before = len(smtp.delivered())
    submit(thief, "/partner/account", "/partner/account/email", {"new_email": "thief@evil.example"})
    mails = smtp.wait_for(before + 2)[before:]
    notice = next(m for m in mails if m["To"] == "alice@acme.example")
    change = link_path_from(next(m for m in mails if m["To"] == "thief@evil.example"))
    found = CANCEL_LINK.search(text_of(notice))
    assert found, text_of(notice)
    assert found.group(0) in notice.get_body(preferencelist=("html",)).get_content()
    return change, found.group(1)


def test_the_old_address_cancels_a_change_it_did_not_ask_for(app, smtp, alice_browser):
    """A thief holding Alice's session asks to move her account; her mailbox says no."""
    thief = alice_browser
    change, cancel = thief_asks_to_move(app, smtp, thief)
    real_alice = app.test_client()
    real_alice.environ_base["REMOTE_ADDR"] = "198.51.100.7"

    opened = real_alice.get(cancel)  # a mail scanner may do this too: nothing happens
    assert opened.location == "/partner/account/email/cancel"
    assert opened.headers["Referrer-Policy"] == "no-referrer"
    page = real_alice.get("/partner/account/email/cancel")
    assert "thief@evil.example" in page.get_data(as_text=True)
    assert thief.get("/partner/dashboard").status_code == 200

    response = submit(real_alice, "/partner/account/email/cancel", "/partner/account/email/cancel")
    assert response.location == "/partner/login"
    assert flashes(real_alice.get("/partner/login")) == [messages.EMAIL_CHANGE_CANCELLED]
    assert thief.get("/partner/dashboard").status_code == 302  # every session ended
    with app.app_context():
        change_link = db.session.scalars(
            select(MagicLinkToken).where(MagicLinkToken.email == "thief@evil.example")
        ).one()
        assert change_link.revoked_at is not None
        (event,) = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "partner.email.change_cancelled")
        ).all()
        assert event.partner_id == 1
        assert event.ip_address == "198.51.100.7"
        assert event.details["sessions_ended"] == 1
        assert event.details["links_revoked"] == 1
    assert email_of(app, 1) == "alice@acme.example"
    assert real_alice.get(cancel).location == "/partner/login"  # used once


def test_a_change_already_made_cannot_be_cancelled_by_the_old_link(app, smtp, alice_browser):
    change, cancel = thief_asks_to_move(app, smtp, alice_browser)
    alice_browser.get(change)
    submit(alice_browser, "/partner/account/email/confirm", "/partner/account/email/confirm")
    assert email_of(app, 1) == "thief@evil.example"
    other = app.test_client()
    assert other.get(cancel).location == "/partner/login"
    assert flashes(other.get("/partner/login")) == [messages.EMAIL_CHANGE_CANCEL_INVALID]
