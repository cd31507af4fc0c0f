"""Accepting an invitation: the emailed link, its confirmation page, and the POST that signs in.

The same pattern as sign-in links: a GET only checks the link and moves it
out of the address bar; nothing is spent until the partner presses Accept.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from .. import invitations, messages
from ..security import sessions, tokens
from ..security.purposes import Purpose
from ..web import requester
from .forms import ConfirmLinkForm
from .identity import PARTNER_KEY

bp = Blueprint("signup", __name__)

PENDING_INVITATION = "pending_invitation"

INVITATION_MESSAGES = {
    tokens.LinkExpired: messages.INVITATION_EXPIRED,
    tokens.LinkAlreadyUsed: messages.INVITATION_USED,
    tokens.LinkRevoked: messages.INVITATION_REVOKED,
}


@bp.get("/partner/signup/<path:token>")
def open_invitation(token: str) -> Response:
    """Open an emailed invitation: check it without spending it, then show the confirm page."""
    try:
        link = tokens.find_token(token, Purpose.SIGNUP)
    except tokens.MagicLinkError as error:
        return invitation_failed(error)
    session[PENDING_INVITATION] = link.id
    # The token leaves the address bar (and so history and Referer) here.
    response = redirect(url_for(".confirm_invitation"), 303)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/partner/signup")
def confirm_invitation() -> Response | str:
    """Show whose invitation this is, with an Accept button."""
    pending = session.get(PENDING_INVITATION)
    if pending is None:
        flash(messages.INVITATION_NO_PENDING, "info")
        return redirect(url_for("auth.login"))
    try:
        link = tokens.get_usable_token(pending, Purpose.SIGNUP)
    except tokens.MagicLinkError as error:
        session.pop(PENDING_INVITATION, None)
        return invitation_failed(error)
    form = ConfirmLinkForm()
    form.submit.label.text = "Accept and sign in"
    return render_template("auth/signup.html", form=form, partner=link.partner)


@bp.post("/partner/signup")
def accept_invitation() -> Response:
    """Spend the invitation, activate the partner and start their session."""
    pending = session.pop(PENDING_INVITATION, None)
    if pending is None:
        flash(messages.INVITATION_NO_PENDING, "info")
        return redirect(url_for("auth.login"), 303)
    try:
        partner = invitations.accept(pending, requester())
    except tokens.MagicLinkError as error:
        return invitation_failed(error)
    sessions.begin(
        session,
        identity_key=PARTNER_KEY,
        identity=partner.id,
        lifetime=current_app.config["PARTNER_SESSION_LIFETIME"],
    )
    flash(messages.WELCOME, "success")
    return redirect(url_for("portal.dashboard"), 303)


def invitation_failed(error: tokens.MagicLinkError) -> Response:
    """Audit the failure and land on the login page with a sentence saying what to do."""
    invitations.record_failed(error, requester())
    flash(INVITATION_MESSAGES.get(type(error), messages.INVITATION_INVALID), "error")
    response = redirect(url_for("auth.login"), 303)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
