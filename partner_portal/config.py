"""Configuration, read from the environment in one place.

Development works with no settings at all, on a loopback address only: the
development secret key is public, so it is refused as soon as the portal's
base URL is anything but ``localhost``, ``127.0.0.0/8`` or ``[::1]``, and so
is the development mailbox. Production refuses to start without a real secret
key, a public HTTPS base URL and a mail server, because each of those, left
at a default, is a security hole or lost mail.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from .security.purposes import Purpose

DEV_SECRET_KEY = "dev-only-not-a-secret"  # noqa: S105 - refused in production
ENVIRONMENTS = ("development", "production")


class ConfigError(RuntimeError):
    """The environment does not describe a portal that is safe to start."""


def is_loopback_origin(base_url: str) -> bool:
    """Return whether ``base_url`` names this machine only (localhost, 127.0.0.0/8, [::1])."""
    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_plain_http_loopback(base_url: str) -> bool:
    """Return whether the portal is served over plain http on a loopback origin (development)."""
    return urlsplit(base_url).scheme == "http" and is_loopback_origin(base_url)


def _keys(environ: Mapping[str, str], name: str) -> list[str]:
    """Read a list of keys separated by commas or white space."""
    return [key for key in re.split(r"[\s,]+", environ.get(name, "")) if key]


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, not {value}")
    return value


def _count(environ: Mapping[str, str], name: str, default: int) -> int:
    """Read a whole number that may be zero."""
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must be zero or more, not {value}")
    return value


def _bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    if raw.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if raw.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def engine_options(environ: Mapping[str, str], database_url: str) -> dict[str, Any]:
    """Return the SQLAlchemy engine options for ``database_url``.

    Pre-ping replaces connections that a database restart killed, so the app
    survives the restart. On PostgreSQL a short connect timeout turns an
    unreachable server into a quick 503 instead of workers hanging until
    gunicorn kills them.
    """
    options: dict[str, Any] = {"pool_pre_ping": True}
    if database_url.startswith("postgresql"):
        options["connect_args"] = {
            "connect_timeout": _int(environ, "DATABASE_CONNECT_TIMEOUT", 5),
            "application_name": "partner-portal",
        }
        options["pool_size"] = _int(environ, "DATABASE_POOL_SIZE", 5)
        options["max_overflow"] = _int(environ, "DATABASE_MAX_OVERFLOW", 5)
        options["pool_timeout"] = _int(environ, "DATABASE_POOL_TIMEOUT", 10)
    return options


def load_config(environ: Mapping[str, str], instance_path: str) -> dict[str, Any]:
    """Return the Flask configuration described by ``environ``."""
    env = environ.get("PORTAL_ENV", "development").strip().lower()
    if env not in ENVIRONMENTS:
        raise ConfigError(f"PORTAL_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    is_production = env == "production"

    app_name = environ.get("APP_NAME", "").strip() or "Partner Portal"
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in app_name):
        # It is part of the From header and every subject: one line, always.
        raise ConfigError("APP_NAME must be one line of text, without control characters")
    base_url = (environ.get("PORTAL_BASE_URL") or "").strip().rstrip("/")
    if not base_url and not is_production:
        base_url = "http://127.0.0.1:5000"
    database_url = environ.get("DATABASE_URL", "").strip() or (
        "sqlite:///" + os.path.join(instance_path, "partner_portal.sqlite")
    )
    mail_server = environ.get("MAIL_SERVER", "").strip() or None
    base_host = urlsplit(base_url).hostname or ""

    config: dict[str, Any] = {
        "PORTAL_ENV": env,
        "IS_PRODUCTION": is_production,
        # The development key is public: check_config refuses it unless the
        # base URL is a loopback origin (and always in production).
        "SECRET_KEY": environ.get("SECRET_KEY", "") or (None if is_production else DEV_SECRET_KEY),
        # Earlier keys, still accepted on signed cookies (never used to sign),
        # so the key can be rotated without signing every visitor out.
        "SECRET_KEY_FALLBACKS": _keys(environ, "SECRET_KEY_FALLBACKS"),
        "APP_NAME": app_name,
        "PORTAL_BASE_URL": base_url,
        # Flask answers 400 to a Host header that is not ours, so nothing can
        # ever be built from a poisoned Host (links use PORTAL_BASE_URL anyway).
        "TRUSTED_HOSTS": [base_host]
        + ([] if is_production else ["localhost", "127.0.0.1"])
        + [h.strip() for h in environ.get("PORTAL_EXTRA_HOSTS", "").split(",") if h.strip()],
        # How many reverse proxies in front of us append to X-Forwarded-For.
        # Zero (the default) means the socket's address is the client: a
        # header the client wrote itself can never reset a rate limit.
        "TRUSTED_PROXY_COUNT": _count(environ, "TRUSTED_PROXY_COUNT", 0),
        # Abuse limits, counted in the database so every process shares them:
        # link requests per canonical address (registered or not) and per IP,
        # and failed confirmations (bad links, wrong codes) per IP.
        "RATE_LIMIT_PER_EMAIL": _int(environ, "RATE_LIMIT_PER_EMAIL", 5),
        "RATE_LIMIT_PER_IP": _int(environ, "RATE_LIMIT_PER_IP", 20),
        "RATE_LIMIT_FAILURES_PER_IP": _int(environ, "RATE_LIMIT_FAILURES_PER_IP", 100),
        "RATE_LIMIT_WINDOW": timedelta(seconds=_int(environ, "RATE_LIMIT_WINDOW", 3600)),
        # A browser the partner signed in with carries a device cookie and gets
        # this many link requests per window of its own, whatever strangers ask.
        "RATE_LIMIT_PER_DEVICE": _int(environ, "RATE_LIMIT_PER_DEVICE", 5),
        # Staff sign-in: failures per account from unknown browsers, per known
        # browser (device cookie) and per IP, in one window; reset emails.
        "STAFF_LOGIN_FAILURES_PER_ACCOUNT": _int(environ, "STAFF_LOGIN_FAILURES_PER_ACCOUNT", 10),
        "STAFF_LOGIN_FAILURES_PER_DEVICE": _int(environ, "STAFF_LOGIN_FAILURES_PER_DEVICE", 10),
        "STAFF_LOGIN_FAILURES_PER_IP": _int(environ, "STAFF_LOGIN_FAILURES_PER_IP", 10),
        "STAFF_LOGIN_WINDOW": timedelta(seconds=_int(environ, "STAFF_LOGIN_WINDOW", 900)),
        "STAFF_RESETS_PER_ACCOUNT": _int(environ, "STAFF_RESETS_PER_ACCOUNT", 5),
        "STAFF_RESETS_PER_IP": _int(environ, "STAFF_RESETS_PER_IP", 20),
        "STAFF_RESET_WINDOW": timedelta(seconds=_int(environ, "STAFF_RESET_WINDOW", 3600)),
        # How long a browser stays "known" after its last sign-in (device cookies).
        "DEVICE_COOKIE_LIFETIME": timedelta(days=_int(environ, "DEVICE_COOKIE_LIFETIME_DAYS", 180)),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(environ, database_url),
        "MAX_CONTENT_LENGTH": 64 * 1024,
        "MAX_FORM_MEMORY_SIZE": 64 * 1024,
        # Mail: with no MAIL_SERVER, development delivers to the on-disk
        # development mailbox instead of losing the message.
        "MAIL_SERVER": mail_server or "localhost",
        "MAIL_SERVER_CONFIGURED": mail_server is not None,
        "MAIL_TO_DEV_MAILBOX": mail_server is None and not is_production,
        "MAIL_PORT": _int(environ, "MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool(environ, "MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool(environ, "MAIL_USE_SSL", False),
        "MAIL_USERNAME": environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": environ.get("MAIL_DEFAULT_SENDER", "").strip()
        or f"{app_name} <noreply@{base_host or 'localhost'}>",
        "MAIL_TIMEOUT": _int(environ, "MAIL_TIMEOUT", 10),
        # The outbox: how long a job may keep failing before it is dropped, how
        # retries back off, and when a claim is presumed dead (longer than
        # any send can take with MAIL_TIMEOUT on each SMTP step).
        "OUTBOX_MAX_AGE": timedelta(seconds=_int(environ, "OUTBOX_MAX_AGE", 3600)),
        "OUTBOX_RETRY_BASE": timedelta(seconds=_int(environ, "OUTBOX_RETRY_BASE", 30)),
        "OUTBOX_RETRY_MAX": timedelta(seconds=_int(environ, "OUTBOX_RETRY_MAX", 900)),
        "OUTBOX_CLAIM_TIMEOUT": timedelta(seconds=_int(environ, "OUTBOX_CLAIM_TIMEOUT", 300)),
        "OUTBOX_POLL_INTERVAL": _int(environ, "OUTBOX_POLL_INTERVAL_MS", 1000) / 1000,
        "MAGIC_LINK_LIFETIMES": {
            purpose: timedelta(
                seconds=_int(
                    environ,
                    f"MAGIC_LINK_LIFETIME_{purpose.name}",
                    int(purpose.default_lifetime.total_seconds()),
                )
            )
            for purpose in Purpose
        },
        "PARTNER_SESSION_LIFETIME": timedelta(
            seconds=_int(environ, "PARTNER_SESSION_LIFETIME", 86400)
        ),
        # Staff sessions end 12 hours after sign-in, however busy the shift.
        "STAFF_SESSION_LIFETIME": timedelta(seconds=_int(environ, "STAFF_SESSION_LIFETIME", 43200)),
        # Argon2id costs for staff passwords (argon2-cffi's defaults, RFC 9106's
        # low-memory profile). Raising them upgrades hashes at the next sign-in.
        "PASSWORD_HASH_TIME_COST": _int(environ, "PASSWORD_HASH_TIME_COST", 3),
        "PASSWORD_HASH_MEMORY_KIB": _int(environ, "PASSWORD_HASH_MEMORY_KIB", 65536),
        "PASSWORD_HASH_PARALLELISM": _int(environ, "PASSWORD_HASH_PARALLELISM", 4),
        # Changing the sign-in address needs a sign-in this recent: a session
        # cookie stolen later cannot move the account to another mailbox.
        "RECENT_SIGN_IN": timedelta(seconds=_int(environ, "RECENT_SIGN_IN", 900)),
        # Anonymous visitors keep their few bytes of state (CSRF token,
        # flashes, the link being confirmed) in a signed cookie, never a row.
        "PRE_SESSION_LIFETIME": timedelta(hours=1),
        # Secure (and so __Host- prefixed) everywhere but plain-http loopback
        # development, where a browser would refuse a Secure cookie.
        "SESSION_COOKIE_SECURE": is_production or not is_plain_http_loopback(base_url),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Sessions have an absolute lifetime; refreshing them would cost a
        # write per request and quietly make them sliding.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "PREFERRED_URL_SCHEME": urlsplit(base_url).scheme or "http",
        "WTF_CSRF_TIME_LIMIT": 3600,
        # `flask cleanup` keeps spent links this long...
        "CLEANUP_RETENTION_DAYS": _int(environ, "CLEANUP_RETENTION_DAYS", 30),
        # ...and audit events this long (about 13 months: a year-on-year look back).
        "AUDIT_RETENTION_DAYS": _int(environ, "AUDIT_RETENTION_DAYS", 400),
        "WTF_CSRF_SSL_STRICT": True,
    }
    return config


def is_real_key(key: object) -> bool:
    """Return whether ``key`` could be a secret: not the public development key, 32+ characters."""
    return isinstance(key, str | bytes) and key != DEV_SECRET_KEY and len(key) >= 32


def check_config(config: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` when settings are unsafe: anywhere public, or in production."""
    make_key = '(python -c "import secrets; print(secrets.token_urlsafe(48))")'
    if not all(is_real_key(key) for key in config.get("SECRET_KEY_FALLBACKS") or ()):
        raise ConfigError(f"SECRET_KEY_FALLBACKS must hold only real keys {make_key}")
    base_url = config.get("PORTAL_BASE_URL") or ""
    if not config["IS_PRODUCTION"]:
        # The development key is published with the code: with it, anyone can
        # forge the signed cookies. It is fine only where nobody else can reach
        # the portal, and never behind a reverse proxy (TRUSTED_PROXY_COUNT).
        if not is_real_key(config.get("SECRET_KEY")):
            if not is_loopback_origin(base_url):
                raise ConfigError(
                    f"SECRET_KEY must be set to a random value of at least 32 characters: "
                    f"PORTAL_BASE_URL {base_url!r} is not a loopback origin, and with the "
                    f"development key anyone could forge the portal's cookies {make_key}"
                )
            if config.get("TRUSTED_PROXY_COUNT"):
                raise ConfigError(
                    f"SECRET_KEY must be set to a random value of at least 32 characters: "
                    f"behind a reverse proxy (TRUSTED_PROXY_COUNT), the development key would "
                    f"let anyone forge the portal's cookies {make_key}"
                )
        if not is_plain_http_loopback(base_url) and urlsplit(base_url).scheme != "https":
            # Cookies are Secure there, and browsers drop Secure cookies over http.
            raise ConfigError("PORTAL_BASE_URL must be https:// unless it is a loopback origin")
        return
    if not is_real_key(config.get("SECRET_KEY")):
        raise ConfigError(
            f"SECRET_KEY must be set to a random value of at least 32 characters in production "
            f"{make_key}"
        )
    base = urlsplit(config.get("PORTAL_BASE_URL") or "")
    if base.scheme != "https" or not base.hostname:
        raise ConfigError("PORTAL_BASE_URL must be the public https:// origin in production")
    if not config.get("MAIL_SERVER_CONFIGURED"):
        raise ConfigError("MAIL_SERVER must be set in production")
    # OWASP's floor for Argon2id: below it, a stolen table is cheap to crack.
    if config["PASSWORD_HASH_MEMORY_KIB"] < 19456 or config["PASSWORD_HASH_TIME_COST"] < 2:
        raise ConfigError(
            "PASSWORD_HASH_MEMORY_KIB must be at least 19456 and PASSWORD_HASH_TIME_COST "
            "at least 2 in production"
        )
