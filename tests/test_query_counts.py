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

from partner_portal import actors, clock, partners
from partner_portal.extensions import db
from partner_portal.models import (
    ComponentStatus,
    Incident,
    IncidentImpact,
    IncidentStatus,
    IncidentUpdate,
)

from .helpers import add_partner, sign_in

SMALL = {"grants": 1, "components": 1, "incidents": 1}
LARGE = {"grants": 25, "components": 12, "incidents": 6}


def load_pages(
    app: Flask, email: str, *, prefix: str, grants: int, components: int, incidents: int
) -> None:
    """Grant ``grants`` pages, each with components and open/resolved incidents with updates."""
    now = clock.now()
    with app.app_context():
        partner = partners.get_partner(email)
        for number in range(grants):
            page = partners.add_page(f"{prefix}-{number}", name=f"Page {number}")
            for position in range(components):
                status = list(ComponentStatus)[position % len(ComponentStatus)]
                partners.add_component(page, f"Component {position}", status)
            for index in range(incidents):
                resolved = index % 2 == 1
                incident = Incident(
                    page=page,
                    title=f"Incident {index}",
                    impact=IncidentImpact.MINOR,
                    status=IncidentStatus.RESOLVED if resolved else IncidentStatus.IDENTIFIED,
                    started_at=now - timedelta(hours=index + 1),
                    resolved_at=now - timedelta(minutes=5) if resolved else None,
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


def statements_for(app: Flask, client: FlaskClient, url: str) -> list[str]:
    # The first page after sign-in stores the session's new CSRF token (one
    # write, once); count a request as every later one runs.
    assert client.get(url).status_code == 200
    with counting_statements(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return statements


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


@pytest.mark.parametrize(
    "url",
    ["/partner/dashboard", "/partner/status/{slug}", "/api/partner/auth/me"],
    ids=["dashboard", "status-page", "api-me"],
)
def test_statements_per_request_do_not_grow_with_the_data(app, signed_in, url):
    small_client = signed_in("small", SMALL)
    large_client = signed_in("large", LARGE)

    small = statements_for(app, small_client, url.format(slug="small-0"))
    large = statements_for(app, large_client, url.format(slug="large-0"))

    assert len(small) == len(large), "\n".join(large)
    # The session row with its partner (one read), then at most three reads for the page
    # data (the page; its components with their 90-day history; its incidents with their
    # updates); no writes.
    assert len(large) <= 4, "\n".join(large)
    assert not [statement for statement in large if not statement.startswith("SELECT")]
