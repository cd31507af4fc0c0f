"""Partner Portal: private status pages for a company's external partners."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import check_config, engine_options, is_loopback_origin, load_config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure the portal; reads like its table of contents."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("PORTAL_INSTANCE_PATH") or os.path.join(ROOT, "instance"),
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(load_config(os.environ, app.instance_path))
    if test_config is not None:
        app.config.update(test_config)
        if "SQLALCHEMY_ENGINE_OPTIONS" not in test_config:
            uri = app.config["SQLALCHEMY_DATABASE_URI"]
            app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(os.environ, uri)
    check_config(app.config)
    # The development mailbox shows every link sent: only on a loopback origin.
    app.config["SERVES_DEV_MAILBOX"] = not app.config["IS_PRODUCTION"] and is_loopback_origin(
        app.config["PORTAL_BASE_URL"]
    )
    app.config["MAIL_TO_DEV_MAILBOX"] = (
        app.config["MAIL_TO_DEV_MAILBOX"] and app.config["SERVES_DEV_MAILBOX"]
    )

    register_logging(app)
    register_proxy(app)
    register_extensions(app)
    register_sessions(app)
    register_mail(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_logging(app: Flask) -> None:
    """Redact link tokens from the app's and the servers' access logs."""
    from .links import TOKEN_PATHS
    from .security import redaction

    redaction.configure(TOKEN_PATHS)
    redaction.install(app.logger.name, "werkzeug", "gunicorn.access", "gunicorn.error")


def register_proxy(app: Flask) -> None:
    """Trust X-Forwarded-* only from as many proxies as configured (none by default)."""
    count = app.config["TRUSTED_PROXY_COUNT"]
    if count:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=0, x_port=0
        )


def register_extensions(app: Flask) -> None:
    """Bind the extensions to the app."""
    from . import models  # noqa: F401 - the models must be known to Alembic
    from .extensions import csrf, db, init_migrations, mail
    from .security import passwords

    db.init_app(app)
    init_migrations(app, directory=os.path.join(ROOT, "migrations"), render_as_batch=True)
    mail.init_app(app)
    csrf.init_app(app)
    passwords.init_app(app)


def register_sessions(app: Flask) -> None:
    """Give partners and staff each their own server-side session store and cookie."""
    from .models import Admin, Partner, PartnerSession, StaffSession
    from .security.sessions import Realm, RealmSessionInterface, SessionRouter, cookies
    from .web import ADMIN_PREFIX

    partner_realm = RealmSessionInterface(
        app,
        Realm(
            name="partner",
            cookie_name="partner.sid",
            pre_cookie_name="partner.pre",
            model=PartnerSession,
            identity_key="partner_id",
            path_prefix="",
            identity_model=Partner,
            device_cookie_name="partner.device",
        ),
    )
    router = SessionRouter(default=partner_realm)
    router.add(
        RealmSessionInterface(
            app,
            Realm(
                name="staff",
                cookie_name="oncall.sid",
                pre_cookie_name="oncall.pre",
                model=StaffSession,
                identity_key="admin_id",
                path_prefix=ADMIN_PREFIX,
                identity_model=Admin,
                device_cookie_name="oncall.device",
            ),
        )
    )
    app.session_interface = router
    # CSRF tokens are signed cookies' contents too: accept them under the
    # fallback keys, sign them with the current one (rotation keeps forms working).
    app.config.setdefault("WTF_CSRF_SECRET_KEY", None)
    if app.config["WTF_CSRF_SECRET_KEY"] is None:
        app.config["WTF_CSRF_SECRET_KEY"] = list(cookies.signing_keys(app))


def register_mail(app: Flask) -> None:
    """Choose where mail goes, and register every kind of email the outbox delivers."""
    from . import links, outbox
    from .admin.staff import notices
    from .mail import transport

    development_sink = None
    if not app.config["IS_PRODUCTION"]:
        # The development package is chosen here, at start: no production
        # module imports it.
        from .dev import mailbox

        development_sink = mailbox.store
    transport.init_app(app, development_sink)
    # Every email with a link comes from the link registry; the staff
    # security notices carry none.
    outbox.init_app(app, {**links.COMPOSERS, **notices.COMPOSERS})


def register_blueprints(app: Flask) -> None:
    """Mount each feature."""
    from . import account, admin, api, auth, health, links, messages, portal, web
    from .dev import views as dev_views
    from .formatting import render as render_markdown
    from .messages import describe_duration
    from .portal.markup import history_bar, status_badge
    from .status import PARTIAL_OUTAGE_WEIGHT, format_duration, format_uptime

    web.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(portal.bp)
    app.register_blueprint(api.bp)
    links.init_app(app)
    app.register_blueprint(account.bp)
    app.register_blueprint(admin.bp)
    health.init_app(app)
    if app.config["SERVES_DEV_MAILBOX"]:
        app.register_blueprint(dev_views.bp)

    @app.context_processor
    def inject_globals() -> dict[str, Any]:
        return {
            "app_name": app.config["APP_NAME"],
            "is_development": app.config["SERVES_DEV_MAILBOX"],
            "text": messages,
            "partial_weight_percent": round(PARTIAL_OUTAGE_WEIGHT * 100),
        }

    app.add_template_filter(describe_duration, "duration")
    app.add_template_global(history_bar, "history_bar")
    app.add_template_global(status_badge, "status_badge")
    app.add_template_global(render_markdown, "markdown")
    app.add_template_global(format_uptime, "format_uptime")
    app.add_template_filter(format_duration, "elapsed")


def register_errorhandlers(app: Flask) -> None:
    """Render every error as a page (or JSON), never a stack trace."""
    from . import errors

    errors.init_app(app)


def register_commands(app: Flask) -> None:
    """Add the ``flask`` subcommands."""
    from . import cli

    cli.init_app(app)
