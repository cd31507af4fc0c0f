"""Staff sessions: 12 hours absolute, and 30 minutes idle (ASVS 5.0 7.3.1), with a frozen clock.

"Last seen" is written at most every 5 minutes (a write per request would
cost every console page a database write), so the idle timeout is exact to
within those 5 minutes: a session ends between 25 and 30 minutes after its
last request, never later.
"""

from __future__ import annotations

from sqlalchemy import func, select

from partner_portal import messages
from partner_portal.extensions import db
from partner_portal.models import StaffSession

from ..helpers import (
    ADMIN_EMAIL,
    RESET_PATTERN,
    add_admin,
    admin_sign_in,
    flashes,
    link_from,
    submit,
    text_of,
)


def sessions_of(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(StaffSession))


def test_thirty_minutes_without_a_request_end_the_session(app, client, clock):
    add_admin(app)
    admin_sign_in(client)
    clock.advance(minutes=29, seconds=59)
    assert client.get("/admin/").status_code == 200
    clock.advance(minutes=30)
    ended = client.get("/admin/")
    assert ended.location.startswith("/admin/login")
    assert messages.ADMIN_SESSION_IDLE in flashes(client.get(ended.location))
    assert ended.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert sessions_of(app) == 0


def test_activity_keeps_the_session_alive_and_the_timeout_never_exceeds_thirty_minutes(
    app, client, clock
):
    add_admin(app)
    admin_sign_in(client)  # last seen: 0
    clock.advance(minutes=4)
    assert client.get("/admin/").status_code == 200  # within 5 minutes: nothing written
    clock.advance(minutes=25, seconds=59)  # 29:59 after the write, 25:59 after the request
    assert client.get("/admin/").status_code == 200  # refreshes "last seen"
    clock.advance(minutes=29)
    assert client.get("/admin/partners").status_code == 200
    # 30 minutes after the last written "last seen": over, whatever came in between.
    clock.advance(minutes=30)
    assert client.get("/admin/").location.startswith("/admin/login")


def test_the_idle_timeout_is_configurable(app, client, clock):
    from datetime import timedelta

    app.config["STAFF_SESSION_IDLE_TIMEOUT"] = timedelta(minutes=10)
    add_admin(app)
    admin_sign_in(client)
    clock.advance(minutes=10)
    assert client.get("/admin/").location.startswith("/admin/login")


def test_partner_sessions_have_no_idle_timeout(app, client, smtp, clock):
    from ..helpers import add_partner, sign_in

    add_partner(app, "alice@acme.example")
    sign_in(client, smtp, "alice@acme.example")
    clock.advance(hours=3)
    assert client.get("/partner/dashboard").status_code == 200


def test_a_password_reset_tells_the_address_and_ends_every_session(app, client, smtp, clock):
    add_admin(app)
    elsewhere = app.test_client()
    admin_sign_in(elsewhere)
    submit(client, "/admin/password-reset", "/admin/password-reset", {"email": ADMIN_EMAIL})
    token = link_from(smtp.wait_for(1)[-1], RESET_PATTERN)
    client.get(f"/admin/password-reset/{token}")
    new = "violet umbrella harbour lantern"
    done = submit(
        client,
        "/admin/password-reset/new",
        "/admin/password-reset/new",
        {"password": new, "confirm": new},
    )
    assert done.location == "/admin/login"
    assert sessions_of(app) == 0
    assert elsewhere.get("/admin/").location.startswith("/admin/login")
    notice = smtp.wait_for(2)[-1]
    assert notice["To"] == ADMIN_EMAIL
    assert "password of your staff account was changed" in text_of(notice)
    assert "every other session" in text_of(notice).lower()
