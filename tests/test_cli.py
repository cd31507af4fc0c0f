"""The command line an operator uses before the admin pages exist."""

from __future__ import annotations

from sqlalchemy import func, select

from partner_portal.extensions import db
from partner_portal.models import AccessGrant, Component, Partner, StatusPage

from .helpers import add_partner, get_partner


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_partners_add_and_list(app, runner):
    result = runner.invoke(
        args=["partners", "add", " Alice@Acme.example", "--name", "Alice", "--company", "Acme"]
    )
    assert result.exit_code == 0, result.output
    assert "alice@acme.example" in result.output
    listing = runner.invoke(args=["partners", "list"])
    assert "alice@acme.example" in listing.output
    assert "active" in listing.output


def test_duplicate_and_invalid_partners_are_refused(app, runner):
    add_partner(app, "alice@acme.example")
    duplicate = runner.invoke(args=["partners", "add", "ALICE@acme.example", "--name", "A"])
    invalid = runner.invoke(args=["partners", "add", "not-an-email", "--name", "A"])
    newline = runner.invoke(args=["partners", "add", "b@acme.example", "--name", "B\nBcc: x"])
    assert duplicate.exit_code == invalid.exit_code == newline.exit_code == 1
    assert "already exists" in duplicate.output
    assert "valid email" in invalid.output
    assert "line breaks" in newline.output
    assert count(app, Partner) == 1


def test_deactivate(app, runner):
    add_partner(app, "alice@acme.example")
    result = runner.invoke(args=["partners", "deactivate", "alice@acme.example"])
    assert result.exit_code == 0
    assert get_partner(app, "alice@acme.example").is_active is False
    unknown = runner.invoke(args=["partners", "deactivate", "nobody@acme.example"])
    assert unknown.exit_code == 1
    assert "No partner has the email" in unknown.output


def test_pages_components_and_access(app, runner):
    add_partner(app, "alice@acme.example")
    assert runner.invoke(args=["pages", "add", "payments-api", "--name", "Payments"]).exit_code == 0
    assert runner.invoke(args=["pages", "add", "payments-api", "--name", "X"]).exit_code == 1
    assert runner.invoke(args=["pages", "add", "Bad Slug!", "--name", "X"]).exit_code == 1
    ok = runner.invoke(
        args=["components", "add", "payments-api", "Cards", "--status", "major_outage"]
    )
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(args=["components", "add", "payments-api", "Cards", "--status", "meh"])
    assert bad.exit_code == 1
    assert "operational" in bad.output
    missing = runner.invoke(args=["components", "add", "nope", "Cards"])
    assert missing.exit_code == 1
    assert "No status page" in missing.output

    granted = runner.invoke(
        args=["access", "grant", "alice@acme.example", "payments-api", "--until", "2027-01-31"]
    )
    assert granted.exit_code == 0, granted.output
    with app.app_context():
        grant = db.session.scalar(select(AccessGrant))
        assert grant.expires_at.isoformat() == "2027-02-01T00:00:00+00:00"
    bad_date = runner.invoke(
        args=["access", "grant", "alice@acme.example", "payments-api", "--until", "31/01/2027"]
    )
    past = runner.invoke(
        args=["access", "grant", "alice@acme.example", "payments-api", "--until", "2020-01-01"]
    )
    assert bad_date.exit_code == past.exit_code == 2
    assert (
        runner.invoke(args=["access", "revoke", "alice@acme.example", "payments-api"]).exit_code
        == 0
    )
    again = runner.invoke(args=["access", "revoke", "alice@acme.example", "payments-api"])
    assert again.exit_code == 1
    assert "had no access" in again.output
    assert count(app, Component) == 1


def test_demo_loads_once(app, runner):
    first = runner.invoke(args=["demo", "load", "--if-empty"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "already has partners" in second.output
    assert count(app, Partner) == 3
    assert count(app, StatusPage) == 3
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 1  # duplicates are refused, nothing half-written
    assert count(app, Partner) == 3
