"""A small, realistic demo: three partners, three pages, an incident going on."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from . import clock, partners
from .actors import SYSTEM
from .extensions import db, unit_of_work
from .models import (
    Component,
    ComponentStatus,
    ComponentStatusEvent,
    Incident,
    IncidentImpact,
    IncidentStatus,
    IncidentUpdate,
)

DEMO_PARTNERS = [
    ("alice@acme.example", "Alice Martin", "Acme Logistics"),
    ("bob@globex.example", "Bob Okafor", "Globex"),
    ("carol@initech.example", "Carol Jensen", "Initech"),
]

DEMO_PAGES = [
    (
        "payments-api",
        "Payments API",
        "Card authorisation, refunds and payouts.",
        [
            ("Card authorisation", ComponentStatus.DEGRADED_PERFORMANCE),
            ("Refunds", ComponentStatus.OPERATIONAL),
            ("Payouts", ComponentStatus.OPERATIONAL),
            ("Webhooks", ComponentStatus.PARTIAL_OUTAGE),
        ],
    ),
    (
        "data-platform",
        "Data Platform",
        "Exports, reporting and the partner data feed.",
        [
            ("Nightly exports", ComponentStatus.OPERATIONAL),
            ("Reporting dashboards", ComponentStatus.OPERATIONAL),
            ("Partner data feed", ComponentStatus.UNDER_MAINTENANCE),
        ],
    ),
    (
        "eu-region",
        "EU Region",
        "Hosting in Frankfurt and Dublin.",
        [
            ("Frankfurt (eu-central)", ComponentStatus.OPERATIONAL),
            ("Dublin (eu-west)", ComponentStatus.OPERATIONAL),
        ],
    ),
]

DEMO_GRANTS = {
    "alice@acme.example": ["payments-api", "data-platform"],
    "bob@globex.example": ["eu-region"],
    "carol@initech.example": ["payments-api", "eu-region"],
}


# Past trouble for the history bars: (component, days ago, hours it lasted, status).
DEMO_PAST = {
    "Webhooks": [
        (61, 5, ComponentStatus.DEGRADED_PERFORMANCE),
        (12, 30, ComponentStatus.MAJOR_OUTAGE),
    ],
    "Card authorisation": [(33, 3, ComponentStatus.PARTIAL_OUTAGE)],
    "Nightly exports": [(20, 8, ComponentStatus.UNDER_MAINTENANCE)],
    "Dublin (eu-west)": [(3, 2, ComponentStatus.DEGRADED_PERFORMANCE)],
}


def add_history(component: Component, status_now: ComponentStatus, now: datetime) -> None:
    """Give a demo component 120 days of history ending in ``status_now``."""
    (created,) = component_events(component)
    created.started_at = now - timedelta(days=120)
    for days_ago, hours, status in DEMO_PAST.get(component.name, []):
        began = now - timedelta(days=days_ago)
        db.session.add_all(
            [
                ComponentStatusEvent(
                    component_id=component.id,
                    status=status,
                    previous_status=ComponentStatus.OPERATIONAL,
                    started_at=began,
                ),
                ComponentStatusEvent(
                    component_id=component.id,
                    status=ComponentStatus.OPERATIONAL,
                    previous_status=status,
                    started_at=began + timedelta(hours=hours),
                ),
            ]
        )
    if status_now != ComponentStatus.OPERATIONAL:
        partners.set_component_status(component, status_now)
        # The current trouble began within the hour.
        component_events(component)[-1].started_at = now - timedelta(minutes=50)


def component_events(component: Component) -> list[ComponentStatusEvent]:
    db.session.flush()
    return list(
        db.session.scalars(
            select(ComponentStatusEvent)
            .where(ComponentStatusEvent.component_id == component.id)
            .order_by(ComponentStatusEvent.started_at, ComponentStatusEvent.id)
        )
    )


@unit_of_work
def load() -> str:
    """Add the demo data, in one transaction, and return a summary."""
    now = clock.now()
    people = {
        email: partners.create_partner(SYSTEM, email, name, company)
        for email, name, company in DEMO_PARTNERS
    }
    pages = {}
    for slug, name, description, components in DEMO_PAGES:
        page = partners.add_page(slug, name=name, description=description)
        for component_name, status in components:
            component = partners.add_component(page, component_name, ComponentStatus.OPERATIONAL)
            add_history(component, status, now)
        pages[slug] = page
    for email, slugs in DEMO_GRANTS.items():
        for slug in slugs:
            partners.grant_access(SYSTEM, people[email], pages[slug])

    started = now - timedelta(minutes=47)
    incident = Incident(
        page=pages["payments-api"],
        title="Elevated webhook delivery delays",
        impact=IncidentImpact.MAJOR,
        status=IncidentStatus.IDENTIFIED,
        started_at=started,
        updated_at=now - timedelta(minutes=12),
    )
    incident.updates = [
        IncidentUpdate(
            status=IncidentStatus.INVESTIGATING,
            message="We are seeing delays of up to 10 minutes in webhook deliveries "
            "and are investigating.",
            created_at=started,
        ),
        IncidentUpdate(
            status=IncidentStatus.IDENTIFIED,
            message="A saturated queue in one availability zone is the cause. "
            "We are adding capacity; card authorisations are slightly slower meanwhile.",
            created_at=now - timedelta(minutes=12),
        ),
    ]
    resolved = Incident(
        page=pages["eu-region"],
        title="Intermittent timeouts in Dublin",
        impact=IncidentImpact.MINOR,
        status=IncidentStatus.RESOLVED,
        started_at=now - timedelta(days=3, hours=2),
        updated_at=now - timedelta(days=3),
        resolved_at=now - timedelta(days=3),
    )
    resolved.updates = [
        IncidentUpdate(
            status=IncidentStatus.INVESTIGATING,
            message="Some requests to eu-west are timing out.",
            created_at=now - timedelta(days=3, hours=2),
        ),
        IncidentUpdate(
            status=IncidentStatus.RESOLVED,
            message="A faulty load balancer node was replaced. All requests are succeeding.",
            created_at=now - timedelta(days=3),
        ),
    ]
    db.session.add_all([incident, resolved])
    db.session.flush()
    emails = ", ".join(people)
    return f"Loaded the demo: partners {emails}; pages {', '.join(pages)}; one open incident."
