"""`flask cleanup`: expired sessions and spent links go, live ones and the audit trail stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from partner_portal import housekeeping
from partner_portal.extensions import db
from partner_portal.models import AuditEvent, MagicLinkToken, PartnerSession
from partner_portal.security import tokens
from partner_portal.security.purposes import Purpose

from .helpers import add_partner, sign_in

LIFETIME = timedelta(minutes=15)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def mint(app, email: str, *, use: bool = False, revoke: bool = False) -> int:
    """Mint a login link now (the frozen clock); optionally spend or revoke it at once."""
    with app.app_context():
        minted = tokens.mint_token(email=email, purpose=Purpose.LOGIN, lifetime=LIFETIME)
        if use:
            tokens.redeem_token(tokens.LinkRef.of(minted.token), Purpose.LOGIN)
        if revoke:
            minted.token.revoked_at = minted.token.created_at
        db.session.commit()
        return minted.token.id


def remaining_links(app) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(MagicLinkToken.id)))


def test_cleanup_removes_expired_sessions_and_keeps_live_ones(app, client, runner, smtp, clock):
    add_partner(app, "alice@acme.example")
    bob_id = add_partner(app, "bob@acme.example", name="Bob")
    sign_in(client, smtp, "alice@acme.example")
    clock.advance(hours=23)
    bob = app.test_client()
    sign_in(bob, smtp, "bob@acme.example")
    clock.advance(hours=2)  # Alice's 24 hours are over; Bob's are not.

    result = runner.invoke(args=["cleanup"])

    assert result.exit_code == 0, result.output
    assert "Removed 1 expired partner sessions." in result.output
    with app.app_context():
        assert db.session.scalars(select(PartnerSession.partner_id)).all() == [bob_id]
    assert bob.get("/partner/dashboard").status_code == 200


def test_cleanup_removes_links_spent_longer_ago_than_the_retention(app, runner, clock):
    add_partner(app, "alice@acme.example")
    old_used = mint(app, "alice@acme.example", use=True)
    old_revoked = mint(app, "alice@acme.example", revoke=True)
    old_expired = mint(app, "alice@acme.example")
    clock.advance(days=29)
    recent_used = mint(app, "alice@acme.example", use=True)
    clock.advance(days=2)
    live = mint(app, "alice@acme.example")
    audit_before = count(app, AuditEvent)

    result = runner.invoke(args=["cleanup"])

    assert result.exit_code == 0, result.output
    assert "Removed 3 used, revoked or expired links older than 30 days." in result.output
    assert remaining_links(app) == {recent_used, live}
    assert not remaining_links(app) & {old_used, old_revoked, old_expired}
    assert count(app, AuditEvent) == audit_before


def test_retention_comes_from_config_or_the_option(app, runner, clock):
    add_partner(app, "alice@acme.example")
    spent = mint(app, "alice@acme.example", use=True)
    clock.advance(days=8)
    app.config["CLEANUP_RETENTION_DAYS"] = 10
    assert "Removed 0 used" in runner.invoke(args=["cleanup"]).output
    assert remaining_links(app) == {spent}
    result = runner.invoke(args=["cleanup", "--retention-days", "7"])
    assert "Removed 1 used, revoked or expired links older than 7 days." in result.output
    assert remaining_links(app) == set()


def test_bad_retention_is_refused_without_removing_anything(app, runner, clock):
    add_partner(app, "alice@acme.example")
    mint(app, "alice@acme.example", use=True)
    clock.advance(days=40)
    result = runner.invoke(args=["cleanup", "--retention-days", "0"])
    assert result.exit_code == 2
    assert len(remaining_links(app)) == 1


def test_large_removals_go_in_batches(app, runner, clock, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(housekeeping, "BATCH_SIZE", 3)
    add_partner(app, "alice@acme.example")
    for _ in range(7):
        mint(app, "alice@acme.example", use=True)
    keep = mint(app, "alice@acme.example")
    with app.app_context():
        db.session.get(MagicLinkToken, keep).expires_at += timedelta(days=60)
        db.session.commit()
    clock.advance(days=31)
    result = runner.invoke(args=["cleanup"])
    assert "Removed 7 used" in result.output
    assert remaining_links(app) == {keep}


def test_cleanup_removes_old_rate_limit_windows_and_finished_mail(app, runner, clock, smtp):
    from partner_portal.models import OutboxJob, RateLimit
    from partner_portal.security.ratelimit import RateLimiter

    from .conftest import run_outbox
    from .helpers import request_link

    add_partner(app, "alice@acme.example")
    limiter = RateLimiter("test.cleanup", limit=5, window=timedelta(hours=1))
    with app.app_context():
        limiter.hit("old")
        db.session.commit()
    request_link(app.test_client(), "alice@acme.example")  # a job, sent below
    run_outbox(app)
    clock.advance(days=31)
    request_link(app.test_client(), "alice@acme.example")  # a fresh job, still queued
    with app.app_context():
        limiter.hit("fresh")
        db.session.commit()

    result = runner.invoke(args=["cleanup"])

    assert result.exit_code == 0, result.output
    assert "Removed 1 rate-limit counters of windows that have ended." in result.output
    assert "Removed 1 delivered or abandoned emails older than 30 days." in result.output
    with app.app_context():
        keys = {row.key for row in db.session.scalars(select(RateLimit))}
        assert "old" not in keys
        assert "fresh" in keys
        assert [job.status for job in db.session.scalars(select(OutboxJob))] == ["queued"]
