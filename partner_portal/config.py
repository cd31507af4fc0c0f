"""Configuration, read from the environment in one place.

Development works with no settings at all. Production refuses to start
without a real secret key, a public HTTPS base URL and a mail server, because
each of those, left at a default, is a security hole or lost mail.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from .security.purposes import Purpose

DEV_SECRET_KEY = "dev-only-not-a-secret"  # noqa: S105 - refused in production
ENVIRONMENTS = ("development", "production")


class ConfigError(RuntimeError):
    """The environment does not describe a portal that is safe to start."""


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
        "SECRET_KEY": environ.get("SECRET_KEY", "") or (None if is_production else DEV_SECRET_KEY),
        "APP_NAME": app_name,
        "PORTAL_BASE_URL": base_url,
        # Flask answers 400 to a Host header that is not ours, so nothing can
        # ever be built from a poisoned Host (links use PORTAL_BASE_URL anyway).
        "TRUSTED_HOSTS": [base_host]
        + ([] if is_production else ["localhost", "127.0.0.1"])
        + [h.strip() for h in environ.get("PORTAL_EXTRA_HOSTS", "").split(",") if h.strip()],
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(environ, database_url),
        "MAX_CONTENT_LENGTH": 64 * 1024,
        "MAX_FORM_MEMORY_SIZE": 64 * 1024,
        # Mail: with no MAIL_SERVER, development delivers to the on-disk
        # development mailbox instead of losing the message.
        "MAIL_SERVER": mail_server or "localhost",
        "MAIL_TO_DEV_MAILBOX": mail_server is None and not is_production,
        "MAIL_PORT": _int(environ, "MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool(environ, "MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool(environ, "MAIL_USE_SSL", False),
        "MAIL_USERNAME": environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": environ.get("MAIL_DEFAULT_SENDER", "").strip()
        or f"{app_name} <noreply@{base_host or 'localhost'}>",
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
        # Anonymous visitors keep their few bytes of state (CSRF token,
        # flashes, the link being confirmed) in a signed cookie, never a row.
        "PRE_SESSION_LIFETIME": timedelta(hours=1),
        "SESSION_COOKIE_SECURE": is_production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Sessions have an absolute lifetime; refreshing them would cost a
        # write per request and quietly make them sliding.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "PREFERRED_URL_SCHEME": urlsplit(base_url).scheme or "http",
        "WTF_CSRF_TIME_LIMIT": 3600,
        # `flask cleanup` keeps spent links this long (audit entries are never removed).
        "CLEANUP_RETENTION_DAYS": _int(environ, "CLEANUP_RETENTION_DAYS", 30),
        "WTF_CSRF_SSL_STRICT": True,
    }
    return config


def check_config(config: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` when production settings are unsafe."""
    if not config["IS_PRODUCTION"]:
        return
    secret = config.get("SECRET_KEY") or ""
    if secret == DEV_SECRET_KEY or len(secret) < 32:
        raise ConfigError(
            "SECRET_KEY must be set to a random value of at least 32 characters in production "
            '(python -c "import secrets; print(secrets.token_urlsafe(48))")'
        )
    base = urlsplit(config.get("PORTAL_BASE_URL") or "")
    if base.scheme != "https" or not base.hostname:
        raise ConfigError("PORTAL_BASE_URL must be the public https:// origin in production")
    if config.get("MAIL_TO_DEV_MAILBOX"):
        raise ConfigError("MAIL_SERVER must be set in production")
