"""The database-backed rate limiter: shared by every process, exact under concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta

from partner_portal.extensions import db
from partner_portal.security.ratelimit import RateLimiter

LIMIT = RateLimiter("test.per_key", limit=3, window=timedelta(hours=1))


def test_hits_are_counted_until_the_limit_then_the_window_resets(app, clock):
    with app.app_context():
        for expected in (1, 2, 3):
            assert LIMIT.test("k")
            assert LIMIT.hit("k") == expected
            db.session.commit()
        assert not LIMIT.test("k")
        assert LIMIT.resets_in("k") == timedelta(hours=1)
        assert LIMIT.test("other")
        clock.advance(minutes=45)
        assert LIMIT.resets_in("k") == timedelta(minutes=15)
        clock.advance(minutes=15)
        assert LIMIT.test("k")
        assert LIMIT.hit("k") == 1
        db.session.commit()


def test_clear_forgets_a_key(app):
    with app.app_context():
        for _ in range(3):
            LIMIT.hit("k")
        LIMIT.clear("k")
        db.session.commit()
        assert LIMIT.test("k")


def test_concurrent_hits_are_never_lost(app):
    """Forty threads on a real SQLite file, each its own connection: forty hits counted."""
    barrier = threading.Barrier(40)
    counts: list[int] = []

    def hit() -> None:
        with app.app_context():
            barrier.wait()
            counts.append(LIMIT.hit("shared"))
            db.session.commit()

    threads = [threading.Thread(target=hit) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == list(range(1, 41))
