"""The portal's abuse limits, on top of the database rate limiter.

* **Link requests** (sign-in, email change, account deletion) are counted per
  canonical recipient address, registered or not, so the limit itself says
  nothing about who has an account, and per client IP.
* **Failures** (unusable links, wrong one-time codes) are counted per client
  IP; an IP with too many is refused before its next attempt is even looked at.

Limits and the window come from the configuration (``RATE_LIMIT_*``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from .ratelimit import RateLimiter

LINK_REQUESTS_PER_EMAIL = "link_request.email"
LINK_REQUESTS_PER_IP = "link_request.ip"
FAILURES_PER_IP = "failure.ip"
UNKNOWN_IP = "unknown"


@dataclass(frozen=True)
class Throttled:
    """Which limit a request broke ("ip", "email", "failures") and how long until it resets."""

    limit: str
    retry_after: timedelta

    @property
    def retry_after_seconds(self) -> int:
        """Return the wait in whole seconds, rounded up (for a ``Retry-After`` header)."""
        return max(1, math.ceil(self.retry_after.total_seconds()))


def _limiter(name: str, setting: str) -> RateLimiter:
    config = current_app.config
    return RateLimiter(name, config[setting], config["RATE_LIMIT_WINDOW"])


def _throttled(limiter: RateLimiter, key: str, limit: str) -> Throttled:
    return Throttled(limit, limiter.resets_in(key) or limiter.window)


def hit_link_request(email: str, ip_address: str | None) -> Throttled | None:
    """Count one request for a link to ``email`` from ``ip_address``; return the limit it broke.

    The decision reads the count the atomic upsert returned, never a count read
    before it: of any number of simultaneous requests, exactly ``limit`` see a
    count within the limit. An IP already over its limit is refused before the
    address is counted, so spraying random addresses cannot grow the table.
    Refused requests are counted too, but never move a window's start, so
    hammering does not prolong the wait.
    """
    ip = ip_address or UNKNOWN_IP
    by_ip = _limiter(LINK_REQUESTS_PER_IP, "RATE_LIMIT_PER_IP")
    if by_ip.hit(ip) > by_ip.limit:
        return _throttled(by_ip, ip, "ip")
    by_email = _limiter(LINK_REQUESTS_PER_EMAIL, "RATE_LIMIT_PER_EMAIL")
    if by_email.hit(email) > by_email.limit:
        return _throttled(by_email, email, "email")
    return None


def check_failures(ip_address: str | None) -> Throttled | None:
    """Return how long ``ip_address`` must wait after too many failures, or None if it may try."""
    ip = ip_address or UNKNOWN_IP
    failures = _limiter(FAILURES_PER_IP, "RATE_LIMIT_FAILURES_PER_IP")
    if failures.test(ip):
        return None
    return _throttled(failures, ip, "failures")


def count_failure(ip_address: str | None) -> None:
    """Count one failed confirmation (bad link, wrong code) against ``ip_address``."""
    _limiter(FAILURES_PER_IP, "RATE_LIMIT_FAILURES_PER_IP").hit(ip_address or UNKNOWN_IP)


def prune() -> int:
    """Delete every counter whose window is over; return how many rows went."""
    return sum(
        _limiter(name, setting).prune()
        for name, setting in (
            (LINK_REQUESTS_PER_EMAIL, "RATE_LIMIT_PER_EMAIL"),
            (LINK_REQUESTS_PER_IP, "RATE_LIMIT_PER_IP"),
            (FAILURES_PER_IP, "RATE_LIMIT_FAILURES_PER_IP"),
        )
    )
