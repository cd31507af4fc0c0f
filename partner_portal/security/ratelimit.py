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
from functools import cache

from sqlalchemy import Insert, Row, Select, and_, bindparam, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from .. import clock
from ..extensions import db, run
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

    def _row(self, key: str) -> Row | None:
        return run(_row_statement(), {"key_type": self.name, "key": self._key(key)}).first()

    def test(self, key: str) -> bool:
        """Return whether ``key`` may have another go (it has hits left in its window)."""
        row = self._row(key)
        if row is None or row.window_start <= clock.now() - self.window:
            return True
        return row.count < self.limit

    def hit(self, key: str) -> int:
        """Count one hit for ``key`` (a new window if the last is over); return the count."""
        now = clock.now()
        dialect = db.session.get_bind().dialect.name
        return run(
            _hit_statement(dialect),
            {
                "key_type": self.name,
                "key": self._key(key),
                "now": now,
                "window_over_at": now - self.window,
            },
        ).scalar_one()

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


# The two statements every request for a link runs, built once (with bound
# parameters) rather than on every call.


@cache
def _row_statement() -> Select:
    table = RateLimit.__table__
    return select(table.c.count, table.c.window_start).where(
        table.c.key_type == bindparam("key_type"), table.c.key == bindparam("key")
    )


@cache
def _hit_statement(dialect: str) -> Insert:
    table = RateLimit.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(
        key_type=bindparam("key_type"), key=bindparam("key"), count=1, window_start=bindparam("now")
    )
    window_is_over = table.c.window_start <= bindparam("window_over_at")
    return statement.on_conflict_do_update(
        index_elements=[table.c.key_type, table.c.key],
        set_={
            "count": case((window_is_over, 1), else_=table.c.count + 1),
            "window_start": case(
                (window_is_over, statement.excluded.window_start),
                else_=table.c.window_start,
            ),
        },
    ).returning(table.c.count)
