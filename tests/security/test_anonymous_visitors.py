"""Attack: grow the session table (disk, slow queries) with a flood of anonymous page loads.

Defence: rows exist only for signed-in partners; what an anonymous visitor
has (the login form's CSRF token, a flash) travels in a signed cookie.
"""

from __future__ import annotations

import time

from sqlalchemy import func, select

from partner_portal.extensions import db
from partner_portal.models import AuditEvent, OutboxJob, PartnerSession, RateLimit

LOADS = 10_000


def row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (PartnerSession, AuditEvent, OutboxJob, RateLimit)
        }


def test_ten_thousand_anonymous_page_loads_store_nothing(app):
    pages = ["/partner/login", "/partner/login/sent", "/", "/partner/dashboard"]
    started = time.perf_counter()
    for i in range(LOADS):
        visitor = app.test_client()  # a new visitor every time: no cookies
        response = visitor.get(pages[i % len(pages)])
        assert response.status_code in (200, 302)
        if i % len(pages) == 0:
            assert visitor.get_cookie("partner.pre") is not None  # the CSRF token is there
            assert visitor.get_cookie("partner.sid") is None
    elapsed = time.perf_counter() - started
    assert row_counts(app) == {
        "partner_sessions": 0,
        "audit_events": 0,
        "outbox_jobs": 0,
        "rate_limits": 0,
    }
    print(f"\n{LOADS} anonymous page loads in {elapsed:.1f} s, 0 rows written")
