"""Admins grant and revoke partners' access to pages, optionally until a date."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from partner_portal import messages
from partner_portal.extensions import db
from partner_portal.models import AccessGrant

from .helpers import (
    add_page,
    add_partner,
    audit_events,
    flashes,
    grant,
    sign_in,
    soup,
    submit,
)


@pytest.fixture
def setup(app, smtp):
    """Alice, signed in, and two pages she cannot see yet."""
    partner_id = add_partner(app, "alice@acme.example", name="Alice Martin")
    payments = add_page(app, "payments-api", name="Payments API")
    eu = add_page(app, "eu-region", name="EU Region")
    browser = app.test_client()
    sign_in(browser, smtp, "alice@acme.example")
    return {"partner": partner_id, "payments": payments, "eu": eu, "alice": browser}


def grants(app) -> list[tuple[int, int, datetime | None]]:
    with app.app_context():
        return [
            (g.partner_id, g.page_id, g.expires_at)
            for g in db.session.scalars(select(AccessGrant).order_by(AccessGrant.id))
        ]


def test_granting_from_the_partner_page_until_a_date(app, client, admin, setup, clock, smtp):
    partner_page = f"/admin/partners/{setup['partner']}"
    response = submit(
        client,
        partner_page,
        "/admin/grants",
        {"page_id": str(setup["payments"]), "until": "2026-12-31"},
    )
    assert response.location == partner_page
    assert flashes(client.get(partner_page)) == [
        messages.ACCESS_GRANTED.format(
            email="alice@acme.example", page="Payments API", until=" through 2026-12-31"
        )
    ]
    assert grants(app) == [(setup["partner"], setup["payments"], datetime(2027, 1, 1, tzinfo=UTC))]
    assert setup["alice"].get("/partner/status/payments-api").status_code == 200
    (event,) = audit_events(app, "admin.access.granted")
    assert event.admin_id == admin
    assert event.details["until"] == "2027-01-01T00:00:00+00:00"

    # What they can see, and why: the grant, since when, until when.
    row = soup(client.get(partner_page)).find("a", string="Payments API").find_parent("tr")
    cells = [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
    assert cells[1] == "21 Nov 2026, 09:30 UTC"
    assert cells[2] == "01 Jan 2027, 00:00 UTC"
    assert cells[3] == "Visible"

    # Through the last day, and not a moment longer.
    clock.set(datetime(2026, 12, 31, 23, 50, tzinfo=UTC))
    browser = app.test_client()
    sign_in(browser, smtp, "alice@acme.example")
    assert browser.get("/partner/status/payments-api").status_code == 200
    clock.set(datetime(2027, 1, 1, 0, 0, tzinfo=UTC))
    assert browser.get("/partner/status/payments-api").status_code == 404


def test_granting_from_the_page_and_seeing_who_can_see_it(app, client, admin, setup):
    add_partner(app, "bob@globex.example", name="Bob Okafor")
    page_url = f"/admin/pages/{setup['eu']}"
    submit(client, page_url, "/admin/grants", {"partner_id": str(setup["partner"])})
    assert grants(app) == [(setup["partner"], setup["eu"], None)]
    section = soup(client.get(page_url)).find(id="access-heading").parent
    text = section.get_text(" ", strip=True)
    assert "Alice Martin" in text
    assert "No end date" in text
    assert "Bob Okafor" not in section.find("table").get_text()
    assert "EU Region" in setup["alice"].get("/partner/dashboard").get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"until": "2026-11-20"}, messages.DATE_IN_PAST),
        ({"until": "next tuesday"}, messages.INVALID_DATE),
        ({"page_id": "999"}, "Not a valid choice."),
        ({"page_id": "abc"}, "Invalid Choice: could not coerce."),
    ],
)
def test_bad_grant_input_is_explained_and_grants_nothing(
    app, client, admin, setup, fields, expected
):
    partner_page = f"/admin/partners/{setup['partner']}"
    data = {"page_id": str(setup["payments"]), "until": ""}
    data.update(fields)
    response = submit(client, partner_page, "/admin/grants", data)
    assert response.status_code == 303
    messages_shown = flashes(client.get(response.location))
    assert len(messages_shown) == 1
    assert messages_shown[0].endswith(expected)
    assert grants(app) == []


def test_regranting_changes_the_end_date(app, client, admin, setup):
    grant(app, "alice@acme.example", "payments-api")
    partner_page = f"/admin/partners/{setup['partner']}"
    submit(
        client,
        partner_page,
        "/admin/grants",
        {"page_id": str(setup["payments"]), "until": "2027-03-31"},
    )
    assert grants(app) == [(setup["partner"], setup["payments"], datetime(2027, 4, 1, tzinfo=UTC))]


def test_revoking_access_after_confirmation(app, client, admin, setup):
    grant(app, "alice@acme.example", "payments-api")
    assert setup["alice"].get("/partner/status/payments-api").status_code == 200
    partner_page = f"/admin/partners/{setup['partner']}"
    revoke = soup(client.get(partner_page)).find("a", string="Revoke…")["href"]
    confirmation = client.get(revoke)
    assert "Stop alice@acme.example seeing Payments API?" in confirmation.get_data(as_text=True)
    assert grants(app) != []

    response = submit(client, revoke, revoke.split("?")[0])

    assert response.location == partner_page
    assert grants(app) == []
    assert setup["alice"].get("/partner/status/payments-api").status_code == 404
    (event,) = audit_events(app, "admin.access.revoked")
    assert (event.admin_id, event.details["page"]) == (admin, "payments-api")


def test_revoke_never_redirects_off_the_console(app, client, admin, setup):
    grant(app, "alice@acme.example", "payments-api")
    with app.app_context():
        grant_id = db.session.scalar(select(AccessGrant.id))
    url = f"/admin/grants/{grant_id}/revoke?return_to=https://evil.example/"
    response = submit(client, url, url.split("?")[0], {"return_to": "https://evil.example/"})
    assert response.location == f"/admin/partners/{setup['partner']}"
