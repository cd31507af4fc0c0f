"""Housekeeping: remove rows that have outlived their use (``flask cleanup``, daily from cron).

Each kind of row has one *sweep*: a function ``(now, retention) -> [Removed]``
registered with :func:`sweep`. A feature that owns a table that grows registers
its own sweep::

    @housekeeping.sweep
    def finished_mail(now: datetime, retention: timedelta) -> list[Removed]:
        count = delete_in_batches(OutboxJob, OutboxJob.finished_at < now - retention)
        return [Removed("finished emails", count)]

Audit events are kept ``AUDIT_RETENTION_DAYS`` (400 by default), then removed
in batches like everything else: the record of what happened, for as long as
it is useful, not forever.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, delete, or_, select

from .extensions import changed_rows, db
from .models import AuditEvent, MagicLinkToken, OutboxJob, OutboxStatus
from .security import limits
from .security.sessions import SessionRouter

# Rows deleted per transaction: a daily sweep of a million rows must never
# hold SQLite's write lock (or PostgreSQL row locks) long enough to stall
# the requests being served meanwhile.
BATCH_SIZE = 5000


@dataclass(frozen=True)
class Removed:
    """How many rows of one kind a sweep removed."""

    what: str
    count: int

    def __str__(self) -> str:
        return f"Removed {self.count:,} {self.what}."


Sweep = Callable[[datetime, timedelta], list[Removed]]
SWEEPS: list[Sweep] = []


def sweep(function: Sweep) -> Sweep:
    """Register ``function`` to run on every ``flask cleanup``."""
    SWEEPS.append(function)
    return function


def delete_in_batches(model: Any, *conditions: ColumnElement[bool]) -> int:
    """Delete the rows of ``model`` matching ``conditions`` in batches; return how many."""
    total = 0
    while True:
        batch = select(model.id).where(*conditions).limit(BATCH_SIZE).scalar_subquery()
        removed = changed_rows(
            delete(model).where(model.id.in_(batch)).execution_options(synchronize_session=False)
        )
        db.session.commit()
        total += removed
        if removed < BATCH_SIZE:
            return total


def session_models() -> list[tuple[str, Any]]:
    """Return (realm name, session model) for every session realm the app serves."""
    router = current_app.session_interface
    if not isinstance(router, SessionRouter):
        return []
    return [(interface.realm.name, interface.realm.model) for interface in router.realms()]


@sweep
def expired_sessions(now: datetime, retention: timedelta) -> list[Removed]:
    """Remove every realm's sessions past their absolute expiry (they are never served again)."""
    return [
        Removed(f"expired {name} sessions", delete_in_batches(model, model.expiry <= now))
        for name, model in session_models()
    ]


@sweep
def spent_links(now: datetime, retention: timedelta) -> list[Removed]:
    """Remove links used, revoked or expired longer ago than the retention period."""
    cutoff = now - retention
    count = delete_in_batches(
        MagicLinkToken,
        or_(
            MagicLinkToken.expires_at < cutoff,
            MagicLinkToken.used_at < cutoff,
            MagicLinkToken.revoked_at < cutoff,
        ),
    )
    days = retention.days
    return [Removed(f"used, revoked or expired links older than {days} days", count)]


@sweep
def ended_rate_limit_windows(now: datetime, retention: timedelta) -> list[Removed]:
    """Remove rate-limit counters whose window is over, each limit by its own window."""
    count = limits.prune()
    db.session.commit()
    return [Removed("rate-limit counters of windows that have ended", count)]


@sweep
def old_audit_events(now: datetime, retention: timedelta) -> list[Removed]:
    """Remove audit events older than ``AUDIT_RETENTION_DAYS`` (by their last occurrence)."""
    days = current_app.config["AUDIT_RETENTION_DAYS"]
    cutoff = now - timedelta(days=days)
    count = delete_in_batches(
        AuditEvent,
        AuditEvent.created_at < cutoff,
        or_(AuditEvent.last_at.is_(None), AuditEvent.last_at < cutoff),
    )
    return [Removed(f"audit events older than {days} days", count)]


@sweep
def finished_mail(now: datetime, retention: timedelta) -> list[Removed]:
    """Remove outbox jobs that ended (sent, skipped, failed, dropped) before the retention."""
    count = delete_in_batches(
        OutboxJob,
        OutboxJob.status.in_(
            [OutboxStatus.SENT, OutboxStatus.SKIPPED, OutboxStatus.FAILED, OutboxStatus.DROPPED]
        ),
        OutboxJob.finished_at < now - retention,
    )
    return [Removed(f"delivered or abandoned emails older than {retention.days} days", count)]


def sweep_all(now: datetime, retention: timedelta) -> list[Removed]:
    """Run every registered sweep and return what each removed."""
    removed: list[Removed] = []
    for each in SWEEPS:
        removed.extend(each(now, retention))
    return removed
