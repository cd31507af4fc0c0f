"""Request-side helpers shared by the blueprints: who is asking, where to go next, headers."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    current_app,
    flash,
    make_response,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import BadRequest
from werkzeug.routing import BaseConverter
from werkzeug.wrappers import Response as BaseResponse

from . import messages
from .security import redaction
from .security.audit import Requester

MAX_NEXT_LENGTH = 512
AnyResponse = TypeVar("AnyResponse", bound=BaseResponse)
# Where the staff console lives: its own session realm (cookie, table) and its own pages.
ADMIN_PREFIX = "/admin"


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class InvalidCharacter(BadRequest):
    """A request holding a character no field of ours accepts (a NUL byte)."""

    portal_sentence = messages.INVALID_CHARACTER


def is_admin_path(path: str) -> bool:
    """Return whether ``path`` belongs to the console (and so to the staff session realm)."""
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def requester() -> Requester:
    """Return the client address (after ProxyFix, if configured) and user agent."""
    user_agent = _CONTROL.sub("", request.headers.get("User-Agent", ""))[:512]
    return Requester(ip_address=request.remote_addr, user_agent=user_agent or None)


def refuse_nul_bytes() -> None:
    """Answer 400 when a path part, the query or the form holds a NUL byte.

    No field of ours can hold one, and PostgreSQL refuses them in text: left
    alone, a stray ``%00`` would reach a query and become a server error.
    (A link's token is exempt: it never reaches a query unless it is well
    formed, and a mangled link gets the usual invalid-link page.)
    """
    path_parts = [
        value
        for name, value in (request.view_args or {}).items()
        if name != "token" and isinstance(value, str)
    ]
    values = [*path_parts, *request.args.keys(), *request.args.values()]
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        values += [*request.form.keys(), *request.form.values()]
    if any("\x00" in value for value in values):
        raise InvalidCharacter()


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a same-site relative path, else None.

    Stops open redirects: absolute URLs, scheme-relative ``//host`` and
    ``/\\host`` (which browsers treat as ``//host``), and anything with
    control characters are all refused. So is any path of an emailed link
    (the link registry's, however encoded): a ``next`` holding someone else's
    link would land a partner, just signed in, on that link's confirm page
    (or carry a token through logs and Referer headers).
    """
    if not target or len(target) > MAX_NEXT_LENGTH:
        return None
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F or ch == "\\" for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    if redaction.carries_token(target):
        return None
    return target


def retry_after_header(wait: timedelta) -> str:
    """Return a ``Retry-After`` value: whole seconds, rounded up."""
    return str(max(1, math.ceil(wait.total_seconds())))


def too_many_requests(wait: timedelta, template: str, **context: Any) -> Response:
    """Show ``template`` again with the throttling sentence, as a 429 with ``Retry-After``."""
    flash(messages.try_again_in(wait), "error")
    response = make_response(render_template(template, **context), 429)
    response.headers["Retry-After"] = retry_after_header(wait)
    return response


def no_referrer(response: AnyResponse) -> AnyResponse:
    """Keep a URL that held a token out of the next page's Referer."""
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def is_same_origin_request() -> bool:
    """Return whether a state-changing request came from our own pages (or a non-browser client)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    base = urlsplit(current_app.config["PORTAL_BASE_URL"])
    return origin == f"{base.scheme}://{base.netloc}"


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "object-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)


def add_security_headers(response: Response) -> Response:
    """Set the headers every response carries."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config["IS_PRODUCTION"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    # Pages are personal (or carry a CSRF token): no cache may keep them.
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
    return response


class LinkTokenConverter(BaseConverter):
    """The rest of a link's path, whatever it holds (empty, slashes, line breaks).

    A mangled link must get the generic invalid-link answer from the token
    check, not a 404 from the router; the token check refuses anything that
    is not exactly the shape we mint before it reaches a query.
    """

    regex = r"[\s\S]*"
    part_isolating = False


def init_app(app: Flask) -> None:
    """Register the ``token`` URL converter (before any blueprint uses it) and the headers."""
    app.url_map.converters["token"] = LinkTokenConverter
    app.before_request(refuse_nul_bytes)
    app.after_request(add_security_headers)


def url_prefix(endpoint: str, **values: Any) -> str:
    """Return the URL of ``endpoint`` up to its trailing ``<slug>``, to append slugs to.

    A dashboard links fifty pages, and building each URL with ``url_for`` was
    an eighth of its cost. Slugs are ``[a-z0-9-]`` (``partners.SLUG_PATTERN``),
    which a path carries unchanged, so appending gives what ``url_for`` would.
    """
    return url_for(endpoint, slug="-", **values)[:-1]
