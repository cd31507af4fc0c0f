"""Attack: guess links or codes, or replay stolen ones, as fast as the server answers.

Defence: every failed confirmation (unusable link, wrong code) is audited and
counted against the client IP; at RATE_LIMIT_FAILURES_PER_IP (100 an hour)
the IP is refused before its next attempt is even looked at, good or bad.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from partner_portal import messages
from partner_portal.extensions import db
from partner_portal.models import AuditEvent, MagicLinkToken

from ..helpers import (
    add_partner,
    code_from,
    enter_code,
    field_errors,
    flashes,
    request_link,
    token_from,
)

JUNK = "A" * 43  # well-formed, never minted
HOUR = timedelta(hours=1)


def count(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(AuditEvent.action == action))


def fail_links(client, times: int) -> None:  # noqa: ANN001
    """Try a bad link ``times`` times, landing on the login page each time like a browser."""
    for _ in range(times):
        response = client.get(f"/partner/verify/{JUNK}", follow_redirects=True)
        assert response.request.path == "/partner/login"


def test_after_100_failures_even_a_good_link_is_refused_from_that_ip(app, client, smtp):
    add_partner(app, "alice@acme.example")
    request_link(app.test_client(), "alice@acme.example")
    good = token_from(smtp.wait_for(1)[0])
    fail_links(client, 100)
    assert count(app, "partner.login.failed") == 100

    response = client.get(f"/partner/verify/{good}")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3600"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert flashes(response) == [messages.try_again_in(HOUR)]
    with app.app_context():
        (throttled,) = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "partner.login.throttled")
        ).all()
        assert throttled.details["limit"] == "failures"
        assert throttled.severity == "warning"
        # The link was not even looked at: it is still usable elsewhere.
        assert db.session.scalar(select(MagicLinkToken)).used_at is None
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    assert other.get(f"/partner/verify/{good}").location == "/partner/verify"


def test_the_failure_window_passes(app, client, clock):
    fail_links(client, 100)
    assert client.get(f"/partner/verify/{JUNK}").status_code == 429
    clock.advance(hours=1)
    assert client.get(f"/partner/verify/{JUNK}").status_code == 303


def test_the_failure_limit_is_configurable(app, client):
    app.config["RATE_LIMIT_FAILURES_PER_IP"] = 3
    fail_links(client, 3)
    assert client.get(f"/partner/verify/{JUNK}").status_code == 429


def test_wrong_codes_count_as_failures(app, client, smtp):
    app.config["RATE_LIMIT_FAILURES_PER_IP"] = 3
    add_partner(app, "alice@acme.example")
    request_link(client, "alice@acme.example")
    code = code_from(smtp.wait_for(1)[0])
    for _ in range(3):
        assert field_errors(enter_code(client, "2222-2222")) == [messages.CODE_INVALID]
    response = enter_code(client, code)  # right, but the IP is over its limit
    assert response.status_code == 429
    assert flashes(response) == [messages.try_again_in(HOUR)]
    assert client.get_cookie("partner.sid") is None


def test_the_api_is_throttled_alike(app, client, smtp):
    app.config["RATE_LIMIT_FAILURES_PER_IP"] = 3
    for _ in range(3):
        assert client.post("/api/partner/auth/verify", json={"token": JUNK}).status_code == 400
    response = client.post("/api/partner/auth/verify", json={"token": JUNK})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3600"
    assert "error" in response.json


def test_a_failed_confirmation_post_counts(app, client, smtp, clock):
    app.config["RATE_LIMIT_FAILURES_PER_IP"] = 1
    add_partner(app, "alice@acme.example")
    request_link(client, "alice@acme.example")
    client.get(f"/partner/verify/{token_from(smtp.wait_for(1)[0])}")
    from ..helpers import form_data

    data = form_data(client.get("/partner/verify"), "/partner/verify")
    clock.advance(minutes=16)
    client.post("/partner/verify", data=data)  # expired: one failure
    assert client.get(f"/partner/verify/{JUNK}").status_code == 429
