"""The one clock of the portal.

Every "now" in the code comes from :func:`now`, so tests can freeze time and
mint links that are already expired without sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime

_frozen_at: datetime | None = None


def now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    if _frozen_at is not None:
        return _frozen_at
    return datetime.now(UTC)


def freeze(at: datetime | None) -> None:
    """Pin the clock at ``at`` (an aware datetime), or release it with ``None``."""
    global _frozen_at
    if at is not None and at.tzinfo is None:
        raise ValueError("the clock only holds aware datetimes")
    _frozen_at = at.astimezone(UTC) if at is not None else None
