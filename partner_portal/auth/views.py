"""Partner sign-in pages.

The emailed link only ever opens a confirmation page: mail scanners follow
links, so a GET must never sign anyone in or spend the link.
"""

from __future__ import annotations

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
from ..web import requester, safe_next, too_many_requests
from . import service
from .forms import ConfirmLinkForm, LoginForm, LogoutForm
from .identity import PARTNER_KEY, load_partner

bp = Blueprint("auth", __name__)
bp.before_app_request(load_partner)

PENDING_LINK = "pending_link"
RESEND_EMAIL = "resend_email"

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
        try:
            service.request_login_link(form.email.data, requester(), safe_next(form.next.data))
        except tokens.RateLimited as throttled:
            return too_many_requests(throttled.retry_after, "auth/login.html", form=form)
        return redirect(url_for(".login_sent"), 303)
    if request.method == "POST":
        return render_template("auth/login.html", form=form), 400
    form.next.data = safe_next(request.args.get("next"))
    form.email.data = session.pop(RESEND_EMAIL, None)
    return render_template("auth/login.html", form=form)


@bp.get("/partner/login/sent")
def login_sent() -> str:
    """Say that a link is on its way, if the address is registered."""
    return render_template(
        "auth/login_sent.html",
        lifetime=service.login_lifetime(),
        show_dev_mailbox=current_app.config["MAIL_TO_DEV_MAILBOX"],
    )


def begin_confirmation(raw_token: str) -> Response:
    """Check a link without spending it, keep it server-side, go on to the confirm page."""
    try:
        link = tokens.find_token(raw_token, Purpose.LOGIN)
    except tokens.MagicLinkError as error:
        return link_failed(error)
    session[PENDING_LINK] = link.id
    # The token leaves the address bar (and so history and Referer) here.
    response = redirect(url_for("auth.confirm_link"), 303)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/partner/verify/<path:token>")
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
        partner, next_path = service.confirm_login(pending, requester())
    except tokens.MagicLinkError as error:
        return link_failed(error)
    sessions.begin(
        session,
        identity_key=PARTNER_KEY,
        identity=partner.id,
        lifetime=current_app.config["PARTNER_SESSION_LIFETIME"],
    )
    return redirect(safe_next(next_path) or url_for("portal.dashboard"), 303)


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
    response = redirect(url_for("auth.login"), 303)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
