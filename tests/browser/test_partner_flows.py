"""A partner's whole journey, in Chromium, against the real server and a real SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from partner_portal import actors, clock, messages, partners
from partner_portal.extensions import db
from partner_portal.models import ComponentStatus, Incident, IncidentImpact, IncidentStatus
from partner_portal.security import tokens
from partner_portal.security.purposes import Purpose

from .journeys import link_in, message_for, request_link


@pytest.fixture(scope="module")
def seeded(live_portal):
    """Dana can see the Checkout page (one degraded component, an open incident)."""
    with live_portal.app.app_context():
        dana = partners.create_partner(actors.SYSTEM, "dana@acme.example", "Dana Scully", "Acme")
        erin = partners.create_partner(actors.SYSTEM, "erin@acme.example", "Erin Brock", "Acme")
        page = partners.add_page("checkout", name="Checkout", description="Carts and payments.")
        partners.add_component(page, "Cart", ComponentStatus.OPERATIONAL)
        partners.add_component(page, "Payments", ComponentStatus.DEGRADED_PERFORMANCE)
        hidden = partners.add_page("internal-tools", name="Internal Tools")
        partners.grant_access(actors.SYSTEM, dana, page)
        partners.grant_access(actors.SYSTEM, erin, hidden)
        db.session.add(
            Incident(
                page=page,
                title="Slow payment confirmations",
                impact=IncidentImpact.MINOR,
                status=IncidentStatus.MONITORING,
                started_at=clock.now() - timedelta(minutes=30),
                updated_at=clock.now(),
            )
        )
        db.session.commit()
    return live_portal


def test_partner_signs_in_sees_their_pages_and_signs_out(page, seeded, smtp):
    request_link(page, seeded, "dana@acme.example")
    assert messages.LOGIN_LINK_REQUESTED in page.content()

    link = link_in(message_for(smtp, "dana@acme.example"))
    page.goto(link)
    assert page.url == seeded.path("/partner/verify")  # the token left the address bar
    assert "Dana Scully" in page.inner_text("main")
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(seeded.path("/partner/dashboard"))
    cards = page.locator(".page-card h2")
    assert cards.all_inner_texts() == ["Checkout"]  # not Internal Tools
    assert "Degraded performance" in page.inner_text(".page-card")
    page.get_by_role("link", name="Checkout").click()

    page.wait_for_url(seeded.path("/partner/status/checkout"))
    names = page.locator(".component .component-name").all_inner_texts()
    assert names == ["Cart", "Payments"]
    assert "Slow payment confirmations" in page.inner_text("main")
    assert page.goto(seeded.path("/partner/status/internal-tools")).status == 404

    page.goto(seeded.path("/partner/dashboard"))
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(seeded.path("/partner/login"))
    assert messages.SIGNED_OUT in page.inner_text(".flashes")
    page.goto(seeded.path("/partner/dashboard"))
    assert page.url.startswith(seeded.path("/partner/login"))


def test_a_used_link_is_refused_and_offers_a_fresh_one(page, seeded, smtp):
    request_link(page, seeded, "dana@acme.example")
    link = link_in(message_for(smtp, "dana@acme.example"))
    page.goto(link)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(seeded.path("/partner/dashboard"))

    other = page.context.browser.new_context().new_page()
    other.goto(link)
    assert other.url == seeded.path("/partner/login")
    assert messages.LINK_USED in other.inner_text(".flashes")
    # Whose link it was is not shown; one button asks for a fresh one for its owner.
    assert other.get_by_label("Email address").input_value() == ""
    assert "dana@acme.example" not in other.content()
    assert other.get_by_role("button", name=messages.LINK_FRESH_OFFER).is_visible()
    other.context.close()


def test_an_expired_link_lands_on_login_with_one_click_to_a_new_one(page, seeded, smtp):
    with seeded.app.app_context():
        partner = partners.get_partner("erin@acme.example")
        minted = tokens.mint_token(
            email=partner.email,
            purpose=Purpose.LOGIN,
            lifetime=timedelta(seconds=1),
            partner_id=partner.id,
        )
        minted.token.expires_at = clock.now() - timedelta(minutes=1)
        db.session.commit()
    page.goto(seeded.path(f"/partner/verify/{minted.raw}"))
    assert page.url == seeded.path("/partner/login")
    assert messages.LINK_EXPIRED in page.inner_text(".flashes")
    assert smtp.messages == []  # never sent by itself
    page.get_by_role("button", name=messages.LINK_FRESH_OFFER).click()  # the one click
    page.get_by_role("heading", name="Check your email").wait_for()
    assert message_for(smtp, "erin@acme.example")["Subject"].endswith("Access Link")


def test_the_one_time_code_signs_in_the_browser_that_asked_and_no_other(page, seeded, smtp):
    since = len(smtp.messages)
    request_link(page, seeded, "dana@acme.example")
    message = message_for(smtp, "dana@acme.example", since=since)
    text = message.get_body(preferencelist=("plain",)).get_content()
    code = re.search(r"\b([A-Z2-9]{4}-[A-Z2-9]{4})\b", text).group(1)

    # Another browser (a phone, a colleague) cannot use it: the code is tied to this one.
    other = page.context.browser.new_context().new_page()
    other.goto(seeded.path("/partner/login/sent"))
    assert other.get_by_label("Code").count() == 0
    other.context.close()

    page.get_by_label("Code").fill(code.lower().replace("-", " "))  # typed loosely
    page.get_by_role("button", name="Sign in with the code").click()
    page.wait_for_url(seeded.path("/partner/dashboard"))
    assert page.locator(".page-card h2").all_inner_texts() == ["Checkout"]
    # The code spent the link too.
    elsewhere = page.context.browser.new_context().new_page()
    elsewhere.goto(link_in(message))
    assert elsewhere.url == seeded.path("/partner/login")
    assert messages.LINK_USED in elsewhere.inner_text(".flashes")
    elsewhere.context.close()
