"""Partner sign-in pages.

The emailed link only ever opens a confirmation page: mail scanners follow
links, so a GET must never sign anyone in or spend the link. The email's
one-time code is the other way in, for the browser that asked.
"""

from __future__ import annotations

import secrets

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from .. import messages
from ..security import sessions, tokens
from ..security.purposes import Purpose
from ..web import no_referrer, requester, safe_next, too_many_requests
from . import service
from .forms import CodeForm, ConfirmLinkForm, LoginForm, LogoutForm
from .identity import PARTNER_KEY, load_partner

bp = Blueprint("auth", __name__)
bp.before_app_request(load_partner)

PENDING_LINK = "pending_link"
RESEND_EMAIL = "resend_email"
# The random id of this browser's latest link request: the email's one-time
# code works only together with it, so only in this browser.
LOGIN_REQUEST = "login_request"

LINK_MESSAGES = {
    tokens.LinkExpired: messages.LINK_EXPIRED,
    tokens.LinkAlreadyUsed: messages.LINK_USED,
    tokens.LinkRevoked: messages.LINK_REVOKED,
}


@bp.route("/partner/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    """Ask for an email address and send a sign-in link to it."""
    if g.partner is not None:
        return redirect(url_for("portal.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        request_id = secrets.token_urlsafe(16)
        try:
            service.request_login_link(
                form.email.data,
                requester(),
                safe_next(form.next.data),
                request_id,
                device=sessions.device_claim(session),
            )
        except tokens.RateLimited as throttled:
            return too_many_requests(throttled.retry_after, "auth/login.html", form=form)
        session[LOGIN_REQUEST] = request_id
        return redirect(url_for(".login_sent"), 303)
    if request.method == "POST":
        return render_template("auth/login.html", form=form), 400
    form.next.data = safe_next(request.args.get("next"))
    form.email.data = session.pop(RESEND_EMAIL, None)
    return render_template("auth/login.html", form=form)


def sent_context(form: CodeForm | None = None) -> dict[str, object]:
    """Return what the "check your email" page shows (the code form: only where it can work)."""
    return {
        "lifetime": service.login_lifetime(),
        "show_dev_mailbox": current_app.config["MAIL_TO_DEV_MAILBOX"],
        "form": form or CodeForm(),
        "has_request": session.get(LOGIN_REQUEST) is not None,
    }


@bp.get("/partner/login/sent")
def login_sent() -> str:
    """Say that a link is on its way, if the address is registered, and offer the code form."""
    return render_template("auth/login_sent.html", **sent_context())


@bp.post("/partner/login/code")
def enter_code() -> Response | tuple[str, int]:
    """Sign in with the email's one-time code, in the browser that asked for it."""
    form = CodeForm()
    request_id = session.get(LOGIN_REQUEST)
    if request_id is None:
        flash(messages.CODE_WRONG_BROWSER, "info")
        return redirect(url_for(".login"), 303)
    if not form.validate():
        return render_template("auth/login_sent.html", **sent_context(form)), 400
    try:
        signed_in = service.confirm_code(request_id, form.code.data, requester())
    except tokens.RateLimited as throttled:
        return too_many_requests(
            throttled.retry_after, "auth/login_sent.html", **sent_context(form)
        )
    except tokens.CodeInvalid:
        form.code.errors = [messages.CODE_INVALID]
        return render_template("auth/login_sent.html", **sent_context(form)), 400
    return start_session(signed_in)


def begin_confirmation(raw_token: str) -> Response:
    """Check a link without spending it, keep it server-side, go on to the confirm page."""
    try:
        service.ensure_may_confirm(requester())
        link = tokens.find_token(raw_token, Purpose.LOGIN)
    except tokens.RateLimited as throttled:
        return no_referrer(
            too_many_requests(throttled.retry_after, "auth/login.html", form=LoginForm())
        )
    except tokens.MagicLinkError as error:
        return link_failed(error)
    session[PENDING_LINK] = link.id
    # The token leaves the address bar (and so history and Referer) here.
    return no_referrer(redirect(url_for("auth.confirm_link"), 303))


@bp.get("/partner/verify/<token:token>")
def open_link(token: str) -> Response:
    """Open an emailed sign-in link: never consumes it."""
    return begin_confirmation(token)


@bp.get("/partner/verify")
def confirm_link() -> Response | str:
    """Show whose account the pending link signs into, with a Sign in button."""
    pending = session.get(PENDING_LINK)
    if pending is None:
        flash(messages.LINK_NO_PENDING, "info")
        return redirect(url_for(".login"))
    try:
        link = tokens.get_usable_token(pending, Purpose.LOGIN)
    except tokens.MagicLinkError as error:
        session.pop(PENDING_LINK, None)
        return link_failed(error)
    return render_template("auth/confirm.html", form=ConfirmLinkForm(), partner=link.partner)


@bp.post("/partner/verify")
def redeem_link() -> Response:
    """Spend the pending link and start the partner's session."""
    pending = session.pop(PENDING_LINK, None)
    if pending is None:
        flash(messages.LINK_NO_PENDING, "info")
        return redirect(url_for(".login"), 303)
    try:
        service.ensure_may_confirm(requester())
        signed_in = service.confirm_login(pending, requester())
    except tokens.RateLimited as throttled:
        return too_many_requests(throttled.retry_after, "auth/login.html", form=LoginForm())
    except tokens.MagicLinkError as error:
        return link_failed(error)
    return start_session(signed_in)


def start_session(signed_in: service.SignedIn) -> Response:
    """Sign the partner in (fresh session id, fresh CSRF token) and go where the link said."""
    sessions.begin(
        session,
        identity_key=PARTNER_KEY,
        identity=signed_in.partner_id,
        lifetime=current_app.config["PARTNER_SESSION_LIFETIME"],
    )
    return redirect(safe_next(signed_in.next_path) or url_for("portal.dashboard"), 303)


@bp.post("/partner/logout")
def logout() -> Response:
    """End the partner's session, here and in the database."""
    LogoutForm()  # CSRF is checked for every POST before the view runs.
    if g.partner is not None:
        service.record_logout(g.partner, requester())
    sessions.end(session)
    flash(messages.SIGNED_OUT, "success")
    return redirect(url_for(".login"), 303)


def link_failed(error: tokens.MagicLinkError) -> Response:
    """Audit the failure and land on the login page, ready to send a fresh link in one click."""
    service.record_failed_login(error, requester())
    flash(LINK_MESSAGES.get(type(error), messages.LINK_INVALID), "error")
    if error.token is not None and error.token.partner_id is not None:
        session[RESEND_EMAIL] = error.token.email
    return no_referrer(redirect(url_for("auth.login"), 303))
