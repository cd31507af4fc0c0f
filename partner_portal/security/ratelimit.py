"""Rate limits kept in the database, so every worker process counts together.

A :class:`RateLimiter` is one named rule ("10 failed sign-ins per account per
15 minutes"); the key says whose hits are counted (an address, an IP). Each
(name, key) pair is one row holding a count and the start of its fixed
window. ``hit`` is a single ``INSERT ... ON CONFLICT DO UPDATE`` (SQLite and
PostgreSQL both have it), so concurrent hits are never lost. Like the audit
log, changes join the caller's transaction.

Count first, then decide on the count the upsert returned: of any number of
simultaneous attempts, exactly ``limit`` see a count within the limit (a
``test`` before the attempt and a ``hit`` after it would let every attempt in
flight through)::

    if limiter.hit(key) > limiter.limit:
        ...refuse (limiter.resets_in(key))...
    if attempt_succeeded:
        limiter.refund(key)   # or limiter.clear(key)

Every limiter of the portal is declared in one registry, :mod:`.limits`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Insert,
    Row,
    Select,
    Table,
    and_,
    bindparam,
    case,
    delete,
    select,
    update,
)
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

    def _row(self, key: str) -> Row[int, datetime] | None:
        row = run(_row_statement(), {"key_type": self.name, "key": self._key(key)}).first()
        return cast("Row[int, datetime] | None", row)

    def current_window(self, key: str) -> Window | None:
        """Return ``key``'s current window (its count and start), or None if it has none."""
        row = self._row(key)
        if row is None:
            return None
        count, started_at = row
        if started_at <= clock.now() - self.window:
            return None
        return Window(count=count, started_at=started_at)

    def test(self, key: str) -> bool:
        """Return whether ``key`` may have another go (it has hits left in its window)."""
        current = self.current_window(key)
        return current is None or current.count < self.limit

    def hit(self, key: str) -> int:
        """Count one hit for ``key`` (a new window if the last is over); return the count."""
        now = clock.now()
        dialect = db.session.get_bind().dialect.name
        result = run(
            _hit_statement(dialect),
            {
                "key_type": self.name,
                "key": self._key(key),
                "now": now,
                "window_over_at": now - self.window,
            },
        )
        return int(result.scalar_one())

    def refund(self, key: str) -> None:
        """Take back one hit of ``key`` in its current window (a counted attempt that succeeded)."""
        table = _table()
        db.session.execute(
            update(table)
            .where(
                table.c.key_type == self.name,
                table.c.key == self._key(key),
                table.c.count > 0,
                table.c.window_start > clock.now() - self.window,
            )
            .values(count=table.c.count - 1)
        )

    def clear(self, key: str) -> None:
        """Forget every hit of ``key`` (after a success, say)."""
        db.session.execute(
            delete(RateLimit).where(
                RateLimit.key_type == self.name, RateLimit.key == self._key(key)
            )
        )

    def resets_in(self, key: str) -> timedelta | None:
        """Return how long until ``key`` may try again, or None if it may now."""
        current = self.current_window(key)
        if current is None or current.count < self.limit:
            return None
        remaining = current.started_at + self.window - clock.now()
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
        return int(cast("CursorResult[Any]", result).rowcount)


@dataclass(frozen=True)
class Window:
    """How many hits a key has had in its current window, and when that window began."""

    count: int
    started_at: datetime


# The two statements every request for a link runs, built once (with bound
# parameters) rather than on every call.


def _table() -> Table:
    return cast("Table", RateLimit.__table__)


@cache
def _row_statement() -> Select[int, datetime]:
    table = RateLimit.__table__
    return select(table.c.count, table.c.window_start).where(
        table.c.key_type == bindparam("key_type"), table.c.key == bindparam("key")
    )


@cache
def _hit_statement(dialect: str) -> Insert:
    table = _table()
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
