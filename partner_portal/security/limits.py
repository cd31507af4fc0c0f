"""Every abuse limit of the portal, declared in one registry, on the database rate limiter.

Each :class:`Limit` names its counter, the setting that holds its count and
the setting that holds its window; ``flask cleanup`` prunes each by its own
window (:func:`prune`). A new limit is one :func:`declare` line here and two
settings in ``config.py``; nothing else constructs a :class:`RateLimiter`.

* **Link requests** (sign-in, email change, account deletion) are counted per
  canonical recipient address, registered or not, so the limit itself says
  nothing about who has an account, and per client IP. A browser the partner
  has signed in with (its device cookie names them) has a budget of its own
  for their address, so strangers' requests never lock the partner out.
* **Failures** (unusable links, wrong one-time codes) are counted per client IP.
* **Staff sign-in** failures are counted per account for unknown browsers, per
  known browser (device cookie) and per IP; reset emails per account and IP.

Counting comes first and the decision reads the count the atomic upsert
returned: of any number of simultaneous attempts, exactly ``limit`` get
through. Per-IP keys are an IPv4 address or an IPv6 /64 (one subscriber's
allocation; an IPv4-mapped IPv6 address counts as its IPv4 address).
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, delete

from .. import clock
from ..extensions import db
from ..models import RateLimit
from .ratelimit import RateLimiter

UNKNOWN_IP = "unknown"


@dataclass(frozen=True)
class Limit:
    """One declared limit: its counter's name, what a refusal reports, and its two settings."""

    name: str
    label: str
    limit_setting: str
    window_setting: str

    def limiter(self) -> RateLimiter:
        """Return the limiter with the configured count and window."""
        config = current_app.config
        return RateLimiter(self.name, config[self.limit_setting], config[self.window_setting])


REGISTRY: dict[str, Limit] = {}


def declare(name: str, label: str, limit_setting: str, window_setting: str) -> Limit:
    """Add a limit to the registry (its name must be new) and return it."""
    if name in REGISTRY:
        raise ValueError(f"limit {name!r} is declared twice")
    REGISTRY[name] = Limit(name, label, limit_setting, window_setting)
    return REGISTRY[name]


LINK_REQUESTS_PER_IP = declare("link_request.ip", "ip", "RATE_LIMIT_PER_IP", "RATE_LIMIT_WINDOW")
LINK_REQUESTS_PER_EMAIL = declare(
    "link_request.email", "email", "RATE_LIMIT_PER_EMAIL", "RATE_LIMIT_WINDOW"
)
LINK_REQUESTS_PER_DEVICE = declare(
    "link_request.device", "device", "RATE_LIMIT_PER_DEVICE", "RATE_LIMIT_WINDOW"
)
FAILURES_PER_IP = declare(
    "failure.ip", "failures", "RATE_LIMIT_FAILURES_PER_IP", "RATE_LIMIT_WINDOW"
)
STAFF_LOGIN_PER_IP = declare(
    "admin.login.ip", "ip", "STAFF_LOGIN_FAILURES_PER_IP", "STAFF_LOGIN_WINDOW"
)
STAFF_LOGIN_PER_ACCOUNT = declare(
    "admin.login.account", "account", "STAFF_LOGIN_FAILURES_PER_ACCOUNT", "STAFF_LOGIN_WINDOW"
)
STAFF_LOGIN_PER_DEVICE = declare(
    "admin.login.device", "device", "STAFF_LOGIN_FAILURES_PER_DEVICE", "STAFF_LOGIN_WINDOW"
)
STAFF_RESETS_PER_IP = declare(
    "admin.password_reset.ip", "ip", "STAFF_RESETS_PER_IP", "STAFF_RESET_WINDOW"
)
STAFF_RESETS_PER_ACCOUNT = declare(
    "admin.password_reset.account", "account", "STAFF_RESETS_PER_ACCOUNT", "STAFF_RESET_WINDOW"
)


@dataclass(frozen=True)
class Throttled:
    """Which limit a request broke, for whom, and how long until it resets."""

    limit: str
    retry_after: timedelta
    # The counter that refused (its name and key) and when its window began:
    # the audit trail folds repeated refusals of one window into one row.
    key_type: str = ""
    key: str = ""
    window_started_at: datetime | None = None

    @property
    def retry_after_seconds(self) -> int:
        """Return the wait in whole seconds, rounded up (for a ``Retry-After`` header)."""
        return max(1, math.ceil(self.retry_after.total_seconds()))

    @property
    def aggregate_key(self) -> str | None:
        """Return the key shared by every refusal of this counter in this window (or None)."""
        if not self.key_type or self.window_started_at is None:
            return None
        return f"{self.key_type}:{int(self.window_started_at.timestamp())}:{self.key}"[:400]


def client_key(ip_address: str | None) -> str:
    """Return the per-IP key of an address: IPv4 as is, IPv6 as its /64.

    One IPv6 subscriber usually holds a whole /64 (2^64 addresses): keyed on
    the full address, they could take a fresh budget for every request.
    """
    if not ip_address:
        return UNKNOWN_IP
    try:
        ip = ipaddress.ip_address(ip_address)
    except ValueError:
        return ip_address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _throttled(limit: Limit, limiter: RateLimiter, key: str) -> Throttled:
    current = limiter.current_window(key)
    if current is None:
        return Throttled(limit.label, limiter.window, limit.name, key)
    remaining = current.started_at + limiter.window - clock.now()
    return Throttled(
        limit.label,
        remaining if remaining > timedelta(0) else limiter.window,
        limit.name,
        key,
        current.started_at,
    )


def _hit(limit: Limit, key: str) -> Throttled | None:
    """Count one hit of ``key`` and return the refusal if it is over the limit."""
    limiter = limit.limiter()
    if limiter.hit(key) > limiter.limit:
        return _throttled(limit, limiter, key)
    return None


# -- partners ------------------------------------------------------------------


def hit_link_request(
    email: str, ip_address: str | None, known_device: str | None = None
) -> Throttled | None:
    """Count one request for a link to ``email`` from ``ip_address``; return the limit it broke.

    An IP already over its limit is refused before the address is counted, so
    spraying random addresses cannot grow the table. Refused requests are
    counted too, but never move a window's start, so hammering does not
    prolong the wait. ``known_device`` is the id of the asking browser's
    device cookie when it names the partner who owns ``email``: that browser
    is counted on its own budget instead of the address's.
    """
    throttled = _hit(LINK_REQUESTS_PER_IP, client_key(ip_address))
    if throttled is not None:
        return throttled
    if known_device is not None:
        return _hit(LINK_REQUESTS_PER_DEVICE, known_device)
    return _hit(LINK_REQUESTS_PER_EMAIL, email)


def check_failures(ip_address: str | None) -> Throttled | None:
    """Return how long ``ip_address`` must wait after too many failures, or None if it may try."""
    key = client_key(ip_address)
    limiter = FAILURES_PER_IP.limiter()
    if limiter.test(key):
        return None
    return _throttled(FAILURES_PER_IP, limiter, key)


def count_failure(ip_address: str | None) -> None:
    """Count one failed confirmation (bad link, wrong code) against ``ip_address``."""
    FAILURES_PER_IP.limiter().hit(client_key(ip_address))


def reserve_failure(ip_address: str | None) -> Throttled | None:
    """Count an attempt as a failure *before* it is judged; return the refusal if over the limit.

    The race-free form of :func:`check_failures` + :func:`count_failure`: call
    :func:`refund_failure` when the attempt succeeds.
    """
    return _hit(FAILURES_PER_IP, client_key(ip_address))


def refund_failure(ip_address: str | None) -> None:
    """Take back a failure reserved by :func:`reserve_failure` for an attempt that succeeded."""
    FAILURES_PER_IP.limiter().refund(client_key(ip_address))


# -- staff -----------------------------------------------------------------------


def hit_staff_login(
    login: str, ip_address: str | None, known_device: str | None
) -> Throttled | None:
    """Count a staff sign-in attempt before its password is checked; return the limit it broke.

    A browser with the account's device cookie is judged on its own budget
    only, so guesses from anywhere else never lock the member of staff out
    of their usual browser. Any other browser is counted per IP first (an IP
    over its limit does not count the account) and then per account.
    """
    if known_device is not None:
        return _hit(STAFF_LOGIN_PER_DEVICE, known_device)
    throttled = _hit(STAFF_LOGIN_PER_IP, client_key(ip_address))
    if throttled is not None:
        return throttled
    return _hit(STAFF_LOGIN_PER_ACCOUNT, login)


def forgive_staff_login(login: str, ip_address: str | None, known_device: str | None) -> None:
    """After the right password: the IP takes its count back, the account or device starts afresh.

    Only the right password can clear a count, and whoever has it needs no guesses.
    """
    if known_device is not None:
        STAFF_LOGIN_PER_DEVICE.limiter().clear(known_device)
        return
    STAFF_LOGIN_PER_IP.limiter().refund(client_key(ip_address))
    STAFF_LOGIN_PER_ACCOUNT.limiter().clear(login)


def clear_staff_login(login: str) -> None:
    """Forget an account's failures from unknown browsers (after a password reset)."""
    STAFF_LOGIN_PER_ACCOUNT.limiter().clear(login)


def hit_staff_reset(email: str, ip_address: str | None) -> Throttled | None:
    """Count a password reset request; the IP first, so a refused IP never counts the address."""
    throttled = _hit(STAFF_RESETS_PER_IP, client_key(ip_address))
    if throttled is not None:
        return throttled
    return _hit(STAFF_RESETS_PER_ACCOUNT, email)


# -- housekeeping ----------------------------------------------------------------


def prune() -> int:
    """Delete every counter whose window is over, each limit by its own window; return how many.

    Rows of a name no longer declared are deleted once older than the longest
    window: nothing reads them any more.
    """
    limiters = [limit.limiter() for limit in REGISTRY.values()]
    removed = sum(limiter.prune() for limiter in limiters)
    longest = max(limiter.window for limiter in limiters)
    result = db.session.execute(
        delete(RateLimit).where(
            RateLimit.key_type.not_in(list(REGISTRY)),
            RateLimit.window_start <= clock.now() - longest,
        )
    )
    return removed + int(cast("CursorResult[Any]", result).rowcount)
