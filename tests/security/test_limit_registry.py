"""Attack: outlast a limit because housekeeping deleted its counter (issue 10, finding 18).

``flask cleanup`` assumed no window is longer than a day, so with a longer
``RATE_LIMIT_WINDOW`` it deleted live counters (an attacker's budget came
back at the next cleanup); ``flask security prune-limits`` respected the
window but skipped the staff limiters, whose rows were never pruned.

Defence: one registry of limiters (``security/limits.py``), partner and staff,
each with its setting and window; both commands run the same pruning, each
limit by its own window.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

import partner_portal
from partner_portal.extensions import db
from partner_portal.models import RateLimit
from partner_portal.security import limits

from ..helpers import ADMIN_EMAIL, add_admin, admin_sign_in, request_link

PACKAGE = Path(partner_portal.__file__).parent


def counters(app) -> set[tuple[str, str]]:  # noqa: ANN001
    with app.app_context():
        return {(row.key_type, row.key) for row in db.session.scalars(select(RateLimit))}


def test_every_limiter_of_the_app_is_declared_in_the_registry():
    constructed_elsewhere = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name not in ("limits.py", "ratelimit.py")
        and re.search(r"\bRateLimiter\(", path.read_text())
    ]
    assert constructed_elsewhere == []
    assert {
        "link_request.ip",
        "link_request.email",
        "link_request.device",
        "failure.ip",
        "admin.login.ip",
        "admin.login.account",
        "admin.login.device",
        "admin.password_reset.ip",
        "admin.password_reset.account",
    } == set(limits.REGISTRY)


def test_every_declared_limit_reads_settings_that_exist(app):
    with app.app_context():
        for limit in limits.REGISTRY.values():
            limiter = limit.limiter()
            assert limiter.limit > 0
            assert limiter.window.total_seconds() > 0


def test_cleanup_keeps_the_counters_of_a_window_longer_than_a_day(app, runner, clock, smtp):
    app.config["RATE_LIMIT_WINDOW"] = timedelta(days=2)
    for _ in range(6):
        request_link(app.test_client(), "alice@acme.example")
    clock.advance(hours=36)

    assert runner.invoke(args=["cleanup"]).exit_code == 0

    assert ("link_request.email", "alice@acme.example") in counters(app)
    assert request_link(app.test_client(), "alice@acme.example").status_code == 429


def test_cleanup_prunes_the_staff_limiters_by_their_own_window(app, runner, clock):
    add_admin(app)
    admin_sign_in(app.test_client(), ADMIN_EMAIL, "not the password at all")
    assert ("admin.login.account", ADMIN_EMAIL) in counters(app)
    clock.advance(minutes=16)  # the staff window is 15 minutes

    result = runner.invoke(args=["cleanup"])

    assert "Removed 2 rate-limit counters of windows that have ended." in result.output
    assert counters(app) == set()


def test_prune_limits_is_the_same_pruning(app, runner, clock, smtp):
    add_admin(app)
    admin_sign_in(app.test_client(), ADMIN_EMAIL, "not the password at all")
    request_link(app.test_client(), "alice@acme.example")
    clock.advance(minutes=16)

    result = runner.invoke(args=["security", "prune-limits"])

    assert result.output.strip() == "Removed 2 rate-limit counters of windows that have ended."
    assert {key_type for key_type, _ in counters(app)} == {"link_request.ip", "link_request.email"}
