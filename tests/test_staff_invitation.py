"""The staff invitation: a link kind of its own (24 hours) that sets the first password.

From the owner's invitation to the first sign-in, with the second factor set up
on the way when the portal requires one.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from partner_portal import messages
from partner_portal.extensions import db
from partner_portal.models import Admin, Role, StaffSession

from .helpers import (
    ADMIN_PASSWORD,
    add_admin,
    admin_sign_in,
    audit_events,
    enrol_totp,
    field_errors,
    flashes,
    form_data,
    link_from,
    soup,
    submit,
    text_of,
)

INVITATION = re.compile(r"http://localhost/admin/invitation/([A-Za-z0-9_-]+)")
NEW = "newcomer@portal.example"
NEW_PASSWORD = "tangerine sofa lighthouse"


def invite(app, client, smtp, role: str = "communicator"):  # noqa: ANN201 - the email
    add_admin(app)
    admin_sign_in(client)
    response = submit(
        client, "/admin/staff/invite", "/admin/staff/invite", {"email": NEW, "role": role}
    )
    assert response.status_code == 303, response.status_code
    return smtp.wait_for(1)[-1]


def accept(browser, token: str, password: str = NEW_PASSWORD):  # noqa: ANN001, ANN201
    opened = browser.get(f"/admin/invitation/{token}")
    assert opened.status_code == 303
    assert opened.location == "/admin/invitation"
    assert opened.headers["Referrer-Policy"] == "no-referrer"
    return submit(
        browser,
        "/admin/invitation",
        "/admin/invitation",
        {"password": password, "confirm": password},
    )


def test_an_invitation_leads_to_a_first_sign_in_with_enrolment(app, client, smtp, clock):
    message = invite(app, client, smtp)
    app.config["STAFF_REQUIRE_MFA"] = True
    assert message["To"] == NEW
    body = text_of(message)
    assert "communicator" in body.lower()
    assert "24 hours" in body
    with app.app_context():
        invited = db.session.scalar(select(Admin).where(Admin.email == NEW))
        assert invited.password_hash is None
        assert invited.role is Role.COMMUNICATOR
    # Invited, without a password: nothing signs in yet.
    assert admin_sign_in(app.test_client(), NEW, NEW_PASSWORD).status_code == 400

    newcomer = app.test_client()
    page = newcomer.get(
        f"/admin/invitation/{link_from(message, INVITATION)}", follow_redirects=True
    )
    assert NEW in soup(page).get_text()
    response = submit(
        newcomer,
        "/admin/invitation",
        "/admin/invitation",
        {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    # Password set; then the second factor, before anything else.
    assert response.location == "/admin/account/second-factor"
    with app.app_context():
        assert db.session.scalar(select(StaffSession).where(StaffSession.admin_id == 2)) is None
    assert newcomer.get("/admin/").location.startswith("/admin/login")
    enrol_totp(newcomer, clock.at)
    assert newcomer.get("/admin/incidents/1").status_code == 404  # in, as a communicator
    assert newcomer.get("/admin/partners/new").status_code == 403
    (accepted,) = audit_events(app, "admin.staff.invitation_accepted")
    assert accepted.email == NEW
    (invited_event,) = audit_events(app, "admin.staff.invited")
    assert invited_event.admin_id == 1
    assert invited_event.details["role"] == "communicator"


def test_without_required_mfa_the_invitation_signs_in_and_offers_the_app(app, client, smtp, clock):
    message = invite(app, client, smtp, role="viewer")
    newcomer = app.test_client()
    response = accept(newcomer, link_from(message, INVITATION))
    assert response.location == "/admin/account"
    landed = newcomer.get("/admin/account")
    assert messages.STAFF_WELCOME in flashes(landed)
    assert soup(landed).find("a", href="/admin/account/second-factor") is not None


def test_the_invitation_refuses_common_passwords_and_the_own_address_and_stays_usable(
    app, client, smtp
):
    token = link_from(invite(app, client, smtp), INVITATION)
    newcomer = app.test_client()
    for password, sentence in [
        ("passwordpassword", messages.PASSWORD_TOO_COMMON),
        (NEW, messages.PASSWORD_IS_EMAIL),
        ("Newcomer@Portal.Example", messages.PASSWORD_IS_EMAIL),
    ]:
        refused = accept(newcomer, token, password)
        assert refused.status_code == 400
        assert sentence in field_errors(refused)
    assert accept(newcomer, token).status_code == 303


def test_an_invitation_works_once_and_dies_with_a_newer_one_or_deactivation(app, client, smtp):
    first = link_from(invite(app, client, smtp), INVITATION)
    submit(client, "/admin/staff", "/admin/staff/2/invitation")
    second = link_from(smtp.wait_for(2)[-1], INVITATION)
    stale = app.test_client().get(f"/admin/invitation/{first}")
    assert stale.location == "/admin/login"
    newcomer = app.test_client()
    assert accept(newcomer, second).status_code == 303
    again = app.test_client().get(f"/admin/invitation/{second}", follow_redirects=True)
    assert messages.STAFF_INVITATION_USED in flashes(again)


def test_deactivating_an_invited_account_kills_its_link(app, client, smtp):
    token = link_from(invite(app, client, smtp), INVITATION)
    url = "/admin/staff/2/deactivate"
    client.post(url, data=form_data(client.get(url), url))
    dead = app.test_client().get(f"/admin/invitation/{token}", follow_redirects=True)
    assert messages.STAFF_INVITATION_REVOKED in flashes(dead)


def test_a_partner_cannot_be_invited_into_the_console_by_link_purpose(app, client, smtp):
    """A staff link's landing only takes staff links: a partner's link is not found there."""
    token = link_from(invite(app, client, smtp), INVITATION)
    assert app.test_client().get(f"/partner/signup/{token}").location == "/partner/login"
    assert ADMIN_PASSWORD  # the owner's own password is never in the email
    assert ADMIN_PASSWORD not in text_of(smtp.messages[-1])
