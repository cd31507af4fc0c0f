"""A small, realistic demo: three partners, three pages, an incident going on, maintenance
in progress and to come, and months of resolved incidents for the history."""

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
    MaintenanceComponent,
    MaintenanceState,
    MaintenanceUpdate,
    MaintenanceWindow,
    StatusPage,
)
from .statuspages import add_component, add_page, set_component_status

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
        set_component_status(component, status_now)
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
        page = add_page(slug, name=name, description=description)
        for component_name, status in components:
            component = add_component(page, component_name, ComponentStatus.OPERATIONAL)
            add_history(component, status, now)
        pages[slug] = page
    for email, slugs in DEMO_GRANTS.items():
        for slug in slugs:
            partners.grant_access(SYSTEM, people[email], pages[slug])

    add_incidents(pages, now)
    add_maintenance(pages, now)
    db.session.flush()
    emails = ", ".join(people)
    return (
        f"Loaded the demo: partners {emails}; pages {', '.join(pages)}; one open incident, "
        "maintenance in progress and scheduled, and a resolved history."
    )


# Resolved incidents for the history: (page, title, impact, components, days ago, hours, updates).
DEMO_HISTORY = [
    (
        "payments-api",
        "Webhook deliveries failing",
        IncidentImpact.CRITICAL,
        ["Webhooks"],
        12,
        30,
        [
            (IncidentStatus.INVESTIGATING, "Webhook deliveries are failing for most endpoints."),
            (
                IncidentStatus.IDENTIFIED,
                "A certificate rotation broke our outbound TLS. We are rolling back.",
            ),
            (
                IncidentStatus.RESOLVED,
                "Deliveries have caught up. Events from the outage were **retried**; "
                "see [the retry guide](https://docs.example.com/webhooks/retries).",
            ),
        ],
    ),
    (
        "payments-api",
        "Card authorisations partly declined",
        IncidentImpact.MAJOR,
        ["Card authorisation"],
        33,
        3,
        [
            (IncidentStatus.INVESTIGATING, "Some card authorisations are declined with `05`."),
            (IncidentStatus.RESOLVED, "An acquirer's outage ended; authorisations are normal."),
        ],
    ),
    (
        "payments-api",
        "Slow webhook deliveries",
        IncidentImpact.MINOR,
        ["Webhooks"],
        61,
        5,
        [
            (IncidentStatus.MONITORING, "Deliveries take up to a minute; we are watching."),
            (IncidentStatus.RESOLVED, "Delivery times are back under a second."),
        ],
    ),
    (
        "payments-api",
        "Dashboard sign-in errors",
        IncidentImpact.MINOR,
        [],
        104,
        2,
        [
            (IncidentStatus.INVESTIGATING, "Some partners cannot sign in to the dashboard."),
            (IncidentStatus.RESOLVED, "A faulty deployment was rolled back."),
        ],
    ),
    (
        "eu-region",
        "Intermittent timeouts in Dublin",
        IncidentImpact.MINOR,
        ["Dublin (eu-west)"],
        3,
        2,
        [
            (IncidentStatus.INVESTIGATING, "Some requests to eu-west are timing out."),
            (
                IncidentStatus.RESOLVED,
                "A faulty load balancer node was replaced. All requests are succeeding.",
            ),
        ],
    ),
]


def components_of(page: StatusPage, names: list[str]) -> list[Component]:
    """Return the page's components with these names."""
    return [component for component in page.components if component.name in names]


def add_incidents(pages: dict[str, StatusPage], now: datetime) -> None:
    """Add the open incident and the resolved history."""
    started = now - timedelta(minutes=47)
    payments = pages["payments-api"]
    incident = Incident(
        page=payments,
        title="Elevated webhook delivery delays",
        impact=IncidentImpact.MAJOR,
        status=IncidentStatus.IDENTIFIED,
        started_at=started,
        updated_at=now - timedelta(minutes=12),
        components=components_of(payments, ["Webhooks", "Card authorisation"]),
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
            message="A saturated queue in one availability zone is the cause. We are:\n\n"
            "- adding capacity;\n- draining the backlog oldest first.\n\n"
            "Card authorisations are *slightly slower* meanwhile.",
            created_at=now - timedelta(minutes=12),
        ),
    ]
    db.session.add(incident)
    for slug, title, impact, names, days_ago, hours, steps in DEMO_HISTORY:
        page = pages[slug]
        began = now - timedelta(days=days_ago)
        ended = began + timedelta(hours=hours)
        past = Incident(
            page=page,
            title=title,
            impact=impact,
            status=IncidentStatus.RESOLVED,
            started_at=began,
            updated_at=ended,
            resolved_at=ended,
            components=components_of(page, names),
        )
        spacing = (ended - began) / max(len(steps) - 1, 1)
        past.updates = [
            IncidentUpdate(status=status, message=message, created_at=began + spacing * index)
            for index, (status, message) in enumerate(steps)
        ]
        db.session.add(past)


def add_maintenance(pages: dict[str, StatusPage], now: datetime) -> None:
    """Add a window in progress, one scheduled in three days and one completed."""
    data = pages["data-platform"]
    (feed,) = components_of(data, ["Partner data feed"])
    running = MaintenanceWindow(
        page=data,
        title="Partner data feed: storage migration",
        message="We are moving the feed to new storage. Files published during the window "
        "arrive **after** it ends.",
        state=MaintenanceState.IN_PROGRESS,
        scheduled_start=now - timedelta(minutes=50),
        scheduled_end=now + timedelta(hours=2, minutes=10),
        started_at=now - timedelta(minutes=50),
        created_at=now - timedelta(days=5),
        updated_at=now - timedelta(minutes=50),
    )
    # The feed went under maintenance when the window began (add_history wrote that event).
    running.affected = [
        MaintenanceComponent(
            component=feed,
            previous_status=ComponentStatus.OPERATIONAL,
            status_event_id=component_events(feed)[-1].id,
        )
    ]
    running.updates = [
        MaintenanceUpdate(
            state=MaintenanceState.SCHEDULED,
            message=running.message,
            created_at=now - timedelta(days=5),
        ),
        MaintenanceUpdate(
            state=MaintenanceState.IN_PROGRESS,
            message="The maintenance has begun.",
            created_at=now - timedelta(minutes=50),
        ),
    ]
    payments = pages["payments-api"]
    start = (now + timedelta(days=3)).replace(hour=2, minute=0, second=0, microsecond=0)
    upcoming = MaintenanceWindow(
        page=payments,
        title="Payout engine upgrade",
        message="Payouts are queued during the upgrade and sent when it ends. "
        "Nothing else is affected.",
        state=MaintenanceState.SCHEDULED,
        scheduled_start=start,
        scheduled_end=start + timedelta(hours=1, minutes=30),
        created_at=now - timedelta(days=1),
        updated_at=now - timedelta(days=1),
    )
    upcoming.affected = [
        MaintenanceComponent(component=c) for c in components_of(payments, ["Payouts"])
    ]
    upcoming.updates = [
        MaintenanceUpdate(
            state=MaintenanceState.SCHEDULED,
            message=upcoming.message,
            created_at=now - timedelta(days=1),
        )
    ]
    began = now - timedelta(days=20)
    done = MaintenanceWindow(
        page=data,
        title="Nightly export database upgrade",
        message="Exports run late tonight while we upgrade their database.",
        state=MaintenanceState.COMPLETED,
        scheduled_start=began,
        scheduled_end=began + timedelta(hours=8),
        started_at=began,
        ended_at=began + timedelta(hours=8),
        created_at=began - timedelta(days=7),
        updated_at=began + timedelta(hours=8),
    )
    done.affected = [
        MaintenanceComponent(component=c, previous_status=ComponentStatus.OPERATIONAL)
        for c in components_of(data, ["Nightly exports"])
    ]
    done.updates = [
        MaintenanceUpdate(
            state=MaintenanceState.COMPLETED,
            message="The maintenance is complete.",
            created_at=began + timedelta(hours=8),
        )
    ]
    db.session.add_all([running, upcoming, done])
