"""Roles: every console route declares the role it needs, and every lower role gets a 403.

The lists are built from the app's own URL map, so a route added tomorrow is
checked tomorrow: without a declaration ``test_every_console_route_declares_who_may_open_it``
fails; with one, each lower role is refused it here, and nothing changes.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from partner_portal import create_app, links
from partner_portal.admin.identity import UNDECLARED, Access, access_of, admin_login_required
from partner_portal.extensions import db
from partner_portal.models import (
    AccessGrant,
    Admin,
    Component,
    Incident,
    IncidentImpact,
    IncidentStatus,
    MagicLinkToken,
    MaintenanceWindow,
    OutboxJob,
    Partner,
    Role,
    StatusPage,
)
from partner_portal.security import tokens
from partner_portal.security.purposes import Purpose
from partner_portal.web import is_admin_path

from .helpers import (
    add_page,
    add_partner,
    add_staff,
    admin_sign_in,
    audit_events,
    form_data,
    grant,
    soup,
)

IDS = {
    "partner_id": 1,
    "page_id": 1,
    "component_id": 1,
    "incident_id": 1,
    "grant_id": 1,
    "session_id": 1,
    "token_id": 1,
    "job_id": 1,
    "admin_id": 1,
    "window_id": 1,
    "slug": "payments-api",
}
STAFF = {role: f"{role.value}@portal.example" for role in Role}


def console_rules(app: Flask):  # noqa: ANN201 - werkzeug rules
    return [rule for rule in app.url_map.iter_rules() if is_admin_path(rule.rule)]


def role_routes() -> list[tuple[Role, bool, str, str]]:
    """Return (role needed, step-up, method, url) of every console route that needs a role."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    routes = []
    with app.test_request_context():
        for rule in console_rules(app):
            view = app.view_functions[rule.endpoint]
            access = access_of(view)
            if not isinstance(access, Role):
                continue
            url = rule.build({name: IDS[name] for name in rule.arguments})[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((access, bool(getattr(view, "console_step_up", False)), method, url))
    return routes


ROUTES = role_routes()


def test_every_console_route_declares_who_may_open_it():
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    registry = {
        f"links.{prefix}_{kind.name}"
        for kind in links.KINDS
        for prefix in ("open", "confirm", "redeem")
    }
    undeclared = []
    for rule in console_rules(app):
        view = app.view_functions[rule.endpoint]
        if rule.endpoint.startswith("links."):
            # Emailed links under /admin are the registry's (the link is the credential).
            assert rule.endpoint.split("_1")[0] in registry, rule.endpoint
            continue
        if access_of(view) is None or getattr(view, UNDECLARED, False):
            undeclared.append(rule.endpoint)
    assert undeclared == [], f"say @requires(Role...), @signing_in or @public on: {undeclared}"


def test_the_old_guard_fails_closed_and_is_named_by_the_check():
    def some_new_page() -> str:
        return "x"

    guarded = admin_login_required(some_new_page)
    assert access_of(guarded) is Role.OWNER
    assert getattr(guarded, UNDECLARED) is True


def test_the_roles_are_exactly_the_issues():
    routes = {(method, url): role for role, _, method, url in ROUTES}
    assert routes[("POST", "/admin/staff/invite")] is Role.OWNER
    assert routes[("POST", "/admin/staff/1/role")] is Role.OWNER
    assert routes[("POST", "/admin/partners/1/delete")] is Role.EDITOR
    assert routes[("POST", "/admin/grants")] is Role.EDITOR
    assert routes[("POST", "/admin/pages/new")] is Role.EDITOR
    assert routes[("POST", "/admin/partners/import")] is Role.EDITOR
    assert routes[("POST", "/admin/pages/1/incidents/new")] is Role.COMMUNICATOR
    assert routes[("POST", "/admin/incidents/1/updates")] is Role.COMMUNICATOR
    assert routes[("POST", "/admin/pages/1/maintenance/new")] is Role.COMMUNICATOR
    assert routes[("POST", "/admin/maintenance/1/cancel")] is Role.COMMUNICATOR
    assert routes[("GET", "/admin/maintenance/1")] is Role.VIEWER
    assert routes[("GET", "/admin/audit")] is Role.VIEWER
    assert routes[("GET", "/admin/partners/1")] is Role.VIEWER
    # A viewer changes nothing: every POST it may send is about its own account.
    viewer_posts = sorted(
        url for role, _, method, url in ROUTES if role is Role.VIEWER and method == "POST"
    )
    assert viewer_posts == [
        "/admin/account/recovery-codes",
        "/admin/account/second-factor/remove",
        "/admin/audit/export",
        "/admin/step-up",
    ]


def test_step_up_guards_the_changes_the_issue_names():
    step_up = {(method, url) for _, needs, method, url in ROUTES if needs and method == "POST"}
    for route in [
        ("POST", "/admin/staff/invite"),
        ("POST", "/admin/staff/1/role"),
        ("POST", "/admin/staff/1/deactivate"),
        ("POST", "/admin/staff/1/reactivate"),
        ("POST", "/admin/grants"),
        ("POST", "/admin/grants/1/revoke"),
        ("POST", "/admin/partners/1/delete"),
        ("POST", "/admin/audit/export"),
    ]:
        assert route in step_up, route


@pytest.fixture
def world(app, clock):
    """One of everything the console can change (all with id 1) and one account per role."""
    for role in (Role.OWNER, Role.EDITOR, Role.COMMUNICATOR, Role.VIEWER):
        add_staff(app, STAFF[role], role.value)
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
            for model in (Partner, StatusPage, Component, Incident, AccessGrant, OutboxJob)
        )
        partner = db.session.get(Partner, 1)
        token = db.session.get(MagicLinkToken, 1)
        staff = tuple(
            (a.email, a.role, a.is_active)
            for a in db.session.scalars(select(Admin).order_by(Admin.id))
        )
        incident = db.session.get(Incident, 1)
        window = db.session.get(MaintenanceWindow, 1)
        maintenance = (window.state, window.scheduled_end, len(window.updates))
        return (
            counts,
            partner.is_active,
            partner.name,
            token.revoked_at,
            staff,
            incident.status,
            len(incident.updates),
            maintenance,
        )


def signed_in(app, role: Role):  # noqa: ANN201 - a test client
    client = app.test_client()
    assert admin_sign_in(client, STAFF[role]).status_code == 303
    return client


def send(client, method: str, url: str):  # noqa: ANN001, ANN201
    if method == "GET":
        return client.get(url)
    token = form_data(client.get("/admin/"), "/admin/logout")["csrf_token"]
    return client.open(
        url,
        method=method,
        data={
            "csrf_token": token,
            "name": "Changed",
            "direction": "down",
            "role": "owner",
            "email": "new@portal.example",
            "status": "resolved",
            "message": "Fixed",
            "title": "Changed",
            "slug": "changed",
            "partner_id": "1",
            "page_id": "1",
        },
    )


@pytest.mark.parametrize(
    ("needed", "step_up", "method", "url"),
    [r for r in ROUTES if r[0] is not Role.VIEWER],
    ids=[f"{r[2]} {r[3]}" for r in ROUTES if r[0] is not Role.VIEWER],
)
def test_each_lower_role_gets_403_and_changes_nothing(app, world, needed, step_up, method, url):
    lower = [role for role in Role if role.rank < needed.rank]
    for role in lower:
        client = signed_in(app, role)
        before, audited = snapshot(app), len(audit_events(app))
        response = send(client, method, url)
        assert response.status_code == 403, (role, method, url, response.status_code)
        assert snapshot(app) == before, (role, method, url)
        assert len(audit_events(app)) == audited, (role, method, url)


@pytest.mark.parametrize(
    ("needed", "step_up", "method", "url"),
    [r for r in ROUTES if r[2] == "GET"],
    ids=[f"{r[2]} {r[3]}" for r in ROUTES if r[2] == "GET"],
)
def test_the_role_a_page_needs_opens_it(app, world, needed, step_up, method, url):
    response = send(signed_in(app, needed), method, url)
    assert response.status_code != 403, (needed, url)
    assert response.status_code < 500


# Pages whose links and buttons are checked for each role.
PAGES = [
    "/admin/",
    "/admin/partners",
    "/admin/partners/1",
    "/admin/pages",
    "/admin/pages/1",
    "/admin/incidents/1",
    "/admin/maintenance/1",
    "/admin/audit",
    "/admin/outbox",
    "/admin/staff",
    "/admin/account",
]


@pytest.mark.parametrize("role", list(Role), ids=[role.value for role in Role])
def test_links_and_buttons_a_role_cannot_use_are_not_shown(app, world, role):
    client = signed_in(app, role)
    adapter = app.url_map.bind("localhost")
    seen = 0
    for path in PAGES:
        response = client.get(path)
        if response.status_code == 403:
            continue
        assert response.status_code == 200, (role, path, response.status_code)
        page = soup(response)
        targets = [("GET", a["href"]) for a in page.select("main a[href], nav a[href]")]
        targets += [
            ("POST", form["action"])
            for form in page.select("form[method=post]")
            if form.get("action")
        ]
        for method, target in targets:
            path_only = target.split("?")[0]
            if not is_admin_path(path_only):
                continue
            endpoint, _ = adapter.match(path_only, method=method)
            access = access_of(app.view_functions[endpoint])
            assert isinstance(access, Access) or role.allows(access), (role, path, method, target)
            seen += 1
    assert seen > 10


def test_a_viewer_sees_no_button_to_change_anything(app, world):
    client = signed_in(app, Role.VIEWER)
    for path in (
        "/admin/partners/1",
        "/admin/pages/1",
        "/admin/incidents/1",
        "/admin/maintenance/1",
    ):
        forms = soup(client.get(path)).select("form[method=post]")
        assert [f["action"] for f in forms] == ["/admin/logout"], path
    nav = [a.get_text(strip=True) for a in soup(client.get("/admin/")).select("nav.account-nav a")]
    assert "Staff" not in nav
    owner_nav = [
        a.get_text(strip=True)
        for a in soup(signed_in(app, Role.OWNER).get("/admin/")).select("nav.account-nav a")
    ]
    assert "Staff" in owner_nav
