"""Attack: flood the link form to mail-bomb a partner or to probe which addresses exist.

Defence: every link request is counted per canonical address (registered or
not) and per client IP in the database, so every worker process counts
together; the hit is one atomic upsert, so a burst of simultaneous requests
cannot slip past the limit. Throttled requests are told so, identically for
every kind of address, and links already sent keep working.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from partner_portal import actors, messages, partners
from partner_portal.extensions import db
from partner_portal.models import AuditEvent, OutboxJob

from ..helpers import (
    add_partner,
    confirm,
    flashes,
    form_data,
    request_link,
    soup,
    submit,
    token_from,
)

HOUR_WAIT = messages.try_again_in(timedelta(hours=1))


def outbox_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(OutboxJob))


def audit(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ).all()
        for row in rows:
            db.session.expunge(row)
        return list(rows)


def from_ip(app, ip: str):  # noqa: ANN201 - FlaskClient
    """A browser at ``ip`` (the socket address the server sees)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def test_a_sixth_request_for_one_address_within_the_hour_is_refused(app, smtp, clock):
    add_partner(app, "alice@acme.example")
    for i in range(5):  # five different browsers and networks: the address is what counts
        response = request_link(from_ip(app, f"198.51.100.{i}"), "alice@acme.example")
        assert response.location == "/partner/login/sent"

    response = request_link(from_ip(app, "198.51.100.99"), " Alice@ACME.example ")

    assert response.status_code == 429
    assert flashes(response) == [HOUR_WAIT]
    assert response.headers["Retry-After"] == "3600"
    assert soup(response).find("input", attrs={"name": "email"}) is not None  # the form again
    assert outbox_count(app) == 5
    assert len(smtp.wait_for(5)) == 5

    clock.advance(minutes=45)
    response = request_link(from_ip(app, "198.51.100.98"), "alice@acme.example")
    assert flashes(response) == [messages.try_again_in(timedelta(minutes=15))]
    clock.advance(minutes=15)
    response = request_link(from_ip(app, "198.51.100.97"), "alice@acme.example")
    assert response.location == "/partner/login/sent"


def test_unknown_addresses_are_counted_exactly_like_registered_ones(app, smtp):
    for i in range(5):
        request_link(from_ip(app, f"198.51.100.{i}"), "nobody@acme.example")
    response = request_link(from_ip(app, "198.51.100.99"), "nobody@acme.example")
    assert response.status_code == 429
    assert flashes(response) == [HOUR_WAIT]
    assert outbox_count(app) == 5


def test_one_ip_may_ask_for_twenty_links_an_hour_whatever_the_addresses(app, smtp, clock):
    browser = from_ip(app, "203.0.113.7")
    for i in range(20):
        assert request_link(browser, f"someone{i}@acme.example").status_code == 303
    response = request_link(browser, "someone-else@acme.example")
    assert response.status_code == 429
    assert flashes(response) == [HOUR_WAIT]
    assert outbox_count(app) == 20
    # Another network is not affected.
    assert request_link(from_ip(app, "203.0.113.8"), "x@acme.example").status_code == 303


def test_limits_are_configurable(app, smtp):
    app.config["RATE_LIMIT_PER_EMAIL"] = 2
    for i in range(2):
        assert request_link(from_ip(app, f"198.51.100.{i}"), "a@acme.example").status_code == 303
    assert request_link(from_ip(app, "198.51.100.9"), "a@acme.example").status_code == 429
    app.config["RATE_LIMIT_PER_IP"] = 3
    browser = from_ip(app, "203.0.113.50")
    for i in range(3):
        assert request_link(browser, f"b{i}@acme.example").status_code == 303
    assert request_link(browser, "b9@acme.example").status_code == 429


def test_throttled_answers_are_identical_for_registered_unknown_and_inactive(app, smtp):
    add_partner(app, "alice@acme.example")
    add_partner(app, "gone@acme.example")
    with app.app_context():
        partners.deactivate_partner(actors.SYSTEM, partners.get_partner("gone@acme.example"))
        db.session.commit()

    answers = {}
    for address in ("alice@acme.example", "nobody@acme.example", "gone@acme.example"):
        for i in range(5):
            request_link(from_ip(app, f"198.51.100.{i}"), address)
        browser = from_ip(app, "198.51.100.200")
        page = browser.get("/partner/login")
        data = form_data(page, "/partner/login")
        response = browser.post("/partner/login", data={**data, "email": address})
        body = response.get_data(as_text=True)
        answers[address] = (
            response.status_code,
            body.replace(address, "ADDRESS").replace(data["csrf_token"], "TOKEN"),
            # Content-Length differs only by the echoed address's length.
            sorted(
                (k, v)
                for k, v in response.headers.items()
                if k not in ("Set-Cookie", "Content-Length")
            ),
        )
    registered, unknown, inactive = answers.values()
    assert registered[0] == 429
    assert registered == unknown == inactive


def test_a_link_already_sent_keeps_working_while_throttled(app, client, smtp):
    add_partner(app, "alice@acme.example")
    for _ in range(5):
        request_link(client, "alice@acme.example")
    assert request_link(client, "alice@acme.example").status_code == 429
    first = smtp.wait_for(5)[0]
    assert confirm(client, token_from(first)).location == "/partner/dashboard"


def test_throttled_requests_are_audited_as_warnings_and_queue_nothing(app, smtp):
    partner_id = add_partner(app, "alice@acme.example")
    for i in range(7):
        request_link(from_ip(app, f"198.51.100.{i}"), "alice@acme.example")
    # Two refusals of one window: one row, counted twice (test_audit_retention.py).
    (event,) = audit(app, "partner.login.throttled")
    assert event.occurrences == 2
    assert event.severity == "warning"
    assert event.email == "alice@acme.example"
    assert event.partner_id == partner_id
    assert event.ip_address == "198.51.100.5"
    assert event.details["limit"] == "email"
    assert len(audit(app, "partner.login.requested")) == 5
    assert outbox_count(app) == 5


def test_throttled_requests_do_not_extend_the_window(app, smtp, clock):
    for i in range(5):
        request_link(from_ip(app, f"198.51.100.{i}"), "nobody@acme.example")
    for i in range(30):  # keep hammering, from everywhere
        clock.advance(minutes=1)
        response = request_link(from_ip(app, f"192.0.2.{i}"), "nobody@acme.example")
        assert response.status_code == 429
    clock.advance(minutes=30)
    assert request_link(from_ip(app, "192.0.2.99"), "nobody@acme.example").status_code == 303


def test_an_ip_over_its_limit_does_not_grow_the_counter_table(app, smtp):
    """Spraying random addresses from one IP stops costing rows once the IP is throttled."""
    from partner_portal.models import RateLimit

    browser = from_ip(app, "203.0.113.9")
    for i in range(40):
        request_link(browser, f"random{i}@acme.example")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RateLimit)) == 1 + 20


@pytest.mark.parametrize("distinct_ips", [True, False], ids=["50 IPs", "one IP"])
def test_fifty_simultaneous_requests_for_one_address_queue_at_most_five_emails(
    app, smtp, distinct_ips
):
    """Fifty browsers press the button at once, on the real SQLite file: five emails."""
    add_partner(app, "alice@acme.example")
    browsers = [
        from_ip(app, f"198.51.100.{i}" if distinct_ips else "198.51.100.1") for i in range(50)
    ]
    forms = [form_data(b.get("/partner/login"), "/partner/login") for b in browsers]
    barrier = threading.Barrier(50)
    statuses: list[int] = []

    def press(browser, data) -> None:  # noqa: ANN001
        barrier.wait()
        response = browser.post("/partner/login", data={**data, "email": "alice@acme.example"})
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=press, args=pair) for pair in zip(browsers, forms, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [303] * 5 + [429] * 45
    assert outbox_count(app) == 5
    assert len(smtp.wait_for(5)) == 5
    assert len(smtp.delivered()) == 5


def test_the_api_answers_429_with_retry_after(app, client, smtp):
    for _ in range(5):
        client.post("/api/partner/auth/request-login", json={"email": "alice@acme.example"})
    response = client.post("/api/partner/auth/request-login", json={"email": "alice@acme.example"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3600"
    assert response.json == {"error": HOUR_WAIT}


def test_the_message_counts_whole_minutes_rounding_up():
    assert messages.try_again_in(timedelta(minutes=60)) == (
        "Too many requests. Try again in 60 minutes."
    )
    assert messages.try_again_in(timedelta(seconds=61)) == (
        "Too many requests. Try again in 2 minutes."
    )
    assert messages.try_again_in(timedelta(seconds=5)) == (
        "Too many requests. Try again in 1 minute."
    )


def test_invalid_addresses_are_not_counted(app, client, smtp):
    """A form error is answered before any counting: typos do not use up the limit."""
    for _ in range(25):
        response = submit(client, "/partner/login", "/partner/login", {"email": "nope"})
        assert response.status_code == 400
    assert request_link(client, "alice@acme.example").status_code == 303


def test_expired_counters_are_pruned_by_the_command(app, runner, smtp, clock):
    from partner_portal.models import RateLimit

    for i in range(3):
        request_link(from_ip(app, f"198.51.100.{i}"), f"p{i}@acme.example")
    clock.advance(minutes=30)
    request_link(from_ip(app, "198.51.100.50"), "late@acme.example")
    clock.advance(minutes=31)
    result = runner.invoke(args=["security", "prune-limits"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Removed 6 rate-limit counters of windows that have ended."
    with app.app_context():
        keys = sorted(db.session.scalars(select(RateLimit.key)))
    assert keys == ["198.51.100.50", "late@acme.example"]


# -- IPv6 and the staff reset (issue 10, finding 11) ------------------------------


def test_an_ipv6_subscriber_cannot_take_a_fresh_budget_from_every_address(app, smtp):
    """One subscriber holds a whole /64: 2^64 addresses, one limit."""
    for i in range(1, 21):
        response = request_link(from_ip(app, f"2001:db8:1:2::{i:x}"), f"p{i}@acme.example")
        assert response.status_code == 303
    refused = request_link(from_ip(app, "2001:db8:1:2:ffff:ffff:ffff:ffff"), "q@acme.example")
    assert refused.status_code == 429
    # The next /64 is someone else.
    assert request_link(from_ip(app, "2001:db8:1:3::1"), "q@acme.example").status_code == 303


def test_an_ipv4_mapped_address_counts_as_its_ipv4_address(app, smtp):
    app.config["RATE_LIMIT_PER_IP"] = 2
    assert request_link(from_ip(app, "198.51.100.7"), "a@acme.example").status_code == 303
    assert request_link(from_ip(app, "::ffff:198.51.100.7"), "b@acme.example").status_code == 303
    assert request_link(from_ip(app, "198.51.100.7"), "c@acme.example").status_code == 429


def test_the_per_ip_keys(app):
    from partner_portal.security.limits import client_key

    assert client_key("198.51.100.7") == "198.51.100.7"
    assert client_key("::ffff:198.51.100.7") == "198.51.100.7"
    assert client_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64"
    assert client_key("2001:DB8:1:2::1") == "2001:db8:1:2::/64"
    assert client_key(None) == "unknown"


def test_a_staff_reset_sprayer_over_its_ip_limit_does_not_count_the_address(app, smtp):
    """Check the IP first: an IP already refused must not use up a real admin's resets."""
    from ..helpers import ADMIN_EMAIL, add_admin

    add_admin(app)
    sprayer = from_ip(app, "203.0.113.66")
    for i in range(20):
        submit(
            sprayer, "/admin/password-reset", "/admin/password-reset", {"email": f"x{i}@e.example"}
        )
    for _ in range(10):  # refused by the IP limit: the admin's address is not counted
        submit(sprayer, "/admin/password-reset", "/admin/password-reset", {"email": ADMIN_EMAIL})

    admin = from_ip(app, "192.0.2.10")
    submit(admin, "/admin/password-reset", "/admin/password-reset", {"email": ADMIN_EMAIL})
    (message,) = smtp.wait_for(1)
    assert message["To"] == ADMIN_EMAIL
