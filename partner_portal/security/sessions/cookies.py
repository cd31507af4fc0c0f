"""Cookie transport: the names, the attributes and the signing of every cookie the portal sets.

Every cookie is host-only (no ``Domain``), ``Path=/``, ``HttpOnly`` and
``SameSite=Lax``. Wherever it is ``Secure`` (everywhere but plain-http
loopback development) its name carries the ``__Host-`` prefix, which makes the
browser refuse the cookie unless it is exactly that: a sibling subdomain or a
plain-http page on the same host cannot plant or overwrite it.

Signed cookies (the anonymous pre-session, the device cookies) are signed with
``SECRET_KEY`` and verified with it or any of ``SECRET_KEY_FALLBACKS``, so the
key can be rotated without signing every anonymous visitor out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from flask import Flask
from flask.wrappers import Response
from itsdangerous import URLSafeTimedSerializer, want_bytes

HOST_PREFIX = "__Host-"


def is_secure(app: Flask) -> bool:
    """Return whether cookies are ``Secure`` (and so ``__Host-`` prefixed) in this deployment."""
    return bool(app.config["SESSION_COOKIE_SECURE"])


def cookie_name(app: Flask, base: str) -> str:
    """Return the name a cookie has in this deployment: ``__Host-<base>`` wherever it is Secure."""
    return HOST_PREFIX + base if is_secure(app) else base


def set_cookie(
    app: Flask,
    response: Response,
    name: str,
    value: str,
    *,
    expires: datetime | None = None,
    max_age: timedelta | None = None,
) -> None:
    """Set a host-only cookie with the portal's attributes (the ones ``__Host-`` demands)."""
    response.set_cookie(
        name,
        value,
        expires=expires,
        max_age=max_age,
        path="/",
        httponly=True,
        secure=is_secure(app),
        samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )
    response.vary.add("Cookie")


def delete_cookie(app: Flask, response: Response, name: str) -> None:
    """Expire a cookie set by :func:`set_cookie` (same name, path and attributes)."""
    response.delete_cookie(
        name,
        path="/",
        httponly=True,
        secure=is_secure(app),
        samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )


def signing_keys(app: Flask) -> tuple[str | bytes, ...]:
    """Return the fallback keys then ``SECRET_KEY``: itsdangerous signs with the last, verifies
    with any (the order Flask's own session cookie uses)."""
    fallbacks = app.config.get("SECRET_KEY_FALLBACKS") or ()
    return (*fallbacks, app.secret_key or "")


def serializer(app: Flask, purpose: str) -> URLSafeTimedSerializer:
    """Return the signer of one kind of cookie; the purpose is its salt, so kinds never mix."""
    return _serializer(signing_keys(app), f"partner-portal.{purpose}")


@lru_cache(maxsize=32)
def _serializer(keys: tuple[str | bytes, ...], salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer([want_bytes(key) for key in keys], salt=salt)
