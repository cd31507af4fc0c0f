"""The dashboard's one-statement summary: worst status, counts, only current grants."""

from __future__ import annotations

from datetime import timedelta

from partner_portal import clock as portal_clock
from partner_portal import status
from partner_portal.extensions import db
from partner_portal.models import ComponentStatus, Incident, IncidentStatus

from .helpers import add_page, add_partner, get_page, grant, sign_in, soup


def add_incident(app, slug: str, state: IncidentStatus) -> None:
    page = get_page(app, slug)
    with app.app_context():
        db.session.add(Incident(page_id=page.id, title=f"{state} on {slug}", status=state))
        db.session.commit()


def test_summary_has_worst_status_counts_and_current_grants_only(app, client, smtp, clock):
    partner_id = add_partner(app, "alice@acme.example")
    add_page(
        app,
        "payments-api",
        "Payments API",
        [("Cards", ComponentStatus.OPERATIONAL), ("Webhooks", ComponentStatus.PARTIAL_OUTAGE)],
    )
    add_page(app, "data-platform", "Data Platform")
    add_page(app, "expired", "Expired Grant", [("X", ComponentStatus.MAJOR_OUTAGE)])
    add_page(app, "not-granted", "Not Granted")
    grant(app, "alice@acme.example", "payments-api")
    grant(app, "alice@acme.example", "data-platform", until=portal_clock.now() + timedelta(days=3))
    grant(app, "alice@acme.example", "expired", until=portal_clock.now() + timedelta(days=1))
    add_incident(app, "payments-api", IncidentStatus.IDENTIFIED)
    add_incident(app, "payments-api", IncidentStatus.RESOLVED)
    add_incident(app, "not-granted", IncidentStatus.IDENTIFIED)

    clock.advance(days=2)  # the "expired" grant has ended; data-platform's has not

    with app.app_context():
        summaries = status.visible_pages(partner_id, clock.at)

    assert [s.page.slug for s in summaries] == ["data-platform", "payments-api"]
    data, payments = summaries
    assert (payments.overall, payments.component_count, payments.open_incidents) == (
        ComponentStatus.PARTIAL_OUTAGE,
        2,
        1,
    )
    assert (data.overall, data.component_count, data.open_incidents) == (
        ComponentStatus.OPERATIONAL,
        0,
        0,
    )
    assert data.access_until is not None
    assert payments.access_until is None

    sign_in(client, smtp, "alice@acme.example")
    page = soup(client.get("/partner/dashboard"))
    links = [a["href"] for a in page.select(".page-list h2 a")]
    assert links == ["/partner/status/data-platform", "/partner/status/payments-api"]
    assert "1 open incident" in page.get_text()
