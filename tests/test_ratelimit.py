"""The database rate limiter: test, hit, clear, resets_in, per name and key."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from partner_portal.extensions import db
from partner_portal.security.ratelimit import RateLimiter

LIMIT = RateLimiter("test.limit", 3, timedelta(minutes=15))


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()


def test_a_key_may_try_until_it_reaches_the_limit(ctx):
    assert LIMIT.test("a@example.com")
    assert [LIMIT.hit("a@example.com") for _ in range(3)] == [1, 2, 3]
    assert not LIMIT.test("a@example.com")
    assert LIMIT.test("b@example.com")


def test_the_window_ends_fifteen_minutes_after_the_first_hit(ctx, clock):
    LIMIT.hit("k")
    clock.advance(minutes=5)
    LIMIT.hit("k")
    LIMIT.hit("k")
    assert LIMIT.resets_in("k") == timedelta(minutes=10)
    clock.advance(minutes=10)
    assert LIMIT.test("k")
    assert LIMIT.resets_in("k") is None
    assert LIMIT.hit("k") == 1  # a new window starts


def test_clear_forgets_a_key_and_names_keep_their_own_counts(ctx):
    other = RateLimiter("other.limit", 1, timedelta(minutes=1))
    for _ in range(3):
        LIMIT.hit("k")
    other.hit("k")
    LIMIT.clear("k")
    assert LIMIT.test("k")
    assert not other.test("k")


def test_resets_in_is_none_while_under_the_limit(ctx):
    assert LIMIT.resets_in("fresh") is None
    LIMIT.hit("fresh")
    assert LIMIT.resets_in("fresh") is None


def test_prune_deletes_only_finished_windows(ctx, clock):
    LIMIT.hit("old")
    clock.advance(minutes=16)
    LIMIT.hit("new")
    assert LIMIT.prune() == 1
    assert LIMIT.hit("new") == 2


def test_concurrent_hits_are_all_counted(app):
    """Twenty threads hit the same key at once on a real SQLite file: the count is twenty."""
    barrier = threading.Barrier(20)
    big = RateLimiter("test.concurrent", 100, timedelta(minutes=15))

    def hit() -> None:
        with app.app_context():
            barrier.wait()
            big.hit("same")
            db.session.commit()

    threads = [threading.Thread(target=hit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        assert big.hit("same") == 21
