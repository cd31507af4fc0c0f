"""What a signed-in partner sees: exactly their pages, nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest

from partner_portal import messages
from partner_portal.extensions import db
from partner_portal.models import (
    ComponentStatus,
    Incident,
    IncidentImpact,
    IncidentStatus,
    IncidentUpdate,
)

from .helpers import add_page, add_partner, flashes, grant, sign_in, soup

OK = ComponentStatus.OPERATIONAL


@pytest.fixture
def alice_browser(app, client, smtp):
    """Alice, signed in, granted payments-api and data-platform but not eu-region."""
    add_partner(app, "alice@acme.example", name="Alice Martin")
    add_partner(app, "bob@globex.example", name="Bob Okafor")
    add_page(
        app,
        "payments-api",
        "Payments API",
        [("Card authorisation", ComponentStatus.DEGRADED_PERFORMANCE), ("Refunds", OK)],
    )
    add_page(app, "data-platform", "Data Platform", [("Exports", OK)])
    add_page(app, "eu-region", "EU Region", [("Frankfurt", ComponentStatus.MAJOR_OUTAGE)])
    grant(app, "alice@acme.example", "payments-api")
    grant(app, "alice@acme.example", "data-platform")
    grant(app, "bob@globex.example", "eu-region")
    sign_in(client, smtp, "alice@acme.example")
    return client


def add_incident(app, slug: str, title: str, *, resolved_days_ago: int | None = None) -> None:
    from partner_portal import clock, partners

    with app.app_context():
        now = clock.now()
        page = partners.get_page(slug)
        incident = Incident(
            page=page,
            title=title,
            impact=IncidentImpact.MAJOR,
            status=IncidentStatus.INVESTIGATING,
            started_at=now - timedelta(hours=1),
            updated_at=now,
        )
        incident.updates = [
            IncidentUpdate(status=IncidentStatus.INVESTIGATING, message=f"{title}: looking")
        ]
        if resolved_days_ago is not None:
            incident.status = IncidentStatus.RESOLVED
            incident.resolved_at = now - timedelta(days=resolved_days_ago)
        db.session.add(incident)
        db.session.commit()


def test_root_sends_visitors_to_login_and_partners_to_the_dashboard(app, client, alice_browser):
    assert app.test_client().get("/").location == "/partner/login"
    assert alice_browser.get("/").location == "/partner/dashboard"


def test_dashboard_lists_exactly_the_granted_pages_with_their_status(alice_browser):
    page = soup(alice_browser.get("/partner/dashboard"))
    cards = page.select(".page-card")
    assert [card.h2.get_text(strip=True) for card in cards] == ["Data Platform", "Payments API"]
    statuses = [card.select_one(".badge").get_text(strip=True) for card in cards]
    assert statuses == ["Operational", "Degraded performance"]
    assert "EU Region" not in page.get_text()


def test_expired_grants_disappear_from_the_dashboard(app, alice_browser, clock):
    grant(app, "alice@acme.example", "data-platform", until=clock.at + timedelta(hours=2))
    assert "Data Platform" in alice_browser.get("/partner/dashboard").get_data(as_text=True)
    clock.advance(hours=2)
    assert "Data Platform" not in alice_browser.get("/partner/dashboard").get_data(as_text=True)
    assert alice_browser.get("/partner/status/data-platform").status_code == 404


def test_status_page_shows_components_open_and_recently_resolved_incidents(app, alice_browser):
    add_incident(app, "payments-api", "Slow card authorisations")
    add_incident(app, "payments-api", "Refund backlog", resolved_days_ago=2)
    add_incident(app, "payments-api", "Ancient history", resolved_days_ago=30)

    page = soup(alice_browser.get("/partner/status/payments-api"))

    rows = [
        (
            item.select_one(".component-name").get_text(strip=True),
            item.select_one(".badge").get_text(strip=True),
        )
        for item in page.select(".components .component")
    ]
    assert rows == [("Card authorisation", "Degraded performance"), ("Refunds", "Operational")]
    open_section = page.find("section", attrs={"aria-labelledby": "open-heading"})
    resolved_section = page.find("section", attrs={"aria-labelledby": "resolved-heading"})
    assert [h.get_text() for h in open_section.find_all("h3")] == ["Slow card authorisations"]
    assert "Slow card authorisations: looking" in open_section.get_text()
    assert [h.get_text() for h in resolved_section.find_all("h3")] == ["Refund backlog"]
    assert "Ancient history" not in page.get_text()


def test_a_page_not_granted_is_exactly_like_one_that_does_not_exist(alice_browser):
    not_granted = alice_browser.get("/partner/status/eu-region")
    missing = alice_browser.get("/partner/status/no-such-page")
    assert not_granted.status_code == missing.status_code == 404
    assert not_granted.get_data() == missing.get_data()


def test_names_from_the_database_are_escaped(app, alice_browser):
    from partner_portal import partners

    with app.app_context():
        page = partners.get_page("payments-api")
        partners.add_component(page, "<script>alert(1)</script>", OK)
        db.session.commit()
    html = alice_browser.get("/partner/status/payments-api").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    "url", ["/partner/dashboard", "/partner/status/payments-api", "/partner/status/x"]
)
def test_every_partner_page_redirects_anonymous_visitors_to_login(app, client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.location.startswith("/partner/login?next=")
    assert flashes(client.get(response.location)) == [messages.LOGIN_REQUIRED]


def test_pages_are_never_cached(alice_browser):
    response = alice_browser.get("/partner/dashboard")
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
