"""Attack: session fixation, and riding a CSRF token learnt before the victim signed in.

Defence: a signed-in session's id is minted by the server at sign-in (after
the identity is written, so there is something to rotate); a cookie value
the server never issued, or whose row is gone, is never adopted; anonymous
state lives in a signed cookie that can never carry an identity; the CSRF
token is dropped with the anonymous state at sign-in.
"""

from __future__ import annotations

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from partner_portal.extensions import db
from partner_portal.models import PartnerSession
from partner_portal.security.sessions import store_key

from ..helpers import (
    code_from,
    confirm,
    enter_code,
    form_data,
    request_link,
    sign_in,
    token_from,
)


def stored_ids(app) -> list[str]:
    """Return the stored sessions, as the store keys them: the hash of each id."""
    with app.app_context():
        return list(db.session.scalars(select(PartnerSession.session_hash)))


@pytest.mark.parametrize("way", ["link", "code"])
def test_a_planted_session_id_is_never_adopted(app, client, smtp, alice, way):
    planted = "A" * 43  # looks like one of ours
    client.set_cookie("partner.sid", planted)
    request_link(client, "alice@acme.example")
    message = smtp.wait_for(1)[0]
    if way == "link":
        confirm(client, token_from(message))
    else:
        enter_code(client, code_from(message))
    issued = client.get_cookie("partner.sid").value
    assert issued != planted
    assert stored_ids(app) == [store_key(issued)]
    # The attacker, holding the planted value, holds nothing.
    attacker = app.test_client()
    attacker.set_cookie("partner.sid", planted)
    assert attacker.get("/partner/dashboard").status_code == 302


def test_an_id_from_an_earlier_session_is_not_revived(app, client, smtp, alice):
    sign_in(client, smtp, "alice@acme.example")
    old = client.get_cookie("partner.sid").value
    form = form_data(client.get("/partner/dashboard"), "/partner/logout")
    client.post("/partner/logout", data=form)
    victim = app.test_client()
    victim.set_cookie("partner.sid", old)  # planted after the attacker signed out
    sign_in(victim, smtp, "alice@acme.example")
    assert victim.get_cookie("partner.sid").value != old
    assert store_key(old) not in stored_ids(app)


def test_the_attackers_own_pre_session_gives_no_foothold(app, smtp, alice):
    """Planting a genuine anonymous cookie: after the victim signs in, its CSRF token is dead."""
    attacker = app.test_client()
    attacker_csrf = form_data(attacker.get("/partner/login"), "/partner/login")["csrf_token"]
    pre = attacker.get_cookie("partner.pre").value

    victim = app.test_client()
    victim.set_cookie("partner.pre", pre)
    sign_in(victim, smtp, "alice@acme.example")

    # A forged cross-site form carrying the token the attacker knows is refused.
    response = victim.post("/partner/logout", data={"csrf_token": attacker_csrf})
    assert response.status_code == 303
    assert victim.get("/partner/dashboard").status_code == 200  # still signed in: nothing done
    # And the planted anonymous cookie never became a session for the attacker.
    attacker.set_cookie("partner.pre", pre)
    assert attacker.get("/partner/dashboard").status_code == 302


def test_a_pre_session_cookie_signed_by_anyone_else_is_ignored(app, client, alice):
    forged = URLSafeTimedSerializer("guessed-key", salt="partner-portal.partner.pre-session")
    client.set_cookie("partner.pre", forged.dumps({"partner_id": alice, "login_request": "x"}))
    assert client.get("/partner/dashboard").status_code == 302
    page = client.get("/partner/login/sent")
    assert b'name="code"' not in page.get_data()  # the forged request id was not believed


@pytest.mark.parametrize(
    "value", ["", "x" * 4000, "é" * 10, "' OR 1=1 --", "%00", "a;b=c", "..%2F..%2F"]
)
def test_junk_session_cookies_are_treated_as_anonymous(app, client, value):
    client.set_cookie("partner.sid", value)
    client.set_cookie("partner.pre", value)
    response = client.get("/partner/login")
    assert response.status_code == 200
    assert stored_ids(app) == []


def test_the_session_cookie_is_http_only_and_same_site(app, client, smtp, alice):
    response = sign_in(client, smtp, "alice@acme.example")
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("partner.sid=")]
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
