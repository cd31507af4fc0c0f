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
from ..web import requester, safe_next, too_many_requests
from . import service
from .forms import CodeForm, FreshLinkForm, LoginForm, LogoutForm
from .identity import FRESH_LINK_FOR, begin_partner_session, load_partner

bp = Blueprint("auth", __name__)
bp.before_app_request(load_partner)

# The random id of this browser's link requests: the email's one-time code
# works only together with it, so only in this browser. It is kept across
# requests, so a newer request replaces this browser's earlier codes and
# nobody else's.
LOGIN_REQUEST = "login_request"


def login_context(form: LoginForm | None = None) -> dict[str, object]:
    """Return what the login page shows: the form, and the fresh-link button after a dead link."""
    return {
        "form": form or LoginForm(),
        "fresh_link_form": FreshLinkForm() if session.get(FRESH_LINK_FOR) else None,
    }


@bp.route("/partner/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    """Ask for an email address and send a sign-in link to it."""
    if g.partner is not None:
        return redirect(url_for("portal.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        request_id = session.get(LOGIN_REQUEST) or secrets.token_urlsafe(16)
        try:
            service.request_login_link(
                form.email.data,
                requester(),
                safe_next(form.next.data),
                request_id,
                device=sessions.device_claim(session),
            )
        except tokens.RateLimited as throttled:
            return too_many_requests(
                throttled.retry_after, "auth/login.html", **login_context(form)
            )
        session[LOGIN_REQUEST] = request_id
        return redirect(url_for(".login_sent"), 303)
    if request.method == "POST":
        return render_template("auth/login.html", **login_context(form)), 400
    form.next.data = safe_next(request.args.get("next"))
    return render_template("auth/login.html", **login_context(form))


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


def start_session(signed_in: service.SignedIn) -> Response:
    """Sign the partner in (fresh session id, fresh CSRF token) and go where the link said."""
    begin_partner_session(signed_in.partner_id)
    return redirect(safe_next(signed_in.next_path) or url_for("portal.dashboard"), 303)


@bp.post("/partner/login/fresh-link")
def request_fresh_link() -> Response | tuple[str, int]:
    """Send a fresh link to the owner of the dead link this browser opened, without naming them.

    The session holds a reference to that link (id and hash), never its
    address: a dead link on a shared screen reveals nobody's email. The request
    is limited and answered like any other.
    """
    FreshLinkForm()  # CSRF is checked for every POST before the view runs.
    ref = tokens.LinkRef.from_session(session.pop(FRESH_LINK_FOR, None))
    if ref is None:
        flash(messages.LINK_NO_PENDING, "info")
        return redirect(url_for(".login"), 303)
    request_id = session.get(LOGIN_REQUEST) or secrets.token_urlsafe(16)
    try:
        service.request_fresh_link(ref, requester(), request_id)
    except tokens.RateLimited as throttled:
        return too_many_requests(throttled.retry_after, "auth/login.html", **login_context())
    session[LOGIN_REQUEST] = request_id
    return redirect(url_for(".login_sent"), 303)


@bp.post("/partner/logout")
def logout() -> Response:
    """End the partner's session, here and in the database."""
    LogoutForm()  # CSRF is checked for every POST before the view runs.
    if g.partner is not None:
        service.record_logout(g.partner, requester())
    sessions.end(session)
    flash(messages.SIGNED_OUT, "success")
    return redirect(url_for(".login"), 303)
