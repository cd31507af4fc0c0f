"""Who is signed in: ``g.partner``, loaded once per request, and the guard that needs it."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import current_app, flash, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from .. import messages
from ..extensions import db
from ..models import Partner
from ..security import sessions

PARTNER_KEY = "partner_id"
# After a dead sign-in link: a reference to it (id and hash), so the login page
# can offer its owner a fresh link without showing whose it was.
FRESH_LINK_FOR = "fresh_link_for"


def load_partner() -> None:
    """Set ``g.partner`` from the session, ending sessions that must not go on."""
    g.partner = None
    partner_id = session.get(PARTNER_KEY)
    if partner_id is None:
        return
    if sessions.has_expired(session):
        # The lifetime is absolute: 24 hours from sign-in, however active.
        sessions.end(session)
        flash(messages.SESSION_EXPIRED, "info")
        return
    partner = db.session.get(Partner, partner_id)
    if partner is None or not partner.is_active:
        # Deactivated (or deleted) partners lose the session on this very request.
        sessions.end(session)
        return
    sessions.touch(session)
    g.partner = partner


def begin_partner_session(partner_id: int) -> None:
    """Sign a partner in on this browser: fresh session id, fresh CSRF token, absolute lifetime."""
    sessions.begin(
        session,
        identity_key=PARTNER_KEY,
        identity=partner_id,
        lifetime=current_app.config["PARTNER_SESSION_LIFETIME"],
    )


def partner_login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send anonymous visitors to the login page, remembering where they were going."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.partner is None:
            flash(messages.LOGIN_REQUIRED, "info")
            target = request.full_path if request.query_string else request.path
            return redirect(url_for("auth.login", next=target))
        return view(*args, **kwargs)

    return wrapped


def redirect_home() -> Response:
    """Redirect to the dashboard when signed in, otherwise to the login page."""
    if g.partner is not None:
        return redirect(url_for("portal.dashboard"))
    return redirect(url_for("auth.login"))
