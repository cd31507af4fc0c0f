"""Error pages: a clear sentence for people, JSON for the API, never a stack trace."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, jsonify, redirect, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from . import messages
from .extensions import db
from .web import safe_next

TITLES = {
    400: ("Bad request", messages.BAD_REQUEST),
    403: ("Forbidden", "You do not have access to that."),
    404: ("Page not found", messages.NOT_FOUND),
    405: ("Not allowed", "That page cannot be used that way."),
    413: ("Too large", messages.TOO_LARGE),
    429: ("Too many requests", "Too many requests. Please wait a little and try again."),
    503: (
        "Temporarily unavailable",
        "The portal is briefly unavailable. Please try again shortly.",
    ),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def render_error(code: int, reference: str | None = None) -> tuple[Response | str, int]:
    """Render the error page (or JSON body) for ``code``."""
    title, sentence = TITLES.get(code, ("Error", messages.SERVER_ERROR))
    if code >= 500 and code != 503:
        title, sentence = "Something went wrong", messages.SERVER_ERROR
    if request_ctx.url_adapter is None:
        # The request never matched our host (TRUSTED_HOSTS), so no URL can be
        # built for it: answer with a bare page that links nowhere.
        return bare_page(title, sentence), code
    if _wants_json():
        body = {"error": sentence}
        if reference:
            body["reference"] = reference
        return jsonify(body), code
    return render_template(
        "errors/error.html", code=code, title=title, sentence=sentence, reference=reference
    ), code


def bare_page(title: str, sentence: str) -> str:
    """Return a minimal, self-contained HTML error page."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head><body><main><h1>{escape(title)}</h1>"
        f"<p>{escape(sentence)}</p></main></body></html>"
    )


def handle_http_error(error: HTTPException) -> tuple[Response | str, int] | Response:
    """Render any HTTP error with our page, keeping its status (and headers such as Allow)."""
    body, code = render_error(error.code or 500)
    if isinstance(body, str):
        response = Response(body, status=code, mimetype="text/html")
    else:
        response = body
        response.status_code = code
    for name, value in error.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    return response


def handle_csrf_error(error: CSRFError) -> Response | tuple[Response | str, int]:
    """Explain an expired or missing form token and offer the form again; nothing was done."""
    if _wants_json():
        return render_error(400)
    flash(messages.FORM_EXPIRED, "error")
    rule = request.url_rule
    # Land in the same session realm, or the flash would be lost on the way.
    home = "/admin/" if request.path.startswith("/admin/") else "/"
    if rule is not None and "GET" in (rule.methods or ()):
        target = request.path
    else:
        # A button-only form (sign out, end a session): back to the page it was on,
        # if that page is ours and in the same realm.
        came_from = same_origin_path(request.referrer)
        in_realm = came_from is not None and came_from.startswith("/admin/") == (home != "/")
        target = came_from if in_realm else home
    return redirect(target, 303)


def same_origin_path(url: str | None) -> str | None:
    """Return the local path (and query) of ``url`` if it is on our own origin, else None."""
    if not url:
        return None
    parts = urlsplit(url)
    base = urlsplit(current_app.config["PORTAL_BASE_URL"])
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        return None
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))


def handle_server_error(error: InternalServerError) -> tuple[Response | str, int]:
    """Roll back, log with a short reference, and show the reference (never the error)."""
    db.session.rollback()
    reference = secrets.token_hex(4)
    original = getattr(error, "original_exception", None) or error

    current_app.logger.error(
        "unhandled error, reference %s",
        reference,
        exc_info=(type(original), original, original.__traceback__),
    )
    return render_error(500, reference=reference)


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_server_error)
