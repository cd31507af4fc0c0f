"""Admins run status pages: pages, components, incidents; partners see changes at once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from partner_portal import messages
from partner_portal.extensions import db
from partner_portal.models import Component, Incident, StatusPage

from .helpers import (
    add_page,
    add_partner,
    audit_events,
    field_errors,
    flashes,
    form_data,
    get_page,
    grant,
    sign_in,
    soup,
    submit,
)


@pytest.fixture
def alice_browser(app, smtp):
    """A partner granted payments-api, signed in on her own browser."""
    add_partner(app, "alice@acme.example")
    add_page(app, "payments-api", name="Payments API", components=[("Cards", "operational")])
    grant(app, "alice@acme.example", "payments-api")
    browser = app.test_client()
    sign_in(browser, smtp, "alice@acme.example")
    return browser


def partner_view(browser) -> str:
    return soup(browser.get("/partner/status/payments-api")).get_text(" ", strip=True)


def component_names(app, slug: str) -> list[str]:
    with app.app_context():
        page = db.session.scalar(select(StatusPage).where(StatusPage.slug == slug))
        return [component.name for component in page.components]


def confirm_action(client, url: str):
    assert client.get(url).status_code == 200
    return submit(client, url, url)


# -- pages -------------------------------------------------------------------


def test_admin_creates_a_status_page(app, client, admin):
    response = submit(
        client,
        "/admin/pages/new",
        "/admin/pages/new",
        {"slug": "data-platform", "name": "Data Platform", "description": "Exports."},
    )
    page = get_page(app, "data-platform")
    assert response.location == f"/admin/pages/{page.id}"
    assert flashes(client.get(response.location)) == [
        messages.PAGE_CREATED.format(name="Data Platform")
    ]
    assert (page.name, page.description) == ("Data Platform", "Exports.")
    (event,) = audit_events(app, "admin.page.created")
    assert event.admin_id == admin
    assert event.details["page"] == "data-platform"


@pytest.mark.parametrize(
    ("fields", "field_name"),
    [
        ({"slug": "Not A Slug!"}, "slug"),
        ({"slug": "payments-api"}, "slug"),
        ({"slug": ""}, "slug"),
        ({"name": ""}, "name"),
        ({"name": "Tab\there"}, "name"),
    ],
)
def test_bad_page_input_gets_a_field_error(app, client, admin, fields, field_name):
    add_page(app, "payments-api")
    data = {"slug": "new-page", "name": "New page", "description": ""}
    data.update(fields)
    response = submit(client, "/admin/pages/new", "/admin/pages/new", data)
    assert response.status_code == 400
    page = soup(response)
    field = page.find(attrs={"name": field_name})
    assert field["aria-invalid"] == "true"
    assert len(field_errors(response)) == 1
    with app.app_context():
        assert db.session.query(StatusPage).count() == 1


def test_editing_a_page_shows_partners_the_new_name(app, client, admin, alice_browser):
    page_id = get_page(app, "payments-api").id
    url = f"/admin/pages/{page_id}/edit"
    submit(client, url, url, {"name": "Payments", "description": "Cards and payouts."})
    assert "Cards and payouts." in partner_view(alice_browser)
    assert get_page(app, "payments-api").name == "Payments"
    assert len(audit_events(app, "admin.page.updated")) == 1


def test_deleting_a_page_removes_it_from_partners_at_once(app, client, admin, alice_browser):
    page_id = get_page(app, "payments-api").id
    response = confirm_action(client, f"/admin/pages/{page_id}/delete")
    assert response.location == "/admin/pages"
    assert alice_browser.get("/partner/status/payments-api").status_code == 404
    assert "Payments API" not in alice_browser.get("/partner/dashboard").get_data(as_text=True)
    (event,) = audit_events(app, "admin.page.deleted")
    assert (event.admin_id, event.severity) == (admin, "warning")


# -- components --------------------------------------------------------------


def test_adding_renaming_and_setting_the_status_of_components(app, client, admin, alice_browser):
    page_id = get_page(app, "payments-api").id
    show = f"/admin/pages/{page_id}"
    submit(
        client,
        show,
        f"/admin/pages/{page_id}/components",
        {"name": "Refunds", "status": "partial_outage"},
    )
    assert component_names(app, "payments-api") == ["Cards", "Refunds"]
    assert "Refunds Partial outage" in partner_view(alice_browser)

    with app.app_context():
        refunds = db.session.scalar(select(Component.id).where(Component.name == "Refunds"))
    # The quick "set status" form on the page.
    submit(client, show, f"/admin/components/{refunds}", {"status": "operational"})
    assert "Refunds Operational" in partner_view(alice_browser)
    # The rename form.
    url = f"/admin/components/{refunds}"
    submit(client, url, url, {"name": "Refunds and chargebacks", "status": "major_outage"})
    assert "Refunds and chargebacks Major outage" in partner_view(alice_browser)

    actions = [e.action for e in audit_events(app) if e.action.startswith("admin.component")]
    assert actions == ["admin.component.created"] + ["admin.component.updated"] * 2
    last = audit_events(app, "admin.component.updated")[-1]
    assert last.details["changes"] == {
        "name": ["Refunds", "Refunds and chargebacks"],
        "status": ["operational", "major_outage"],
    }


def test_reordering_components(app, client, admin, alice_browser):
    page_id = add_page(
        app, "eu-region", components=[("Frankfurt", "operational"), ("Dublin", "operational")]
    )
    with app.app_context():
        dublin = db.session.scalar(select(Component.id).where(Component.name == "Dublin"))
    show = f"/admin/pages/{page_id}"
    submit(client, show, f"/admin/components/{dublin}/move", {"direction": "up"})
    assert component_names(app, "eu-region") == ["Dublin", "Frankfurt"]
    # Already first: nothing moves, nothing is audited.
    submit(client, show, f"/admin/components/{dublin}/move", {"direction": "up"})
    assert component_names(app, "eu-region") == ["Dublin", "Frankfurt"]
    submit(client, show, f"/admin/components/{dublin}/move", {"direction": "sideways"})
    assert component_names(app, "eu-region") == ["Dublin", "Frankfurt"]
    assert len(audit_events(app, "admin.component.moved")) == 1


def test_deleting_a_component(app, client, admin, alice_browser):
    with app.app_context():
        cards = db.session.scalar(select(Component.id))
    confirm_action(client, f"/admin/components/{cards}/delete")
    assert component_names(app, "payments-api") == []
    assert "No components are listed" in partner_view(alice_browser)
    assert len(audit_events(app, "admin.component.deleted")) == 1


def test_bad_component_input_is_a_field_error(app, client, admin, alice_browser):
    page_id = get_page(app, "payments-api").id
    response = submit(
        client,
        f"/admin/pages/{page_id}",
        f"/admin/pages/{page_id}/components",
        {"name": "", "status": "on_fire"},
    )
    assert response.status_code == 400
    assert len(field_errors(response)) == 2
    assert component_names(app, "payments-api") == ["Cards"]


# -- incidents ---------------------------------------------------------------


def test_an_incident_from_opening_to_resolution(app, client, admin, alice_browser, clock):
    page_id = get_page(app, "payments-api").id
    response = submit(
        client,
        f"/admin/pages/{page_id}/incidents/new",
        f"/admin/pages/{page_id}/incidents/new",
        {
            "title": "Card declines",
            "impact": "major",
            "status": "investigating",
            "message": "Some cards are declined.",
        },
    )
    with app.app_context():
        incident_id = db.session.scalar(select(Incident.id))
    assert response.location == f"/admin/incidents/{incident_id}"
    view = partner_view(alice_browser)
    assert "Card declines" in view
    assert "Some cards are declined." in view

    clock.advance(minutes=10)
    show = f"/admin/incidents/{incident_id}"
    submit(
        client,
        show,
        f"{show}/updates",
        {"status": "identified", "message": "A faulty node is the cause."},
    )
    assert "A faulty node is the cause." in partner_view(alice_browser)

    submit(
        client, f"{show}/edit", f"{show}/edit", {"title": "Card declines in EU", "impact": "minor"}
    )
    clock.advance(minutes=10)
    resolved = submit(client, show, f"{show}/resolve", {"message": "All cards work again."})
    assert flashes(client.get(resolved.location)) == [
        messages.INCIDENT_RESOLVED.format(title="Card declines in EU")
    ]
    partner_page = soup(alice_browser.get("/partner/status/payments-api"))
    resolved_section = partner_page.find(id="resolved-heading").parent
    assert "Card declines in EU" in resolved_section.get_text()
    assert "All cards work again." in resolved_section.get_text()
    assert "No open incidents." in partner_page.get_text()

    actions = [e.action for e in audit_events(app) if e.action.startswith("admin.incident")]
    assert actions == [
        "admin.incident.opened",
        "admin.incident.updated",
        "admin.incident.edited",
        "admin.incident.resolved",
    ]
    assert {e.admin_id for e in audit_events(app) if e.action.startswith("admin.")} == {admin}

    # A second "resolve" (say from a stale tab) is refused gracefully.
    data = form_data(client.get(show), f"{show}/updates")
    again = client.post(f"{show}/resolve", data={"csrf_token": data["csrf_token"], "message": "x"})
    assert flashes(client.get(again.location)) == [messages.INCIDENT_ALREADY_RESOLVED]
    with app.app_context():
        assert len(db.session.get(Incident, incident_id).updates) == 3


def test_an_incident_needs_a_title_and_a_message(app, client, admin, alice_browser):
    page_id = get_page(app, "payments-api").id
    url = f"/admin/pages/{page_id}/incidents/new"
    response = submit(
        client, url, url, {"title": "", "impact": "major", "status": "resolved", "message": ""}
    )
    assert response.status_code == 400
    assert len(field_errors(response)) == 3  # title, status, message
    with app.app_context():
        assert db.session.scalar(select(Incident.id)) is None


def test_deleting_an_incident(app, client, admin, alice_browser):
    page_id = get_page(app, "payments-api").id
    url = f"/admin/pages/{page_id}/incidents/new"
    submit(client, url, url, {"title": "Oops", "message": "Entered by mistake."})
    with app.app_context():
        incident_id = db.session.scalar(select(Incident.id))
    confirm_action(client, f"/admin/incidents/{incident_id}/delete")
    assert "Oops" not in partner_view(alice_browser)
    assert len(audit_events(app, "admin.incident.deleted")) == 1


def test_pages_list_and_console_front_page(app, client, admin, alice_browser):
    listing = soup(client.get("/admin/pages")).get_text(" ", strip=True)
    assert "Payments API" in listing
    front = client.get("/admin/")
    assert front.status_code == 200
    assert "Payments API" in front.get_data(as_text=True)


def test_a_status_change_from_the_console_is_recorded_for_the_history_bar(app, client, admin):
    from partner_portal.models import ComponentStatus, ComponentStatusEvent

    add_page(app, "api", "API", [("Gateway", ComponentStatus.OPERATIONAL)])
    with app.app_context():
        component = db.session.scalar(select(Component))
        component_id = component.id
    url = f"/admin/components/{component_id}"
    submit(client, url, url, {"name": "Gateway", "status": "major_outage"})
    with app.app_context():
        events = db.session.scalars(
            select(ComponentStatusEvent).order_by(ComponentStatusEvent.id)
        ).all()
        assert [(e.previous_status, e.status) for e in events] == [
            (None, ComponentStatus.OPERATIONAL),
            (ComponentStatus.OPERATIONAL, ComponentStatus.MAJOR_OUTAGE),
        ]
