"""SQL statements per request stay constant, whatever the number of grants, components, incidents.

Deterministic stand-in for "the large scale is as fast as the small one": a
query per row (an N+1) would make the counts grow with the data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from partner_portal import actors, clock, partners, statuspages
from partner_portal.extensions import db
from partner_portal.models import (
    ComponentStatus,
    Incident,
    IncidentImpact,
    IncidentStatus,
    IncidentUpdate,
    MaintenanceComponent,
    MaintenanceState,
    MaintenanceUpdate,
    MaintenanceWindow,
)

from .helpers import add_partner, sign_in

SMALL = {"grants": 1, "components": 1, "incidents": 1, "windows": 1}
LARGE = {"grants": 25, "components": 12, "incidents": 6, "windows": 4}


def load_pages(
    app: Flask,
    email: str,
    *,
    prefix: str,
    grants: int,
    components: int,
    incidents: int,
    windows: int,
) -> None:
    """Grant ``grants`` pages, each with components, open/resolved incidents with updates and
    affected components, and maintenance windows (running, scheduled, done) with updates."""
    now = clock.now()
    with app.app_context():
        partner = partners.get_partner(email)
        for number in range(grants):
            page = statuspages.add_page(f"{prefix}-{number}", name=f"Page {number}")
            added = [
                statuspages.add_component(
                    page, f"Component {position}", list(ComponentStatus)[position % 5]
                )
                for position in range(components)
            ]
            for index in range(windows):
                state = list(MaintenanceState)[index % len(MaintenanceState)]
                window = MaintenanceWindow(
                    page=page,
                    title=f"Window {index}",
                    message="Upgrade.",
                    state=state,
                    scheduled_start=now + timedelta(days=index - 1),
                    scheduled_end=now + timedelta(days=index - 1, hours=2),
                    started_at=now - timedelta(days=1),
                    ended_at=now - timedelta(hours=1)
                    if state is MaintenanceState.COMPLETED
                    else None,
                )
                window.affected = [MaintenanceComponent(component=c) for c in added[:2]]
                window.updates = [
                    MaintenanceUpdate(state=state, message=f"Step {step}", created_at=now)
                    for step in range(2)
                ]
                db.session.add(window)
            for index in range(incidents):
                resolved = index % 2 == 1
                incident = Incident(
                    page=page,
                    title=f"Incident {index}",
                    impact=IncidentImpact.MINOR,
                    status=IncidentStatus.RESOLVED if resolved else IncidentStatus.IDENTIFIED,
                    started_at=now - timedelta(hours=index + 1),
                    resolved_at=now - timedelta(minutes=5) if resolved else None,
                    components=added[index % 2 :: 2][:3],
                )
                incident.updates = [
                    IncidentUpdate(
                        status=IncidentStatus.INVESTIGATING,
                        message=f"Update {step}",
                        created_at=now - timedelta(minutes=30 - step),
                    )
                    for step in range(3)
                ]
                db.session.add(incident)
            partners.grant_access(actors.SYSTEM, partner, page)
        db.session.commit()


@contextmanager
def counting_statements(app: Flask) -> Iterator[list[str]]:
    """Collect every SQL statement the app sends while the block runs."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def statements_for(app: Flask, client: FlaskClient, url: str, *, cold: bool = False) -> list[str]:
    # The first page after sign-in stores the session's new CSRF token (one
    # write, once); count a request as every later one runs. ``cold``: with
    # the rendered pages forgotten, as after a write to every page.
    assert client.get(url).status_code == 200
    if cold and "page_cache" in app.extensions:
        app.extensions["page_cache"].clear()
    with counting_statements(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return statements


def first_incident(app: Flask, slug: str) -> int:
    with app.app_context():
        page = statuspages.get_page(slug)
        return min(incident.id for incident in page.incidents)


@pytest.fixture
def signed_in(app, smtp) -> Callable[[str, dict[str, int]], FlaskClient]:
    """Return a function: give a new partner pages of some size, sign them in, return a client."""

    def make(name: str, size: dict[str, int]) -> FlaskClient:
        email = f"{name}@acme.example"
        add_partner(app, email)
        load_pages(app, email, prefix=name, **size)
        client = app.test_client()
        sign_in(client, smtp, email)
        return client

    return make


URLS = {
    "dashboard": "/partner/dashboard",
    "status-page": "/partner/status/{slug}",
    "incident-page": "/partner/status/{slug}/incidents/{incident}",
    "history": "/partner/status/{slug}/history",
    "api-me": "/api/partner/auth/me",
}
# The session row with its partner, then what the partner may see (pages, grants and
# versions): two reads. A page whose render is cached needs nothing more; rendering it
# takes at most three reads more (components with their 90-day history; incidents with
# their updates and components; maintenance with its updates and components); the
# dashboard one for all its cards; history one per page of results. No writes.
WARM = {"dashboard": 2, "status-page": 2, "incident-page": 2, "history": 3, "api-me": 2}
COLD = {"dashboard": 3, "status-page": 5, "incident-page": 3, "history": 3, "api-me": 2}


@pytest.mark.parametrize("cold", [False, True], ids=["cached", "rendered"])
@pytest.mark.parametrize("name", URLS)
def test_statements_per_request_do_not_grow_with_the_data(app, signed_in, name, cold):
    small_client = signed_in("small", SMALL)
    large_client = signed_in("large", LARGE)
    small_url = URLS[name].format(slug="small-0", incident=first_incident(app, "small-0"))
    large_url = URLS[name].format(slug="large-0", incident=first_incident(app, "large-0"))

    small = statements_for(app, small_client, small_url, cold=cold)
    large = statements_for(app, large_client, large_url, cold=cold)

    assert len(small) == len(large), "\n".join(large)
    assert len(large) == (COLD if cold else WARM)[name], "\n".join(large)
    assert not [statement for statement in large if not statement.startswith("SELECT")]
