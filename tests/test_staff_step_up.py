"""Step-up: sensitive changes need a sign-in or second-factor check in the last 15 minutes.

Otherwise the console keeps the POST aside, asks again, and then offers to
finish it: the action is not lost, and it runs only when the person presses
Finish.
"""

from __future__ import annotations

from sqlalchemy import select

from partner_portal import messages
from partner_portal.extensions import db
from partner_portal.models import AccessGrant, Admin, Role

from .helpers import (
    ADMIN_PASSWORD,
    add_admin,
    add_page,
    add_partner,
    add_staff,
    admin_sign_in,
    audit_events,
    enrol_totp,
    field_errors,
    flashes,
    form_data,
    soup,
    submit,
    totp_code,
)

EDITOR = "editor@portal.example"


def role_of(app, email: str) -> Role:
    with app.app_context():
        return db.session.scalar(select(Admin.role).where(Admin.email == email))


def test_a_role_change_after_15_minutes_asks_again_then_finishes(app, client, clock):
    add_admin(app)
    add_staff(app, EDITOR, "editor")
    admin_sign_in(client)
    secret, _ = enrol_totp(client, clock.at)
    page = client.get("/admin/staff/2/role")
    clock.advance(minutes=15)
    data = form_data(page, "/admin/staff/2/role")
    data["role"] = "viewer"
    asked = client.post("/admin/staff/2/role", data=data)
    assert asked.status_code == 303
    assert asked.location == "/admin/step-up"
    assert role_of(app, EDITOR) is Role.EDITOR  # nothing done yet
    assert audit_events(app, "admin.staff.role_changed") == []

    step = client.get("/admin/step-up")
    assert messages.STEP_UP_NEEDED in flashes(step)
    wrong = submit(client, "/admin/step-up", "/admin/step-up", {"code": "000000"})
    assert wrong.status_code == 400
    assert field_errors(wrong) == [messages.STEP_UP_REFUSED]
    proved = submit(
        client, "/admin/step-up", "/admin/step-up", {"code": totp_code(secret, clock.at)}
    )
    assert proved.location == "/admin/step-up/continue"

    # The kept form, re-sent by the person's own press (with a fresh CSRF token).
    finish = client.get("/admin/step-up/continue")
    form = soup(finish).find("form", action="/admin/staff/2/role")
    assert form.find("input", attrs={"name": "role"})["value"] == "viewer"
    assert "Change a member of staff's role." in soup(finish).get_text()
    assert role_of(app, EDITOR) is Role.EDITOR
    done = submit(client, "/admin/step-up/continue", "/admin/staff/2/role")
    assert done.status_code == 303
    assert role_of(app, EDITOR) is Role.VIEWER
    assert [e.action for e in audit_events(app)][-2:] == [
        "admin.step_up",
        "admin.staff.role_changed",
    ]
    # Kept no longer.
    assert client.get("/admin/step-up/continue").location == "/admin/"


def test_within_15_minutes_of_a_check_no_step_up(app, client, clock):
    add_admin(app)
    add_partner(app, "alice@acme.example")
    add_page(app, "payments-api")
    admin_sign_in(client)
    clock.advance(minutes=14)
    response = submit(
        client, "/admin/partners/1", "/admin/grants", {"page_id": "1", "partner_id": "1"}
    )
    assert response.location == "/admin/partners/1"
    with app.app_context():
        assert db.session.scalar(select(AccessGrant.id)) is not None


def test_a_grant_after_15_minutes_needs_the_password_when_there_is_no_second_factor(
    app, client, clock
):
    add_admin(app)
    add_partner(app, "alice@acme.example")
    add_page(app, "payments-api")
    admin_sign_in(client)
    page = client.get("/admin/partners/1")
    clock.advance(minutes=20)
    data = form_data(page, "/admin/grants")
    asked = client.post("/admin/grants", data=data)
    assert asked.location == "/admin/step-up"
    step = client.get("/admin/step-up")
    assert soup(step).find("input", attrs={"name": "password"}) is not None
    submit(client, "/admin/step-up", "/admin/step-up", {"password": ADMIN_PASSWORD})
    with app.app_context():
        assert db.session.scalar(select(AccessGrant.id)) is None
    submit(client, "/admin/step-up/continue", "/admin/grants")
    with app.app_context():
        assert db.session.scalar(select(AccessGrant.id)) is not None


def test_exporting_the_audit_log_needs_a_recent_check(app, client, clock):
    add_admin(app)
    admin_sign_in(client)
    clock.advance(minutes=10)
    client.get("/admin/")
    clock.advance(minutes=10)
    page = client.get("/admin/audit")
    clock.advance(minutes=1)
    asked = client.post("/admin/audit/export", data=form_data(page, "/admin/audit/export"))
    assert asked.location == "/admin/step-up"
    submit(client, "/admin/step-up", "/admin/step-up", {"password": ADMIN_PASSWORD})
    csv = submit(client, "/admin/step-up/continue", "/admin/audit/export")
    assert csv.mimetype == "text/csv"


def test_a_lower_role_is_refused_before_any_step_up(app, client, clock):
    add_admin(app)
    add_staff(app, EDITOR, "editor")
    admin_sign_in(client, EDITOR)
    token = form_data(client.get("/admin/"), "/admin/logout")["csrf_token"]
    clock.advance(minutes=20)
    client.get("/admin/")
    response = client.post("/admin/staff/1/role", data={"csrf_token": token, "role": "viewer"})
    assert response.status_code == 403
