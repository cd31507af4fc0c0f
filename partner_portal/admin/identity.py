"""Who is signed in to the console: ``g.admin``, loaded once per request, and its guard."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import flash, g, redirect, request, session, url_for

from .. import messages
from ..actors import Actor
from ..extensions import db
from ..models import Admin
from ..security import sessions
from ..web import is_admin_path, requester

ADMIN_KEY = "admin_id"


def load_admin() -> None:
    """Set ``g.admin`` from the staff session, ending sessions that must not go on."""
    g.admin = None
    # Elsewhere ``session`` is the partner realm's: a staff identity is never looked for there.
    if not is_admin_path(request.path):
        return
    admin_id = session.get(ADMIN_KEY)
    if admin_id is None:
        return
    if sessions.has_expired(session):
        # The lifetime is absolute: 12 hours from sign-in, however active.
        sessions.end(session)
        flash(messages.ADMIN_SESSION_EXPIRED, "info")
        return
    admin = db.session.get(Admin, admin_id)
    if admin is None or not admin.is_active:
        sessions.end(session)
        return
    sessions.touch(session)
    g.admin = admin


def admin_login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send anyone without a staff session to the staff login page; nothing else runs."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.admin is None:
            flash(messages.ADMIN_LOGIN_REQUIRED, "info")
            target = None
            if request.method == "GET":
                target = request.full_path if request.query_string else request.path
            return redirect(url_for("admin.login", next=target), 303)
        return view(*args, **kwargs)

    return wrapped


def actor() -> Actor:
    """Return the signed-in admin and where the request came from."""
    return Actor(admin_id=g.admin.id, requester=requester())
