"""Error pages: a clear sentence for people, JSON for the API, never a stack trace."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
)
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from . import messages
from .extensions import db
from .web import ADMIN_PREFIX, is_admin_path, safe_next

TITLES = {
    400: ("Bad request", messages.BAD_REQUEST),
    403: ("Forbidden", "You do not have access to that."),
    404: ("Page not found", messages.NOT_FOUND),
    405: ("Not allowed", "That page cannot be used that way."),
    413: ("Too large", messages.TOO_LARGE),
    429: ("Too many requests", "Too many requests. Please wait a little and try again."),
    503: ("Temporarily unavailable", messages.UNAVAILABLE),
}
RETRY_AFTER_SECONDS = 5


def is_database_outage(error: BaseException) -> bool:
    """Return whether ``error`` means the database cannot be reached (not a bug in a query).

    A refused or dropped connection, a pool with no free connection, or SQLite's
    lock wait running out: the request may work in a moment. An integrity or
    syntax error is a bug and stays a 500.
    """
    if isinstance(error, OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def render_error(
    code: int, reference: str | None = None, sentence: str | None = None
) -> tuple[Response | str, int]:
    """Render the error page (or JSON body) for ``code``, with a more precise sentence if given."""
    title, default_sentence = TITLES.get(code, ("Error", messages.SERVER_ERROR))
    sentence = sentence or default_sentence
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
    # Our own exceptions may carry a more precise sentence than the status's.
    sentence = getattr(error, "portal_sentence", None)
    response = _as_response(*render_error(error.code or 500, sentence=sentence))
    for name, value in error.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    return response


def _as_response(body: Response | str, code: int) -> Response:
    if isinstance(body, str):
        response = Response(body, status=code, mimetype="text/html")
    else:
        response = body
        response.status_code = code
    if code == 503:
        response.headers.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
    return response


def handle_csrf_error(error: CSRFError) -> Response | tuple[Response | str, int]:
    """Explain an expired or missing form token and offer the form again; nothing was done."""
    if _wants_json():
        return render_error(400)
    flash(messages.FORM_EXPIRED, "error")
    rule = request.url_rule
    # Land in the same session realm, or the flash would be lost on the way.
    is_console = is_admin_path(request.path)
    home = ADMIN_PREFIX + "/" if is_console else "/"
    if rule is not None and "GET" in (rule.methods or ()):
        target = request.path
    else:
        # A button-only form (sign out, end a session): back to the page it was on,
        # if that page is ours and in the same realm.
        came_from = same_origin_path(request.referrer)
        in_realm = came_from is not None and is_admin_path(came_from) == is_console
        target = came_from if came_from is not None and in_realm else home
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


def _rollback_quietly() -> None:
    # With the database gone even the rollback can fail; the connection is
    # discarded by the pool either way.
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.close()


def render_unavailable(error: BaseException) -> Response:
    """Log one line (no stack trace) and answer 503: nothing was done and no access was given."""
    current_app.logger.warning(
        # The endpoint, not the path: a path can hold a sign-in token.
        "database unavailable on %s %s: %s",
        request.method,
        request.endpoint,
        type(error).__name__,
    )
    return _as_response(*render_error(503))


def handle_database_error(error: DBAPIError) -> Response:
    """Turn an unreachable database into a 503 page; any other database error stays a 500."""
    _rollback_quietly()
    if is_database_outage(error):
        return render_unavailable(error)
    # A bug (integrity, syntax...): on to the 500 handler, as if unhandled.
    raise error


def refuse_without_session_store() -> None:
    """Answer 503 when the session store could not be read for this request.

    Going on would treat a signed-in partner as anonymous (and sign them out
    by deleting their cookie); refusing is the only answer that neither
    grants nor loses anything.
    """
    if getattr(session, "store_unavailable", False):
        abort(503)


def handle_server_error(error: InternalServerError) -> Response | tuple[Response | str, int]:
    """Roll back, log with a short reference, and show the reference (never the error)."""
    _rollback_quietly()
    original = getattr(error, "original_exception", None) or error
    if is_database_outage(original):
        # Raised where no handler sees it first (e.g. while saving the session).
        return render_unavailable(original)
    reference = secrets.token_hex(4)

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
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(PoolTimeout, handle_database_error)
    # First of all before-request functions, so none of them ever runs with a
    # session that only looks anonymous because the store was down.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_without_session_store)
