"""Rate limits kept in the database, so every worker process counts together.

A :class:`RateLimiter` is one named rule ("10 failed sign-ins per account per
15 minutes"); the key says whose hits are counted (an address, an IP). Each
(name, key) pair is one row holding a count and the start of its fixed
window. ``hit`` is a single ``INSERT ... ON CONFLICT DO UPDATE`` (SQLite and
PostgreSQL both have it), so concurrent hits are never lost. Like the audit
log, changes join the caller's transaction.

Usage, as in warehouse::

    if not limiter.test(key):
        wait = limiter.resets_in(key)
        ...refuse...
    if attempt_failed:
        limiter.hit(key)
    else:
        limiter.clear(key)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from .. import clock
from ..extensions import db
from ..models import RateLimit

KEY_MAX = 320


@dataclass(frozen=True)
class RateLimiter:
    """At most ``limit`` hits per ``window`` for each key, under the name ``name``."""

    name: str
    limit: int
    window: timedelta

    def _key(self, key: str) -> str:
        return (key or "")[:KEY_MAX]

    def _row(self, key: str) -> RateLimit | None:
        return db.session.scalar(
            select(RateLimit).where(
                RateLimit.key_type == self.name, RateLimit.key == self._key(key)
            )
        )

    def test(self, key: str) -> bool:
        """Return whether ``key`` may have another go (it has hits left in its window)."""
        row = self._row(key)
        if row is None or row.window_start <= clock.now() - self.window:
            return True
        return row.count < self.limit

    def hit(self, key: str) -> int:
        """Count one hit for ``key`` (a new window if the last is over); return the count."""
        now = clock.now()
        table = RateLimit.__table__
        dialect = db.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(table).values(
            key_type=self.name, key=self._key(key), count=1, window_start=now
        )
        window_is_over = table.c.window_start <= now - self.window
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key_type, table.c.key],
            set_={
                "count": case((window_is_over, 1), else_=table.c.count + 1),
                "window_start": case(
                    (window_is_over, statement.excluded.window_start),
                    else_=table.c.window_start,
                ),
            },
        ).returning(table.c.count)
        return db.session.execute(statement).scalar_one()

    def clear(self, key: str) -> None:
        """Forget every hit of ``key`` (after a success, say)."""
        db.session.execute(
            delete(RateLimit).where(
                RateLimit.key_type == self.name, RateLimit.key == self._key(key)
            )
        )

    def resets_in(self, key: str) -> timedelta | None:
        """Return how long until ``key`` may try again, or None if it may now."""
        row = self._row(key)
        if row is None or row.count < self.limit:
            return None
        remaining = row.window_start + self.window - clock.now()
        return remaining if remaining > timedelta(0) else None

    def prune(self) -> int:
        """Delete the rows of this limit whose window is over; return how many."""
        result = db.session.execute(
            delete(RateLimit).where(
                and_(
                    RateLimit.key_type == self.name,
                    RateLimit.window_start <= clock.now() - self.window,
                )
            )
        )
        return result.rowcount
