"""``GET /healthz``: whether this app server can reach its database, and nothing more."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from .extensions import db

bp = Blueprint("health", __name__)
PATH = "/healthz"


@bp.get(PATH)
def healthz() -> tuple[Response, int]:
    """Answer 200 when a trivial query works, 503 otherwise; no version, no error text."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        current_app.logger.warning("health check: database unavailable: %s", type(error).__name__)
        return jsonify(status="unavailable"), 503
    finally:
        db.session.close()
    return jsonify(status="ok"), 200


def init_app(app: Flask) -> None:
    """Mount the health check; it never opens a session (load balancers send no cookies)."""
    app.register_blueprint(bp)
    skip = getattr(app.session_interface, "skip", None)
    if skip is not None:
        skip(PATH)
