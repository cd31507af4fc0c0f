"""Attack: grow the audit table without bound (issue 10, finding 17).

Every refused request wrote its own audit row, and nothing was ever removed:
a script hammering the link form (or junk links, once over the failure limit)
added a row per request, forever.

Defence: the first refusal of a counter's window is a row; every later one
adds to that row's ``occurrences`` and ``last_at``. The row still says who
was targeted (address, partner), from where (the refused IP or /64, in
``details.limit_key``) and how hard (how many, until when). And ``flask
cleanup`` removes events older than ``AUDIT_RETENTION_DAYS`` (400), in batches.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from partner_portal import clock as portal_clock
from partner_portal import housekeeping
from partner_portal.extensions import db
from partner_portal.models import AuditEvent
from partner_portal.security.audit import Requester, record

from ..helpers import (
    add_admin,
    add_partner,
    admin_sign_in,
    audit_events,
    enter_code,
    request_link,
    soup,
)


def from_ip(app, ip: str):  # noqa: ANN001, ANN201
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def event_count(app) -> int:  # noqa: ANN001
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_a_flood_of_refusals_is_one_row_per_counter_and_window(app, smtp):
    partner_id = add_partner(app, "alice@acme.example")
    attacker = from_ip(app, "203.0.113.9")
    for _ in range(120):
        request_link(attacker, "alice@acme.example")

    by_email, by_ip = audit_events(app, "partner.login.throttled")
    # Requests 6-20: the address's limit; 21-120: the IP's.
    assert (by_email.details["limit"], by_email.occurrences) == ("email", 15)
    assert (by_email.email, by_email.partner_id) == ("alice@acme.example", partner_id)
    assert (by_ip.details["limit"], by_ip.occurrences) == ("ip", 100)
    assert by_ip.details["limit_key"] == "203.0.113.9"
    assert by_ip.last_at >= by_ip.created_at
    assert event_count(app) == 5 + 2  # five requests, two refusal rows


def test_a_new_window_starts_a_new_row(app, smtp, clock):
    attacker = from_ip(app, "203.0.113.9")
    for _ in range(8):
        request_link(attacker, "nobody@acme.example")
    clock.advance(minutes=61)
    for _ in range(8):
        request_link(attacker, "nobody@acme.example")
    rows = audit_events(app, "partner.login.throttled")
    assert [row.occurrences for row in rows] == [3, 3]


def test_guesses_over_the_failure_limit_are_folded_too(app, client, smtp):
    """Wrong codes past RATE_LIMIT_FAILURES_PER_IP: refused, and one row however many."""
    app.config["RATE_LIMIT_FAILURES_PER_IP"] = 3
    request_link(client, "nobody@acme.example")
    for _ in range(3):
        enter_code(client, "AAAA-AAAA")
    before = event_count(app)
    for _ in range(40):
        assert enter_code(client, "BBBB-BBBB").status_code == 429
    assert event_count(app) == before + 1
    (refused,) = audit_events(app, "partner.login.throttled")
    assert (refused.details["limit"], refused.occurrences) == ("failures", 40)


def test_the_console_shows_how_hard(app, client, smtp):
    attacker = from_ip(app, "203.0.113.9")
    for _ in range(30):
        request_link(attacker, "alice@acme.example")
    add_admin(app)
    admin_sign_in(client)
    page = soup(client.get("/admin/audit?action=partner.login.throttled"))
    text = page.select_one("table.audit").get_text(" ", strip=True)
    assert "15 times" in text
    assert "10 times" in text
    assert "203.0.113.9" in text


def test_cleanup_removes_events_older_than_the_retention(app, runner, clock, monkeypatch):
    monkeypatch.setattr(housekeeping, "BATCH_SIZE", 4)
    with app.app_context():
        for number in range(9):
            record("partner.logout", Requester(), details={"n": number})
        db.session.commit()
    clock.advance(days=300)
    with app.app_context():
        record("partner.logout", Requester(), details={"n": "recent"})
        db.session.commit()
    clock.advance(days=101)

    result = runner.invoke(args=["cleanup"])

    assert result.exit_code == 0, result.output
    assert "Removed 9 audit events older than 400 days." in result.output
    assert [event.details["n"] for event in audit_events(app)] == ["recent"]


def test_an_aggregate_row_is_kept_while_its_refusals_go_on(app, runner, clock):
    app.config["AUDIT_RETENTION_DAYS"] = 1
    attacker = from_ip(app, "203.0.113.9")
    for _ in range(7):
        request_link(attacker, "nobody@acme.example")
    clock.advance(hours=23)
    with app.app_context():
        (row,) = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "partner.login.throttled")
        )
        row.last_at = portal_clock.now()
        db.session.commit()
    clock.advance(hours=2)
    runner.invoke(args=["cleanup"])
    assert len(audit_events(app, "partner.login.throttled")) == 1
    assert audit_events(app, "partner.login.requested") == []


@pytest.mark.parametrize("days", ["0", "-1", "x"])
def test_the_retention_must_be_a_positive_number_of_days(tmp_path, monkeypatch, days):
    from partner_portal import create_app
    from partner_portal.config import ConfigError

    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("AUDIT_RETENTION_DAYS", days)
    with pytest.raises(ConfigError, match="AUDIT_RETENTION_DAYS"):
        create_app({"TESTING": True})


def test_the_default_retention_is_400_days(app):
    assert app.config["AUDIT_RETENTION_DAYS"] == 400
    assert timedelta(days=app.config["AUDIT_RETENTION_DAYS"]) > timedelta(days=365)
