"""Rendered pages are reused, but never once a write has committed: not in another process either.

The status page, incident page and dashboard cards are rendered once per page
version and audience (portal/pagecache.py). Every write that changes what a
page shows bumps its version in the write's own transaction.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from partner_portal import incidents, maintenance, statuspages
from partner_portal.actors import CLI
from partner_portal.extensions import db
from partner_portal.models import Component, ComponentStatus, StatusPage
from partner_portal.portal import pagecache
from partner_portal.visibility import PageRef, Scope

from .conftest import free_port
from .helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    add_admin,
    add_page,
    add_partner,
    grant,
    sign_in,
    soup,
    token_from,
)
from .servers import Browser, gunicorn, send_pending, server_environment

OK = ComponentStatus.OPERATIONAL


def version(app, slug: str = "payments-api") -> int:
    with app.app_context():
        return db.session.scalar(select(StatusPage.version).where(StatusPage.slug == slug))


@pytest.fixture
def alice_browser(app, smtp):
    add_partner(app, "alice@acme.example")
    add_page(app, "payments-api", "Payments API", [("Cards", OK), ("Webhooks", OK)])
    add_page(app, "other", "Other", [("X", OK)])
    grant(app, "alice@acme.example", "payments-api")
    browser = app.test_client()
    sign_in(browser, smtp, "alice@acme.example")
    return browser


def test_every_kind_of_write_bumps_the_page_version_and_shows_at_once(app, alice_browser, clock):
    def page_text() -> str:
        return soup(alice_browser.get("/partner/status/payments-api")).get_text(" ", strip=True)

    def cards() -> str:
        return soup(alice_browser.get("/partner/dashboard")).get_text(" ", strip=True)

    page_text(), cards()  # rendered and cached
    other = version(app, "other")
    writes = []
    with app.app_context():
        page = statuspages.get_page("payments-api")
        cards_component = page.components[0]

        def check(expected_on_page: str) -> None:
            db.session.expire_all()
            writes.append(version(app))
            assert expected_on_page in page_text()

        statuspages.update_component(CLI, cards_component, "Cards", "major_outage")
        check("Major outage")
        assert "Major outage" in cards()
        statuspages.update_page(CLI, page, "Payments", "Card payments.")
        check("Card payments.")
        incident = incidents.open_incident(
            CLI, page, title="Slow cards", impact="minor", components=[cards_component]
        )
        check("Slow cards")
        assert "1 open incident" in cards()
        incidents.post_update(CLI, incident, status="monitoring", message="Watching closely.")
        check("Watching closely.")
        incidents.edit_incident(CLI, incident, title="Slow card payments", impact="major")
        check("Slow card payments")
        maintenance.schedule(
            CLI,
            page,
            title="Upgrade",
            start=clock.at + timedelta(hours=1),
            end=clock.at + timedelta(hours=2),
        )
        check("Upgrade")
        assert "Maintenance scheduled" in cards()
        # A Core transition (the conditional UPDATE) bumps it too.
        clock.advance(hours=1)
        maintenance.advance(clock.at)
        check("In progress")
        statuspages.create_component(CLI, page, "Refunds", "operational")
        check("Refunds")
        incidents.delete_incident(CLI, incident)
        db.session.expire_all()
        writes.append(version(app))
        assert "Slow card payments" not in page_text()
    assert writes == sorted(set(writes)), writes  # each write a new version
    assert version(app, "other") == other  # another page's renders stay valid


def test_renders_are_kept_per_audience(app, alice_browser, clock):
    with app.test_request_context():
        page = statuspages.get_page("payments-api")
        cards, webhooks = (component.id for component in page.components)
        incidents.open_incident(
            CLI,
            page,
            title="Webhooks only",
            impact="minor",
            components=[db.session.get(Component, webhooks)],
        )
        ref = PageRef(page.id, page.slug, page.name, page.description)
        current = version(app)
        everyone = pagecache.status_body(Scope(ref, current), clock.at, "/x")
        only_cards = pagecache.status_body(
            Scope(ref, current, components=frozenset({cards})), clock.at, "/x"
        )
    assert "Webhooks only" in everyone
    assert "Webhooks only" not in only_cards
    assert "Webhooks" not in soup_text(only_cards)


def soup_text(html: str) -> str:
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser").get_text(" ", strip=True)


@pytest.fixture
def environment(app, smtp_server, tmp_path) -> dict[str, str]:
    controller, _ = smtp_server
    return server_environment(
        app.config["SQLALCHEMY_DATABASE_URI"],
        (controller.hostname, controller.port),
        str(tmp_path / "instance"),
    )


def test_a_write_on_one_server_shows_on_the_other_at_once(app, smtp, environment, tmp_path):
    """Two gunicorn servers of two workers each share only the database: a partner reads
    on one, an admin writes on the other; the very next read shows the write."""
    add_admin(app)
    add_partner(app, "alice@acme.example")
    add_page(app, "payments-api", "Payments API", [("Cards", OK)])
    grant(app, "alice@acme.example", "payments-api")
    with app.app_context():
        page_id = statuspages.get_page("payments-api").id
    reader_port, writer_port = free_port(), free_port()

    with (
        gunicorn(reader_port, environment, workers=2, log_dir=str(tmp_path)),
        gunicorn(writer_port, environment, workers=2, log_dir=str(tmp_path)),
    ):
        partner = Browser(reader_port)
        partner.submit("/partner/login", "/partner/login", {"email": "alice@acme.example"})
        send_pending(environment)
        token = token_from(smtp.wait_until(lambda messages: messages and messages[-1]))
        partner.get(f"/partner/verify/{token}")
        assert partner.submit("/partner/verify", "/partner/verify").status == 303

        admin = Browser(writer_port)
        signed = admin.submit(
            "/admin/login", "/admin/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        assert signed.status == 303

        def reads(path: str = "/partner/status/payments-api") -> list[str]:
            # Several reads: both workers of the reading server answer, each with its cache.
            return [partner.get(path).body for _ in range(6)]

        assert all("No open incidents." in body for body in reads())
        new = f"/admin/pages/{page_id}/incidents/new"
        opened = admin.submit(
            new,
            new,
            {
                "title": "Card declines",
                "impact": "major",
                "status": "investigating",
                "message": "Looking.",
            },
        )
        assert opened.status == 303
        assert all("Card declines" in body for body in reads())
        assert all("1 open incident" in body for body in reads("/partner/dashboard"))

        incident = opened.location
        for step in range(3):
            message = f"Update number {step}."
            posted = admin.submit(
                incident, f"{incident}/updates", {"status": "identified", "message": message}
            )
            assert posted.status == 303
            assert all(message in body for body in reads())
            incident_path = f"/partner/status/payments-api/incidents/{incident.rsplit('/', 1)[-1]}"
            assert all(message in body for body in reads(incident_path))

        resolved = admin.submit(
            incident, f"{incident}/resolve", {"message": "All good.", "component_status": ""}
        )
        assert resolved.status == 303
        assert all("No open incidents." in body for body in reads())
        assert all("no open incidents" in body for body in reads("/partner/dashboard"))
