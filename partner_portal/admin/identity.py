"""Who is signed in to the console (``g.admin``), what their role lets them open, and step-up.

Every console route declares who may open it, with exactly one of:

* ``@requires(Role.X)``: a signed-in member of staff whose role is X or
  above (``step_up=True``: and, for its POST, a sign-in or second-factor
  check in the last ``STAFF_STEP_UP_WINDOW``);
* ``@signing_in``: the steps of signing in after the password (the second
  factor, enrolling one), open half-way or signed in;
* ``@public``: the login page, sign-out, the reset request.

A test builds the list from the URL map and fails for a route with none.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

from flask import abort, current_app, flash, g, redirect, request, session, url_for

from .. import clock, messages
from ..actors import Actor
from ..models import Admin, Role
from ..security import sessions
from ..web import is_admin_path, requester

ADMIN_KEY = "admin_id"
# When this session last proved who it is: the sign-in, or a second factor
# (or password) asked again since. Step-up actions need it recent.
VERIFIED_AT = "_verified_at"
# How the sign-in (or the latest enrolment) proved the second factor:
# "totp", "recovery_code", or None for a password alone.
SECOND_FACTOR = "_second_factor"
# The attribute every console view carries: a Role, or one of Access.
ACCESS = "console_access"
STEP_UP = "console_step_up"

View = TypeVar("View", bound=Callable[..., Any])


class Access(StrEnum):
    """Who may open a console route that needs no role."""

    PUBLIC = "public"
    SIGNING_IN = "signing_in"


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
    if sessions.has_been_idle(session, current_app.config["STAFF_SESSION_IDLE_TIMEOUT"]):
        # A console left open on an unattended screen ends by itself.
        sessions.end(session)
        flash(messages.ADMIN_SESSION_IDLE, "info")
        return
    # Read with the session row (one statement): no query here.
    admin = getattr(session, "identity", None)
    if not isinstance(admin, Admin) or admin.id != admin_id or not admin.is_active:
        # Deactivated (or deleted): out on this very request.
        sessions.end(session)
        return
    sessions.touch(session)
    g.admin = admin


def _to_sign_in() -> Any:
    flash(messages.ADMIN_LOGIN_REQUIRED, "info")
    target = None
    if request.method == "GET":
        target = request.full_path if request.query_string else request.path
    return redirect(url_for("admin.login", next=target), 303)


def needs_enrolment() -> bool:
    """Return whether the signed-in member of staff must enrol a second factor before anything."""
    return bool(current_app.config["STAFF_REQUIRE_MFA"]) and not session.get(SECOND_FACTOR)


def recently_verified() -> bool:
    """Return whether this session proved who it is within ``STAFF_STEP_UP_WINDOW``."""
    stamp = session.get(VERIFIED_AT)
    window = current_app.config["STAFF_STEP_UP_WINDOW"].total_seconds()
    return isinstance(stamp, int) and clock.now().timestamp() - stamp < window


def requires(role: Role, *, step_up: bool = False) -> Callable[[View], View]:
    """Let only signed-in staff of ``role`` or above open the route (403 for the others).

    With ``step_up``, a POST from a session that has not proved who it is in
    the last ``STAFF_STEP_UP_WINDOW`` is kept aside and the console asks for
    the second factor (or the password) first, then offers to finish it.
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if g.admin is None:
                return _to_sign_in()
            if needs_enrolment():
                flash(messages.MFA_REQUIRED, "info")
                return redirect(url_for("admin.setup_totp"), 303)
            if not g.admin.role.allows(role):
                # Nothing runs, nothing is written: not even an audit event.
                abort(403)
            if step_up and request.method == "POST":
                from .staff import stepup

                if not recently_verified():
                    return stepup.ask_again()
                stepup.done()
            return view(*args, **kwargs)

        setattr(wrapped, ACCESS, role)
        setattr(wrapped, STEP_UP, step_up)
        return wrapped  # type: ignore[return-value]

    return decorate


def signing_in(view: View) -> View:
    """Mark a step of signing in (second factor, enrolment): it checks its own state."""
    setattr(view, ACCESS, Access.SIGNING_IN)
    return view


def public(view: View) -> View:
    """Mark a console route anyone may open (login, sign-out, the reset request)."""
    setattr(view, ACCESS, Access.PUBLIC)
    return view


def access_of(view: Callable[..., Any]) -> Role | Access | None:
    """Return who may open ``view`` (None when it declares nothing: a bug the tests catch)."""
    access: Role | Access | None = getattr(view, ACCESS, None)
    return access


def can(role: str) -> bool:
    """Return whether the signed-in member of staff has ``role`` or above (for templates)."""
    admin: Admin | None = g.get("admin")
    return admin is not None and admin.role.allows(Role(role))


def can_open(endpoint: str) -> bool:
    """Return whether the signed-in member of staff may open ``endpoint`` (for templates)."""
    view = current_app.view_functions.get(endpoint)
    access = access_of(view) if view is not None else None
    if isinstance(access, Access):
        return True
    admin: Admin | None = g.get("admin")
    return isinstance(access, Role) and admin is not None and admin.role.allows(access)


def actor() -> Actor:
    """Return the signed-in admin and where the request came from."""
    return Actor(admin_id=g.admin.id, requester=requester())


UNDECLARED = "console_access_undeclared"


def admin_login_required(view: View) -> View:
    """The guard before roles: now owners only (fail closed), and flagged for the role test.

    A route still using it was written without a role in mind; the URL-map
    test names it until it says ``@requires(...)``.
    """
    wrapped = requires(Role.OWNER)(view)
    setattr(wrapped, UNDECLARED, True)
    return wrapped
