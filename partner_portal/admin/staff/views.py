"""Staff sign-in, sign-out and password reset pages.

The emailed reset link itself (open, choose a password, spend) is a kind in
the link registry (``links.PASSWORD_RESET``).
"""

from __future__ import annotations

import math
from datetime import timedelta

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from ... import messages
from ...messages import describe_duration
from ...security import sessions
from ...web import is_admin_path, requester, safe_next
from ..blueprint import bp
from ..forms import ButtonForm
from ..identity import ADMIN_KEY
from . import accounts
from .forms import AdminLoginForm, PasswordResetRequestForm


def admin_next(target: str | None) -> str | None:
    """Return ``target`` if it is a safe path inside the console, else None."""
    target = safe_next(target)
    return target if target and is_admin_path(target) else None


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    """Sign a member of staff in with email and password."""
    if g.admin is not None:
        return redirect(url_for(".index"))
    form = AdminLoginForm()
    if form.validate_on_submit():
        try:
            admin = accounts.authenticate(
                form.email.data,
                form.password.data,
                requester(),
                device=sessions.device_claim(session),
            )
        except accounts.LoginThrottled as error:
            wait = describe_duration(round_up_to_minute(error.retry_after))
            flash(messages.ADMIN_LOGIN_THROTTLED.format(wait=wait), "error")
            return render_template("admin/login.html", form=form), 429
        except accounts.LoginFailed:
            flash(messages.ADMIN_LOGIN_FAILED, "error")
            return render_template("admin/login.html", form=form), 400
        sessions.begin(
            session,
            identity_key=ADMIN_KEY,
            identity=admin.id,
            lifetime=current_app.config["STAFF_SESSION_LIFETIME"],
        )
        return redirect(admin_next(form.next.data) or url_for(".index"), 303)
    if request.method == "POST":
        return render_template("admin/login.html", form=form), 400
    form.next.data = admin_next(request.args.get("next"))
    return render_template("admin/login.html", form=form)


def round_up_to_minute(wait: timedelta) -> timedelta:
    """Return ``wait`` in whole minutes, rounded up: never "0 minutes"."""
    return timedelta(minutes=max(1, math.ceil(wait.total_seconds() / 60)))


@bp.post("/logout")
def logout() -> Response:
    """End the staff session, here and in the database; the partner session is untouched."""
    ButtonForm()  # CSRF is checked for every POST before the view runs.
    if g.admin is not None:
        accounts.record_logout(g.admin, requester())
    sessions.end(session)
    flash(messages.ADMIN_SIGNED_OUT, "success")
    return redirect(url_for(".login"), 303)


@bp.route("/password-reset", methods=["GET", "POST"])
def request_password_reset() -> Response | tuple[str, int] | str:
    """Ask for a staff email and send a reset link to it, if it is one."""
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data, requester())
        return redirect(url_for(".password_reset_sent"), 303)
    if request.method == "POST":
        return render_template("admin/password_reset.html", form=form), 400
    return render_template("admin/password_reset.html", form=form)


@bp.get("/password-reset/sent")
def password_reset_sent() -> str:
    """Say the same thing whether or not the address has an account."""
    return render_template("admin/password_reset_sent.html", lifetime=accounts.reset_lifetime())
