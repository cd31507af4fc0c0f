"""The partner's account page: sessions, sign-in address, deletion, recent activity.

Emailed links (email change, deletion) follow the sign-in link's rules: the
GET only checks the link (never spends it), keeps its id server-side and
moves on to a confirmation page; only that page's POST acts, in a session of
the partner the link was minted for.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from .. import email, messages
from ..auth import service as auth_service
from ..auth.identity import partner_login_required
from ..security import sessions, tokens
from ..security.purposes import Purpose
from ..web import no_referrer, requester, too_many_requests
from . import service
from .forms import ActionForm, ChangeEmailForm

bp = Blueprint("account", __name__, url_prefix="/partner/account")

PENDING_EMAIL_LINK = "pending_email_link"
PENDING_DELETION_LINK = "pending_deletion_link"


def overview_context(form: ChangeEmailForm | None = None) -> dict[str, Any]:
    """Return everything the account page shows."""
    return {
        "sessions": service.active_sessions(g.partner, session.sid),
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
    if service.end_session(g.partner, session_id, session.sid, requester()):
        flash(messages.SESSION_ENDED, "success")
    else:
        flash(messages.SESSION_NOT_FOUND, "info")
    return back_to_account()


@bp.post("/sessions/end-others")
@partner_login_required
def end_other_sessions() -> Response:
    """Sign out every session of the partner but this one."""
    service.end_other_sessions(g.partner, session.sid, requester())
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
            email=g.partner.email, lifetime=email.describe_duration(lifetime)
        ),
        "success",
    )
    return back_to_account()


def open_account_link(raw_token: str, purpose: Purpose, pending_key: str, confirm: str) -> Response:
    """Check an emailed account link without spending it; keep its id; go to its confirm page."""
    if g.partner is None:
        # No lookup for strangers, and no ?next= that would carry the token around.
        flash(messages.ACCOUNT_LINK_SIGN_IN_FIRST, "info")
        return no_referrer(redirect(url_for("auth.login"), 303))
    try:
        auth_service.ensure_may_confirm(requester())
        link = service.check_account_link(g.partner, raw_token, purpose)
    except tokens.RateLimited as throttled:
        return no_referrer(
            too_many_requests(throttled.retry_after, "account/index.html", **overview_context())
        )
    except tokens.MagicLinkError as error:
        return link_failed(error)
    session[pending_key] = link.id
    return no_referrer(redirect(url_for(confirm), 303))


def link_failed(error: tokens.MagicLinkError) -> Response:
    """Audit and count the failure, say so plainly, back to the account page."""
    service.record_link_failure(error, requester(), g.partner)
    flash(messages.ACCOUNT_LINK_INVALID, "error")
    return no_referrer(back_to_account())


def pending_or_none(key: str, purpose: Purpose, *, pop: bool = False) -> Any:
    """Return the partner's pending link of ``purpose`` (or raise why it cannot be used)."""
    token_id = session.pop(key, None) if pop else session.get(key)
    if token_id is None:
        return None
    return service.pending_link(g.partner, token_id, purpose)


@bp.get("/email/verify/<token:token>")
def open_email_link(token: str) -> Response:
    """Open the link sent to the new address: never acts."""
    return open_account_link(token, Purpose.EMAIL_LINK, PENDING_EMAIL_LINK, ".confirm_email_page")


@bp.get("/email/confirm")
@partner_login_required
def confirm_email_page() -> Response | str:
    """Show the change the pending link makes, with a button to make it."""
    try:
        link = pending_or_none(PENDING_EMAIL_LINK, Purpose.EMAIL_LINK)
    except tokens.MagicLinkError as error:
        session.pop(PENDING_EMAIL_LINK, None)
        return link_failed(error)
    if link is None:
        flash(messages.ACCOUNT_LINK_NO_PENDING, "info")
        return back_to_account()
    return render_template("account/confirm_email.html", form=ActionForm(), new_email=link.email)


@bp.post("/email/confirm")
@partner_login_required
def confirm_email() -> Response:
    """Make the change: the partner signs in with the new address from now on."""
    token_id = session.pop(PENDING_EMAIL_LINK, None)
    if token_id is None:
        flash(messages.ACCOUNT_LINK_NO_PENDING, "info")
        return back_to_account()
    try:
        auth_service.ensure_may_confirm(requester())
        new_email = service.confirm_email_change(g.partner, token_id, session.sid, requester())
    except tokens.RateLimited as throttled:
        return too_many_requests(throttled.retry_after, "account/index.html", **overview_context())
    except service.EmailUnavailable as error:
        flash(str(error), "error")
        return back_to_account()
    except tokens.MagicLinkError as error:
        return link_failed(error)
    flash(messages.EMAIL_CHANGED.format(email=new_email), "success")
    return back_to_account()


@bp.get("/delete/verify/<token:token>")
def open_deletion_link(token: str) -> Response:
    """Open the deletion link: never acts."""
    return open_account_link(
        token, Purpose.ACCOUNT_DELETION, PENDING_DELETION_LINK, ".confirm_deletion_page"
    )


@bp.get("/delete/confirm")
@partner_login_required
def confirm_deletion_page() -> Response | str:
    """Say what deleting the account does, with the button that does it."""
    try:
        link = pending_or_none(PENDING_DELETION_LINK, Purpose.ACCOUNT_DELETION)
    except tokens.MagicLinkError as error:
        session.pop(PENDING_DELETION_LINK, None)
        return link_failed(error)
    if link is None:
        flash(messages.ACCOUNT_LINK_NO_PENDING, "info")
        return back_to_account()
    return render_template("account/confirm_delete.html", form=ActionForm())


@bp.post("/delete/confirm")
@partner_login_required
def confirm_deletion() -> Response:
    """Delete the account: every session and link ends, here and everywhere."""
    token_id = session.pop(PENDING_DELETION_LINK, None)
    if token_id is None:
        flash(messages.ACCOUNT_LINK_NO_PENDING, "info")
        return back_to_account()
    try:
        auth_service.ensure_may_confirm(requester())
        service.delete_account(g.partner, token_id, requester())
    except tokens.RateLimited as throttled:
        return too_many_requests(throttled.retry_after, "account/index.html", **overview_context())
    except tokens.MagicLinkError as error:
        return link_failed(error)
    sessions.end(session)
    flash(messages.ACCOUNT_DELETED, "success")
    return redirect(url_for("auth.login"), 303)
