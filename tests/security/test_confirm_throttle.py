"""Attack: guess codes (or links) as fast as the server answers; or lock an office out.

Defence: failures are counted per client IP only where the sender must hold
state — the confirming POST of a link (the session and its CSRF token) and
the one-time code's POST (the asking browser's request id). At
RATE_LIMIT_FAILURES_PER_IP (100 an hour) that IP's codes are refused before
they are even looked at. Opening a link (a GET, which any web page can make a
browser send with an ``<img>``) is audited but never counted, and a link that
exists and is live is never refused: its 256 bits are not worth guessing, and
a failure limit that refused it would be a lockout anyone could trigger.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from partner_portal import messages
from partner_portal.extensions import db
from partner_portal.models import AuditEvent, MagicLinkToken, Partner
from partner_portal.security import limits, tokens
from partner_portal.security.purposes import Purpose

from ..helpers import (
    add_admin,
    add_partner,
    code_from,
    confirm,
    enter_code,
    field_errors,
    flashes,
    form_data,
    request_link,
    token_from,
)

JUNK = "A" * 43  # well-formed, never minted
HOUR = timedelta(hours=1)
# Every landing of the link registry, with a path an attacker's page can make a browser open.
LANDINGS = [
    "/partner/verify/",
    "/api/partner/auth/verify/",
    "/partner/signup/",
    "/partner/account/email/verify/",
    "/partner/account/email/cancel/",
    "/partner/account/delete/verify/",
    "/admin/password-reset/",
]


def count(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(AuditEvent.action == action))


def is_over_failure_limit(app, ip: str = "127.0.0.1") -> bool:
    with app.app_context():
        return limits.check_failures(ip) is not None


def mint(app, purpose: Purpose = Purpose.LOGIN, **owner: int) -> str:
    with app.app_context():
        minted = tokens.mint_token(
            email="alice@acme.example",
            purpose=purpose,
            lifetime=purpose.default_lifetime,
            **owner,
        )
        db.session.commit()
        return minted.raw


def fail_confirmations(app, client, times: int) -> None:  # noqa: ANN001
    """Open a good link, see it revoked before pressing the button, press it: ``times`` times."""
    partner_id = add_partner_once(app)
    for _ in range(times):
        raw = mint(app, partner_id=partner_id)
        assert client.get(f"/partner/verify/{raw}").location == "/partner/verify"
        data = form_data(client.get("/partner/verify"), "/partner/verify")
        with app.app_context():
            tokens.revoke_tokens(partner_id=partner_id)
            db.session.commit()
        assert client.post("/partner/verify", data=data).location == "/partner/login"


def add_partner_once(app) -> int:
    with app.app_context():
        from partner_portal.partners import find_partner

        existing = find_partner("alice@acme.example")
        if existing is not None:
            return existing.id
    return add_partner(app, "alice@acme.example")


@pytest.mark.parametrize("landing", LANDINGS)
def test_cross_site_gets_of_junk_links_lock_nobody_out(app, client, smtp, landing):
    """200 <img> tags on a web page, all behind the office's one IP: nothing is counted."""
    app.config["RATE_LIMIT_FAILURES_PER_IP"] = 3
    add_partner(app, "alice@acme.example")
    for _ in range(200):
        client.get(landing + JUNK, headers={"Sec-Fetch-Site": "cross-site"})
    assert not is_over_failure_limit(app)
    colleague = app.test_client()  # same IP: 127.0.0.1
    request_link(colleague, "alice@acme.example")
    message = smtp.wait_for(1)[0]
    assert enter_code(colleague, code_from(message)).location == "/partner/dashboard"


def test_a_live_link_is_never_refused_by_the_failure_limit(app, client, smtp):
    app.config["RATE_LIMIT_FAILURES_PER_IP"] = 3
    fail_confirmations(app, client, 5)
    assert is_over_failure_limit(app)
    assert count(app, "partner.login.failed") == 5
    request_link(client, "alice@acme.example")
    response = confirm(client, token_from(smtp.wait_for(1)[0]))
    assert response.location == "/partner/dashboard"
    assert client.get("/partner/dashboard").status_code == 200


def test_failed_confirmations_use_up_the_ips_code_tries(app, client, smtp):
    app.config["RATE_LIMIT_FAILURES_PER_IP"] = 3
    fail_confirmations(app, client, 3)
    request_link(client, "alice@acme.example")
    code = code_from(smtp.wait_for(1)[0])
    response = enter_code(client, code)  # right, but the IP is over its limit
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3600"
    assert flashes(response) == [messages.try_again_in(HOUR)]
    assert client.get_cookie("partner.sid") is None
    with app.app_context():
        throttled = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "partner.login.throttled")
        ).one()
        assert throttled.details["limit"] == "failures"
        # The code was not even looked at: its link is unspent, its tries untouched.
        link = db.session.scalars(
            select(MagicLinkToken).where(MagicLinkToken.request_id.is_not(None))
        ).one()
        assert link.used_at is None
        assert link.code_attempts == 0


def test_wrong_codes_count_as_failures(app, client, smtp):
    app.config["RATE_LIMIT_FAILURES_PER_IP"] = 3
    add_partner(app, "alice@acme.example")
    request_link(client, "alice@acme.example")
    code = code_from(smtp.wait_for(1)[0])
    for _ in range(3):
        assert field_errors(enter_code(client, "2222-2222")) == [messages.CODE_INVALID]
    response = enter_code(client, code)
    assert response.status_code == 429
    assert flashes(response) == [messages.try_again_in(HOUR)]
    assert client.get_cookie("partner.sid") is None


def test_the_failure_window_passes(app, client, smtp, clock):
    app.config["RATE_LIMIT_FAILURES_PER_IP"] = 3
    fail_confirmations(app, client, 3)
    clock.advance(hours=1)
    request_link(client, "alice@acme.example")
    assert enter_code(client, code_from(smtp.wait_for(1)[0])).location == "/partner/dashboard"


def test_the_api_counts_junk_tokens_but_never_refuses_a_live_one(app, client, smtp):
    app.config["RATE_LIMIT_FAILURES_PER_IP"] = 3
    add_partner(app, "alice@acme.example")
    for _ in range(5):
        assert client.post("/api/partner/auth/verify", json={"token": JUNK}).status_code == 400
    assert is_over_failure_limit(app)
    request_link(app.test_client(), "alice@acme.example")
    token = token_from(smtp.wait_for(1)[0])
    response = client.post("/api/partner/auth/verify", json={"token": token})
    assert response.status_code == 200
    assert response.json["success"] is True


def test_invitation_and_reset_failures_are_counted_like_sign_in_failures(app, client, smtp):
    """Every kind of link goes through the same redeem step, which counts its failures."""
    app.config["RATE_LIMIT_FAILURES_PER_IP"] = 2
    with app.app_context():
        invited = Partner(email="grace@acme.example", name="Grace", is_active=False)
        db.session.add(invited)
        db.session.commit()
        invited_id = invited.id
    admin_id = add_admin(app)

    invitation = mint(app, Purpose.SIGNUP, partner_id=invited_id)
    assert client.get(f"/partner/signup/{invitation}").location == "/partner/signup"
    data = form_data(client.get("/partner/signup"), "/partner/signup")
    with app.app_context():
        tokens.revoke_tokens(partner_id=invited_id)
        db.session.commit()
    assert client.post("/partner/signup", data=data).location == "/partner/login"
    assert count(app, "partner.signup.failed") == 1

    staff = app.test_client()
    reset = mint(app, Purpose.PASSWORD_RESET, admin_id=admin_id)
    assert staff.get(f"/admin/password-reset/{reset}").location == "/admin/password-reset/new"
    data = form_data(staff.get("/admin/password-reset/new"), "/admin/password-reset/new")
    with app.app_context():
        tokens.revoke_tokens(admin_id=admin_id)
        db.session.commit()
    new_password = {"password": "a brand new long password", "confirm": "a brand new long password"}
    staff.post("/admin/password-reset/new", data={**data, **new_password})
    assert count(app, "admin.password_reset.failed") == 1

    assert is_over_failure_limit(app)
    add_partner(app, "alice@acme.example")
    request_link(client, "alice@acme.example")
    assert enter_code(client, code_from(smtp.wait_for(1)[0])).status_code == 429
