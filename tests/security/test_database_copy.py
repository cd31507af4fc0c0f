"""Attack: replay live sessions from a copy of the database (issue 10, finding 7).

Someone with a copy of the database (SECURITY.md's own threat: a backup, a
replica, a leaked dump) read the session ids in ``partner_sessions`` and
``staff_sessions`` and set them as cookies: every live partner and staff
session was theirs.

Defence: the tables hold only the SHA-256 of each session id, as for link
tokens; the cookie keeps the raw id (256 random bits, so the hash cannot be
reversed). Every comparison with "this session" hashes the cookie first.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from partner_portal.extensions import db
from partner_portal.models import PartnerSession, StaffSession

from ..helpers import add_admin, add_partner, admin_sign_in, sign_in, soup, submit


def stored(app, model) -> list[str]:  # noqa: ANN001
    with app.app_context():
        return list(db.session.scalars(select(model.session_hash)))


def test_a_stolen_partner_session_table_replays_nothing(app, client, smtp):
    add_partner(app, "alice@acme.example")
    sign_in(client, smtp, "alice@acme.example")
    cookie = client.get_cookie("partner.sid").value
    (row_value,) = stored(app, PartnerSession)

    assert row_value != cookie
    assert row_value == hashlib.sha256(cookie.encode()).hexdigest()
    thief = app.test_client()
    thief.set_cookie("partner.sid", row_value)
    assert thief.get("/partner/dashboard").status_code == 302
    assert thief.get("/api/partner/auth/me").status_code == 401
    assert client.get("/partner/dashboard").status_code == 200  # the real cookie still works


def test_a_stolen_staff_session_table_replays_nothing(app, client):
    add_admin(app)
    admin_sign_in(client)
    cookie = client.get_cookie("oncall.sid").value
    (row_value,) = stored(app, StaffSession)

    assert row_value != cookie
    thief = app.test_client()
    thief.set_cookie("oncall.sid", row_value)
    assert thief.get("/admin/").location.startswith("/admin/login")
    assert client.get("/admin/").status_code == 200


def test_this_session_and_the_others_are_still_told_apart(app, client, smtp):
    """The account page marks the current session and ends only the others."""
    add_partner(app, "alice@acme.example")
    sign_in(client, smtp, "alice@acme.example")
    phone = app.test_client()
    sign_in(phone, smtp, "alice@acme.example")

    page = soup(client.get("/partner/account"))
    assert len(page.select("#sessions tbody tr")) == 2
    assert page.get_text().count("This browser") == 1
    submit(client, "/partner/account", "/partner/account/sessions/end-others")
    assert client.get("/partner/dashboard").status_code == 200
    assert phone.get("/partner/dashboard").status_code == 302
    assert len(stored(app, PartnerSession)) == 1
