"""JSON endpoints with the same semantics as the HTML pages.

CSRF: these POSTs carry no form token. A browser's ``Origin`` /
``Sec-Fetch-Site`` must say the request came from our own origin, and each
POST that carries a body must be JSON (a cross-site page cannot send
``application/json`` without a CORS preflight, which we never grant). Sign-out
needs no body, so a same-origin ``fetch()`` without one is accepted there. The
cookie is SameSite=Lax besides.

The emailed link's landing under ``/api/partner/auth/verify/<token>`` is the
sign-in link kind's second address (``links.LOGIN``).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, g, jsonify, request, session
from werkzeug.wrappers import Response

from .. import clock, messages, visibility
from ..auth import service
from ..auth.identity import begin_partner_session
from ..extensions import csrf
from ..partners import InvalidEmail, canonical_email
from ..security import sessions, tokens
from ..web import is_same_origin_request, requester, retry_after_header, safe_next

bp = Blueprint("api", __name__, url_prefix="/api/partner")
csrf.exempt(bp)


def error(message: str, status_code: int) -> tuple[Response, int]:
    """Return a JSON error body with ``status_code``."""
    return jsonify(error=message), status_code


# POSTs that take no body: a JSON Content-Type would be a requirement the call does not need.
BODILESS = {"api.logout"}


@bp.before_request
def refuse_cross_site() -> tuple[Response, int] | None:
    """Refuse state-changing requests that a browser says came from another site."""
    if request.method != "POST":
        return None
    # Judged by what the browser says about where the request came from,
    # never by the body: a cross-site form can send no body too.
    if not is_same_origin_request():
        return error(messages.API_CROSS_SITE, 403)
    if request.endpoint in BODILESS and not request.content_length and not request.mimetype:
        return None
    if request.mimetype != "application/json":
        return error(messages.API_JSON_REQUIRED, 415)
    return None


def json_body() -> dict:
    """Return the request's JSON object, or an empty dict for anything else."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


@bp.post("/auth/request-login")
def request_login() -> Response | tuple[Response, int]:
    """Email a sign-in link; the answer is the same whether or not the address is registered."""
    given = json_body().get("email")
    raw_email = given if isinstance(given, str) else ""
    try:
        canonical_email(raw_email)
    except InvalidEmail as invalid:
        return jsonify(error=messages.API_INVALID_EMAIL, detail=str(invalid)), 400
    redirect_to = json_body().get("redirectTo")
    try:
        service.request_login_link(
            raw_email,
            requester(),
            safe_next(redirect_to if isinstance(redirect_to, str) else None),
            device=sessions.device_claim(session),
        )
    except tokens.RateLimited as throttled:
        return too_many(throttled.retry_after)
    return jsonify(success=True, message=messages.LOGIN_LINK_REQUESTED)


def too_many(wait: timedelta) -> tuple[Response, int]:
    """Answer 429 with the throttling sentence and ``Retry-After``."""
    response, status_code = error(messages.try_again_in(wait), 429)
    response.headers["Retry-After"] = retry_after_header(wait)
    return response, status_code


@bp.post("/auth/verify")
def redeem_link() -> Response | tuple[Response, int]:
    """Spend a link given in the JSON body and start a session (for API clients)."""
    raw = json_body().get("token")
    try:
        # Holding the raw token is the binding: its hash goes into the UPDATE.
        link = tokens.find_token(raw if isinstance(raw, str) else "", tokens.Purpose.LOGIN)
        signed_in = service.confirm_login(tokens.LinkRef.of(link), requester())
    except tokens.MagicLinkError as failure:
        # Counted (a POST: the sender's own IP), never a reason to refuse a live link.
        service.record_failed_login(failure, requester())
        return error(messages.API_LINK_INVALID, 400)
    begin_partner_session(signed_in.partner_id)
    return jsonify(success=True, redirectTo=safe_next(signed_in.next_path) or "/partner/dashboard")


@bp.get("/auth/me")
def me() -> Response | tuple[Response, int]:
    """Describe the signed-in partner and the pages they can see."""
    if g.partner is None:
        return error(messages.API_AUTH_REQUIRED, 401)
    scopes = visibility.visible_pages(g.partner.id, clock.now())
    return jsonify(
        id=g.partner.id,
        email=g.partner.email,
        name=g.partner.name,
        statusPages=[
            {"id": scope.page.id, "name": scope.page.name, "slug": scope.page.slug}
            for scope in scopes
        ],
    )


@bp.post("/auth/logout")
def logout() -> Response:
    """End the partner's session."""
    if g.partner is not None:
        service.record_logout(g.partner, requester())
    sessions.end(session)
    return jsonify(success=True)
