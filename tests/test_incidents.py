"""Incidents tied to components: the console posts them, partners read them, history keeps them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from partner_portal import incidents
from partner_portal.actors import CLI
from partner_portal.extensions import db
from partner_portal.models import Component, ComponentStatus, Incident, IncidentStatus

from .helpers import (
    add_page,
    add_partner,
    audit_events,
    flashes,
    get_page,
    grant,
    sign_in,
    soup,
    submit,
)

OK = ComponentStatus.OPERATIONAL
MAJOR = ComponentStatus.MAJOR_OUTAGE


@pytest.fixture
def alice_browser(app, smtp):
    """Alice sees payments-api (Cards, Webhooks); eu-region exists but is not hers."""
    add_partner(app, "alice@acme.example")
    add_page(app, "payments-api", "Payments API", [("Cards", OK), ("Webhooks", OK)])
    add_page(app, "eu-region", "EU Region", [("Frankfurt", OK)])
    grant(app, "alice@acme.example", "payments-api")
    browser = app.test_client()
    sign_in(browser, smtp, "alice@acme.example")
    return browser


def component_ids(app, slug: str) -> dict[str, int]:
    with app.app_context():
        page = get_page(app, slug)
        rows = db.session.execute(
            select(Component.name, Component.id).where(Component.page_id == page.id)
        )
        return dict(rows.all())


def statuses(app, slug: str) -> dict[str, str]:
    with app.app_context():
        page = get_page(app, slug)
        rows = db.session.execute(
            select(Component.name, Component.status).where(Component.page_id == page.id)
        )
        return {name: status.value for name, status in rows}


def open_on_console(console, app, slug: str = "payments-api", **fields: object):
    page = get_page(app, slug)
    url = f"/admin/pages/{page.id}/incidents/new"
    data = {"title": "Webhooks failing", "impact": "major", "message": "Looking.", "notify": "y"}
    data.update(fields)
    return submit(console, url, url, data)


def latest_incident(app) -> Incident:
    with app.app_context():
        incident = db.session.scalars(select(Incident).order_by(Incident.id.desc())).first()
        db.session.expunge(incident)
        return incident


def test_an_incident_sets_its_components_status_and_resolving_sets_them_back(
    app, console, alice_browser
):
    ids = component_ids(app, "payments-api")
    response = open_on_console(
        console, app, components=[str(ids["Webhooks"])], component_status="major_outage"
    )
    assert response.status_code == 303, flashes(console.get(response.location))
    assert statuses(app, "payments-api") == {"Cards": "operational", "Webhooks": "major_outage"}

    page = soup(alice_browser.get("/partner/status/payments-api"))
    article = page.select_one("section[aria-labelledby=open-heading] .incident")
    assert "Affects: Webhooks" in article.get_text(" ", strip=True)
    assert page.select_one(".page-head .badge").get_text(strip=True) == "Major outage"

    incident = latest_incident(app)
    url = f"/admin/incidents/{incident.id}"
    resolved = submit(console, url, f"{url}/resolve", {"message": "Fixed.", "notify": "y"})
    assert resolved.status_code == 303
    # Resolving put the affected component back in the same transaction.
    assert statuses(app, "payments-api") == {"Cards": "operational", "Webhooks": "operational"}
    page = soup(alice_browser.get("/partner/status/payments-api"))
    assert page.select_one(".page-head .badge").get_text(strip=True) == "Operational"
    recent = page.select_one("section[aria-labelledby=resolved-heading]")
    assert "Webhooks failing" in recent.get_text()

    opened, done = (
        audit_events(app, "admin.incident.opened"),
        audit_events(app, "admin.incident.resolved"),
    )
    assert opened[0].admin_id is not None
    assert opened[0].details["components"] == ["Webhooks"]
    assert opened[0].details["component_changes"] == {"Webhooks": ["operational", "major_outage"]}
    assert done[0].details["component_changes"] == {"Webhooks": ["major_outage", "operational"]}


def test_an_update_can_set_the_components_and_reopen(app, console, alice_browser):
    ids = component_ids(app, "payments-api")
    open_on_console(console, app, components=[str(ids["Cards"]), str(ids["Webhooks"])])
    incident = latest_incident(app)
    url = f"/admin/incidents/{incident.id}"
    posted = submit(
        console,
        url,
        f"{url}/updates",
        {"status": "identified", "message": "Found it.", "component_status": "partial_outage"},
    )
    assert posted.status_code == 303
    assert statuses(app, "payments-api") == {
        "Cards": "partial_outage",
        "Webhooks": "partial_outage",
    }
    with app.app_context():
        stored = db.session.get(Incident, incident.id)
        assert stored.status == IncidentStatus.IDENTIFIED
    # Resolving with a chosen status instead of operational.
    submit(
        console,
        url,
        f"{url}/resolve",
        {"message": "Done.", "component_status": "degraded_performance"},
    )
    assert set(statuses(app, "payments-api").values()) == {"degraded_performance"}
    # Posting an open status reopens it.
    submit(console, url, f"{url}/updates", {"status": "investigating", "message": "Back again."})
    assert audit_events(app, "admin.incident.reopened")


def test_components_of_another_page_are_refused(app, console, alice_browser):
    frankfurt = component_ids(app, "eu-region")["Frankfurt"]
    response = open_on_console(console, app, components=[str(frankfurt)])
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Incident)) is None


def test_a_component_status_needs_components(app):
    add_page(app, "payments-api", "Payments API", [("Cards", OK)])
    with app.app_context():
        page = get_page(app, "payments-api")
        page = db.session.merge(page)
        with pytest.raises(incidents.InvalidValue):
            incidents.open_incident(
                CLI, page, title="T", impact="minor", component_status="major_outage"
            )
        assert db.session.scalar(select(Incident)) is None


def test_the_incident_page_shows_everything_newest_update_first(app, console, alice_browser, clock):
    ids = component_ids(app, "payments-api")
    open_on_console(console, app, components=[str(ids["Webhooks"])], message="First *look*.")
    incident = latest_incident(app)
    url = f"/admin/incidents/{incident.id}"
    clock.advance(minutes=15)
    console.get(url)  # staff sessions end after 30 idle minutes
    clock.advance(minutes=15)
    submit(console, url, f"{url}/updates", {"status": "monitoring", "message": "Second."})
    for _ in range(3):  # 1 h 15 min at the console, never 30 minutes idle
        clock.advance(minutes=25)
        console.get(url)
    submit(console, url, f"{url}/resolve", {"message": "Third."})

    response = alice_browser.get(f"/partner/status/payments-api/incidents/{incident.id}")
    assert response.status_code == 200
    page = soup(response)
    assert page.h1.get_text() == "Webhooks failing"
    facts = {
        div.dt.get_text(strip=True): div.dd.get_text(" ", strip=True)
        for div in page.select(".facts div")
    }
    assert facts["Impact"] == "Major"
    assert facts["Affects"] == "Webhooks"
    assert facts["Status"] == "Resolved"
    assert facts["Started"] == "21 Nov 2026, 09:30 UTC"
    assert facts["Resolved"] == "21 Nov 2026, 11:15 UTC"
    assert facts["Duration"] == "1 h 45 min"
    updates = [
        li.select_one(".update-text").get_text().strip() for li in page.select(".updates li")
    ]
    assert updates == ["Third.", "Second.", "First look."]
    assert page.select_one(".updates li:last-child em").get_text() == "look"
    times = [li.time["datetime"] for li in page.select(".updates li")]
    assert times == sorted(times, reverse=True)
    # The status page links to it.
    status_page = soup(alice_browser.get("/partner/status/payments-api"))
    links = [a["href"] for a in status_page.select(".incident h3 a")]
    assert f"/partner/status/payments-api/incidents/{incident.id}" in links


def test_an_incident_the_partner_may_not_see_is_the_missing_404(app, console, alice_browser):
    open_on_console(console, app, slug="eu-region")
    hidden = latest_incident(app)
    open_on_console(console, app)
    mine = latest_incident(app)

    missing = alice_browser.get("/partner/status/payments-api/incidents/999999")
    other_page = alice_browser.get(f"/partner/status/payments-api/incidents/{hidden.id}")
    not_granted = alice_browser.get(f"/partner/status/eu-region/incidents/{hidden.id}")
    wrong_slug = alice_browser.get(f"/partner/status/eu-region/incidents/{mine.id}")
    huge = alice_browser.get("/partner/status/payments-api/incidents/99999999999999999999")
    for response in (missing, other_page, not_granted, wrong_slug, huge):
        assert response.status_code == 404
        assert response.get_data() == missing.get_data()
    assert alice_browser.get(f"/partner/status/payments-api/incidents/{mine.id}").status_code == 200


def add_resolved(app, slug: str, title: str, started, hours: float) -> int:
    with app.app_context():
        page = db.session.merge(get_page(app, slug))
        incident = Incident(
            page=page,
            title=title,
            status=IncidentStatus.RESOLVED,
            started_at=started,
            resolved_at=started + timedelta(hours=hours),
        )
        db.session.add(incident)
        db.session.commit()
        return incident.id


def test_history_groups_by_month_newest_first_and_keeps_everything(app, alice_browser, clock):
    now = clock.at
    old = add_resolved(app, "payments-api", "Ancient outage", now - timedelta(days=700), 2)
    add_resolved(app, "payments-api", "October trouble", now - timedelta(days=40), 1)
    add_resolved(app, "payments-api", "November trouble", now - timedelta(days=3), 0.5)
    add_resolved(app, "eu-region", "Someone else's", now - timedelta(days=2), 1)

    page = soup(alice_browser.get("/partner/status/payments-api/history"))
    months = [h2.get_text() for h2 in page.select(".history-month h2")]
    assert months == ["November 2026", "October 2026", "December 2024"]
    titles = [a.get_text() for a in page.select(".history-item h3 a")]
    assert titles == ["November trouble", "October trouble", "Ancient outage"]
    assert page.select(".history-item h3 a")[-1]["href"] == (
        f"/partner/status/payments-api/incidents/{old}"
    )
    assert "30 min" in page.select_one(".history-item").get_text()


def test_history_pages_hold_twenty_and_number_them(app, alice_browser, clock):
    for number in range(45):
        add_resolved(
            app, "payments-api", f"Incident {number}", clock.at - timedelta(days=number + 1), 1
        )
    first = soup(alice_browser.get("/partner/status/payments-api/history"))
    third = soup(alice_browser.get("/partner/status/payments-api/history?page=3"))
    assert len(first.select(".history-item")) == 20
    assert first.select_one("a[rel=next]")["href"].endswith("history?page=2")
    assert [a.get_text() for a in third.select(".history-item h3 a")] == [
        f"Incident {n}" for n in range(40, 45)
    ]
    assert third.select_one("a[rel=next]") is None
    for bad in ("?page=4", "?page=0", "?page=x", "?day=2026-13-01", "?page=99999999999"):
        assert alice_browser.get(f"/partner/status/payments-api/history{bad}").status_code == 404
    assert alice_browser.get("/partner/status/eu-region/history").status_code == 404


def test_a_day_of_the_bar_links_to_that_days_incidents(app, alice_browser, clock):
    started = clock.at - timedelta(days=5, hours=1)
    add_resolved(app, "payments-api", "Five days ago", started, 3)
    page = soup(alice_browser.get("/partner/status/payments-api"))
    bar = page.select_one(".component .history")
    links = bar.select("a.day")
    day = started.date().isoformat()
    assert [a["href"] for a in links] == [f"/partner/status/payments-api/history?day={day}"]
    assert links[0]["title"].endswith("see that day's incidents")
    listed = soup(alice_browser.get(links[0]["href"]))
    assert [a.get_text() for a in listed.select(".history-item h3 a")] == ["Five days ago"]
