"""The partner's account page: sessions, sign-in address, deletion, recent activity.

The links these pages email (change of address, deletion, and the "this was
not me" link to the old address) are kinds in the link registry
(``links.py``), which opens, confirms and redeems them.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from .. import messages
from ..auth import service as auth_service
from ..auth.identity import partner_login_required
from ..security import sessions, tokens
from ..security.purposes import Purpose
from ..web import requester, too_many_requests
from . import service
from .forms import ActionForm, ChangeEmailForm

bp = Blueprint("account", __name__, url_prefix="/partner/account")


def overview_context(form: ChangeEmailForm | None = None) -> dict[str, Any]:
    """Return everything the account page shows."""
    return {
        "sessions": service.active_sessions(g.partner, sessions.current_sid(session)),
        "activity": service.recent_activity(g.partner),
        "email_form": form or ChangeEmailForm(),
        "action_form": ActionForm(),
        "can_change_email": service.is_recent_sign_in(sessions.signed_in_at(session)),
        "recent_sign_in": current_app.config["RECENT_SIGN_IN"],
    }


def back_to_account() -> Response:
    """Go back to the account page (after a POST: 303)."""
    return redirect(url_for("account.overview"), 303)


@bp.get("")
@partner_login_required
def overview() -> str:
    """Show the partner's sessions, recent sign-ins, and what they can change."""
    return render_template("account/index.html", **overview_context())


@bp.post("/sessions/<int:session_id>/end")
@partner_login_required
def end_session(session_id: int) -> Response:
    """Sign out one of the partner's other sessions."""
    if service.end_session(g.partner, session_id, sessions.current_sid(session), requester()):
        flash(messages.SESSION_ENDED, "success")
    else:
        flash(messages.SESSION_NOT_FOUND, "info")
    return back_to_account()


@bp.post("/sessions/end-others")
@partner_login_required
def end_other_sessions() -> Response:
    """Sign out every session of the partner but this one."""
    service.end_other_sessions(g.partner, sessions.current_sid(session), requester())
    flash(messages.OTHER_SESSIONS_ENDED, "success")
    return back_to_account()


@bp.post("/email")
@partner_login_required
def change_email() -> Response | tuple[str, int]:
    """Send a confirmation link to a new address (and a notice to the current one)."""
    if not service.is_recent_sign_in(sessions.signed_in_at(session)):
        flash(messages.SIGN_IN_AGAIN, "info")
        return back_to_account()
    form = ChangeEmailForm()
    if not form.validate():
        return render_template("account/index.html", **overview_context(form)), 400
    try:
        new_email = service.request_email_change(g.partner, form.new_email.data, requester())
    except service.EmailUnchanged as error:
        form.new_email.errors = [str(error)]
        return render_template("account/index.html", **overview_context(form)), 400
    except tokens.RateLimited as throttled:
        return too_many_requests(
            throttled.retry_after, "account/index.html", **overview_context(form)
        )
    flash(messages.EMAIL_CHANGE_SENT.format(email=new_email), "success")
    return back_to_account()


@bp.post("/sign-in-again")
@partner_login_required
def sign_in_again() -> Response:
    """Sign out, to come back through a fresh sign-in (needed to change the address)."""
    auth_service.record_logout(g.partner, requester())
    sessions.end(session)
    flash(messages.SIGN_IN_AGAIN_PROMPT, "info")
    return redirect(url_for("auth.login", next=url_for("account.overview")), 303)


@bp.post("/delete")
@partner_login_required
def request_deletion() -> Response:
    """Email the partner a link that confirms deleting the account."""
    try:
        service.request_deletion(g.partner, requester())
    except tokens.RateLimited as throttled:
        return too_many_requests(throttled.retry_after, "account/index.html", **overview_context())
    lifetime = current_app.config["MAGIC_LINK_LIFETIMES"][Purpose.ACCOUNT_DELETION]
    flash(
        messages.DELETION_SENT.format(
            email=g.partner.email, lifetime=messages.describe_duration(lifetime)
        ),
        "success",
    )
    return back_to_account()
