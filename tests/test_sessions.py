"""The partner's server-side session: its cookie, its row, its lifetime, its end."""

from __future__ import annotations

from sqlalchemy import func, select

from partner_portal import actors, messages, partners
from partner_portal.extensions import db
from partner_portal.models import AuditEvent, PartnerSession
from partner_portal.security.sessions import store_key

from .helpers import (
    add_partner,
    confirm,
    flashes,
    form_data,
    request_link,
    sign_in,
    submit,
    token_from,
)


def session_rows(app) -> list[PartnerSession]:
    with app.app_context():
        rows = db.session.scalars(select(PartnerSession)).all()
        for row in rows:
            db.session.expunge(row)
        return list(rows)


def set_cookie_headers(response, name: str) -> list[str]:
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]


def test_sign_in_sets_the_partner_cookie_with_safe_attributes(app, client, smtp):
    add_partner(app, "alice@acme.example")
    response = sign_in(client, smtp, "alice@acme.example")
    (header,) = set_cookie_headers(response, "partner.sid")
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Path=/" in header
    assert "Secure" not in header  # development; production is tested in test_config
    assert "Expires=Sun, 22 Nov 2026 09:30:00 GMT" in header  # 24 h after sign-in, absolute
    (row,) = session_rows(app)
    assert row.session_hash == store_key(client.get_cookie("partner.sid").value)
    assert row.partner_id is not None
    assert row.expiry.isoformat() == "2026-11-22T09:30:00+00:00"


def test_anonymous_visitors_never_create_session_rows(app, client):
    for _ in range(50):
        fresh = app.test_client()
        assert fresh.get("/partner/login").status_code == 200
        assert fresh.get_cookie("partner.pre") is not None
        assert fresh.get_cookie("partner.sid") is None
    assert session_rows(app) == []


def test_session_id_is_rotated_at_sign_in(app, client, smtp):
    add_partner(app, "alice@acme.example")
    sign_in(client, smtp, "alice@acme.example")
    first = client.get_cookie("partner.sid").value
    # A second link, opened and confirmed in the already signed-in browser.
    request_link(app.test_client(), "alice@acme.example")
    confirm(client, token_from(smtp.wait_for(2)[-1]))
    second = client.get_cookie("partner.sid").value
    assert first != second
    assert [row.session_hash for row in session_rows(app)] == [store_key(second)]


def test_csrf_token_changes_at_sign_in(app, client, smtp):
    add_partner(app, "alice@acme.example")
    before = form_data(client.get("/partner/login"), "/partner/login")["csrf_token"]
    sign_in(client, smtp, "alice@acme.example")
    after = form_data(client.get("/partner/dashboard"), "/partner/logout")["csrf_token"]
    with app.test_request_context():
        from itsdangerous import URLSafeTimedSerializer

        loads = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").loads
        assert loads(before) != loads(after)


def test_a_session_id_the_server_never_issued_is_not_adopted(app, client, smtp):
    add_partner(app, "alice@acme.example")
    planted = "attacker-chosen-session-id"
    client.set_cookie("partner.sid", planted)
    sign_in(client, smtp, "alice@acme.example")
    assert client.get_cookie("partner.sid").value != planted
    assert store_key(planted) not in [row.session_hash for row in session_rows(app)]


def test_forged_pre_session_cookie_cannot_carry_an_identity(app, client):
    add_partner(app, "alice@acme.example")
    from itsdangerous import URLSafeTimedSerializer

    # Signed with the wrong key, then with the right key but claiming an identity.
    client.set_cookie("partner.pre", URLSafeTimedSerializer("guess").dumps({"partner_id": 1}))
    assert client.get("/partner/dashboard").status_code == 302
    with app.app_context():
        good_key = URLSafeTimedSerializer(app.secret_key, salt="partner-portal.partner.pre-session")
    client.set_cookie("partner.pre", good_key.dumps({"partner_id": 1}))
    assert client.get("/partner/dashboard").status_code == 302


def test_session_ends_24_hours_after_sign_in_however_active(app, client, smtp, clock):
    add_partner(app, "alice@acme.example")
    sign_in(client, smtp, "alice@acme.example")
    for _ in range(23):
        clock.advance(hours=1)
        assert client.get("/partner/dashboard").status_code == 200
    clock.advance(minutes=59, seconds=59)
    assert client.get("/partner/dashboard").status_code == 200
    clock.advance(seconds=1)
    response = client.get("/partner/dashboard")
    assert response.status_code == 302
    assert response.location.startswith("/partner/login")


def test_deactivating_a_partner_ends_the_session_on_the_next_request(app, client, smtp):
    add_partner(app, "alice@acme.example")
    sign_in(client, smtp, "alice@acme.example")
    assert client.get("/partner/dashboard").status_code == 200
    with app.app_context():
        partners.deactivate_partner(actors.SYSTEM, partners.get_partner("alice@acme.example"))
        db.session.commit()
    assert client.get("/partner/dashboard").status_code == 302
    assert session_rows(app) == []


def test_deactivation_is_enforced_even_if_the_row_survived(app, client, smtp):
    add_partner(app, "alice@acme.example")
    sign_in(client, smtp, "alice@acme.example")
    with app.app_context():
        partners.get_partner("alice@acme.example").is_active = False  # bypasses end_all
        db.session.commit()
    response = client.get("/partner/dashboard")
    assert response.status_code == 302
    assert client.get_cookie("partner.sid") is None
    assert session_rows(app) == []


def test_logout_destroys_the_session_and_clears_the_cookie(app, client, smtp):
    add_partner(app, "alice@acme.example")
    sign_in(client, smtp, "alice@acme.example")
    old_sid = client.get_cookie("partner.sid").value

    response = submit(client, "/partner/dashboard", "/partner/logout")

    assert response.status_code == 303
    assert response.location == "/partner/login"
    (header,) = set_cookie_headers(response, "partner.sid")
    assert "Max-Age=0" in header
    assert session_rows(app) == []
    assert flashes(client.get("/partner/login")) == [messages.SIGNED_OUT]
    # The old id is dead even if someone kept a copy.
    thief = app.test_client()
    thief.set_cookie("partner.sid", old_sid)
    assert thief.get("/partner/dashboard").status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).where(AuditEvent.action == "partner.logout"))
            == 1
        )


def test_logout_requires_a_post_with_csrf(app, client, smtp):
    add_partner(app, "alice@acme.example")
    sign_in(client, smtp, "alice@acme.example")
    assert client.get("/partner/logout").status_code == 405
    client.post("/partner/logout", data={})
    assert client.get("/partner/dashboard").status_code == 200


def test_last_seen_is_written_at_most_every_five_minutes(app, client, smtp, clock):
    add_partner(app, "alice@acme.example")
    sign_in(client, smtp, "alice@acme.example")
    client.get("/partner/dashboard")  # the first page stores the new CSRF token
    (row,) = session_rows(app)
    clock.advance(minutes=2)
    client.get("/partner/dashboard")
    assert session_rows(app)[0].last_seen_at == row.last_seen_at
    clock.advance(minutes=4)
    client.get("/partner/dashboard")
    assert session_rows(app)[0].last_seen_at == clock.at


def test_an_expired_form_on_a_button_only_page_returns_to_that_page(app, client, smtp):
    add_partner(app, "alice@acme.example")
    sign_in(client, smtp, "alice@acme.example")
    response = client.post(
        "/partner/logout", data={}, headers={"Referer": "http://localhost/partner/dashboard"}
    )
    assert response.location == "/partner/dashboard"
    assert messages.FORM_EXPIRED in flashes(client.get(response.location))
    # Another site's page is never a destination.
    response = client.post(
        "/partner/logout", data={}, headers={"Referer": "https://evil.example/partner/dashboard"}
    )
    assert response.location == "/"
