"""Every console page and every console POST needs a staff session; nothing else opens them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from partner_portal import create_app
from partner_portal.admin.identity import Access, access_of
from partner_portal.extensions import db
from partner_portal.models import (
    AccessGrant,
    Component,
    Incident,
    IncidentImpact,
    IncidentStatus,
    MagicLinkToken,
    MaintenanceWindow,
    Partner,
    PartnerSession,
    StatusPage,
)
from partner_portal.security import tokens
from partner_portal.security.purposes import Purpose

from .helpers import add_page, add_partner, audit_events, form_data, grant, sign_in

IDS = {
    "admin_id": 1,
    "partner_id": 1,
    "page_id": 1,
    "component_id": 1,
    "incident_id": 1,
    "grant_id": 1,
    "session_id": 1,
    "token_id": 1,
    "job_id": 1,
    "window_id": 1,
    "slug": "payments-api",
}


def protected_routes() -> list[tuple[str, str]]:
    """Return (method, url) of every console route that needs a session, from the URL map.

    Reachable without one: those declared ``@public`` (signing in, resetting a
    forgotten password); the half-way steps of signing in (``@signing_in``)
    are in the list: without their state they too send the visitor to log in.
    """
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            access = access_of(app.view_functions[rule.endpoint])
            if not rule.endpoint.startswith("admin.") or access is Access.PUBLIC:
                continue
            url = rule.build({name: IDS[name] for name in rule.arguments})[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((method, url))
    return routes


ROUTES = protected_routes()


def test_the_route_list_covers_the_console():
    urls = {url for _, url in ROUTES}
    assert len(ROUTES) > 40
    for expected in ("/admin/", "/admin/partners", "/admin/audit", "/admin/partners/1/delete"):
        assert expected in urls


@pytest.fixture
def world(app, clock):
    """One of everything the console can change, all with id 1."""
    add_partner(app, "alice@acme.example")
    add_page(app, "payments-api", components=[("API", "operational")])
    grant(app, "alice@acme.example", "payments-api")
    with app.app_context():
        page = db.session.get(StatusPage, 1)
        db.session.add(
            Incident(
                page=page,
                title="Slow",
                impact=IncidentImpact.MINOR,
                status=IncidentStatus.INVESTIGATING,
            )
        )
        db.session.add(
            MaintenanceWindow(
                page=page,
                title="Upgrade",
                scheduled_start=clock.at + timedelta(days=1),
                scheduled_end=clock.at + timedelta(days=1, hours=1),
            )
        )
        tokens.mint_token(
            email="alice@acme.example",
            purpose=Purpose.LOGIN,
            lifetime=Purpose.LOGIN.default_lifetime,
            partner_id=1,
        )
        db.session.commit()


def snapshot(app) -> tuple:
    with app.app_context():
        counts = tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Partner, StatusPage, Component, Incident, AccessGrant)
        )
        window = db.session.get(MaintenanceWindow, 1)
        counts += (window.state, window.scheduled_end, len(window.updates))
        partner = db.session.get(Partner, 1)
        token = db.session.get(MagicLinkToken, 1)
        sessions = db.session.scalar(select(func.count()).select_from(PartnerSession))
        return counts, partner.is_active, partner.name, token.revoked_at, sessions


def assert_refused(client, method: str, url: str) -> None:
    if method == "GET":
        response = client.get(url)
    else:
        # A valid CSRF token of the staff realm, so only the missing session can stop it.
        token = form_data(client.get("/admin/login"), "/admin/login")["csrf_token"]
        response = client.open(
            url,
            method=method,
            data={"csrf_token": token, "name": "Changed", "direction": "down", "confirm": "1"},
        )
    assert response.status_code == 303, (method, url, response.status_code)
    assert response.location.startswith("/admin/login"), (method, url, response.location)


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_anonymous_visitors_are_sent_to_the_staff_login(app, client, world, method, url):
    before = snapshot(app)
    audited_before = len(audit_events(app))
    assert_refused(client, method, url)
    assert snapshot(app) == before
    assert len(audit_events(app)) == audited_before


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_signed_in_partners_are_sent_to_the_staff_login(app, client, smtp, world, method, url):
    sign_in(client, smtp, "alice@acme.example")
    before = snapshot(app)
    assert_refused(client, method, url)
    assert snapshot(app) == before
    assert client.get("/partner/dashboard").status_code == 200


def test_no_console_route_edits_or_deletes_audit_events():
    for method, url in ROUTES:
        if url.startswith("/admin/audit"):
            assert (method, url) in {("GET", "/admin/audit"), ("POST", "/admin/audit/export")}


NONSENSE = {
    "name": "\x00\x01" * 3,
    "email": "x@",
    "company": "\r\n",
    "status": "on_fire",
    "impact": "??",
    "direction": "sideways",
    "until": "9999-99-99",
    "page_id": "-1",
    "partner_id": "abc",
    "message": "",
    "title": "",
    "slug": "../etc",
    "description": "x" * 3000,
    "return_to": "//evil.example/",
    "password": "x",
    "confirm": "y",
    "start": "2026-02-30T25:61",
    "end": "never",
    "components": ["999", "abc"],
    "component_status": "purple",
    "notify": "maybe",
}


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_nonsense_from_a_signed_in_admin_never_causes_a_server_error(
    app, client, world, method, url
):
    from .helpers import add_admin, admin_sign_in

    add_admin(app)
    admin_sign_in(client)
    token = form_data(client.get("/admin/"), "/admin/logout")["csrf_token"]
    for target in (url, url.replace("/1", "/999")):
        if method == "GET":
            response = client.get(target + "?page=-1&q=%00&since=x")
        else:
            response = client.open(target, method=method, data={"csrf_token": token, **NONSENSE})
        assert response.status_code < 500, (method, target, response.status_code)
        response.close()  # as a WSGI server does; ends a streamed CSV export
        if response.status_code in (302, 303):
            assert not response.location.startswith("//"), response.location
