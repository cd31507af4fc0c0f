"""Staff sign-in (password, then the second factor), sign-out, step-up and password reset pages.

The emailed links themselves (a password reset, an invitation: open, choose
a password, spend) are kinds in the link registry (``links.py``).
"""

from __future__ import annotations

import math
from datetime import timedelta

from flask import flash, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from ... import clock, messages
from ...messages import describe_duration
from ...models import Role
from ...security import sessions
from ...web import is_admin_path, requester, safe_next
from ..blueprint import bp
from ..forms import ButtonForm
from ..identity import VERIFIED_AT, actor, public, requires, signing_in
from . import accounts, factors, signin, stepup
from .forms import AdminLoginForm, PasswordCheckForm, PasswordResetRequestForm, SecondFactorForm

Page = Response | tuple[str, int] | str


def admin_next(target: str | None) -> str | None:
    """Return ``target`` if it is a safe path inside the console, else None."""
    target = safe_next(target)
    return target if target and is_admin_path(target) else None


def round_up_to_minute(wait: timedelta) -> timedelta:
    """Return ``wait`` in whole minutes, rounded up: never "0 minutes"."""
    return timedelta(minutes=max(1, math.ceil(wait.total_seconds() / 60)))


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Page:
    """Check a member of staff's email and password, then ask for the second factor."""
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
        return signin.after_password(admin, admin_next(form.next.data))
    if request.method == "POST":
        return render_template("admin/login.html", form=form), 400
    form.next.data = admin_next(request.args.get("next"))
    return render_template("admin/login.html", form=form)


@bp.route("/login/second-factor", methods=["GET", "POST"])
@signing_in
def second_factor() -> Page:
    """Ask for the code of the authenticator app (or a recovery code) after the password."""
    state = signin.half_way()
    if state is None or state.enrol:
        return signin.expired()
    form = SecondFactorForm()
    if form.validate_on_submit():
        try:
            method = factors.verify(state.admin, form.code.data, requester())
        except factors.CodesThrottled as error:
            wait = describe_duration(round_up_to_minute(error.retry_after))
            flash(messages.SECOND_FACTOR_THROTTLED.format(wait=wait), "error")
            return render_template("admin/second_factor.html", form=form), 429
        except factors.CodeRefused:
            form.code.errors.append(messages.SECOND_FACTOR_REFUSED)
            return render_template("admin/second_factor.html", form=form), 400
        signin.finish(state.admin, method)
        if method == "recovery_code":
            left = factors.recovery_codes_left(state.admin)
            flash(messages.RECOVERY_CODE_USED.format(left=left), "info")
        return redirect(state.next_path or url_for(".index"), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("admin/second_factor.html", form=form), status


@bp.post("/logout")
@public
def logout() -> Response:
    """End the staff session, here and in the database; the partner session is untouched."""
    ButtonForm()  # CSRF is checked for every POST before the view runs.
    if g.admin is not None:
        accounts.record_logout(g.admin, requester())
    sessions.end(session)
    flash(messages.ADMIN_SIGNED_OUT, "success")
    return redirect(url_for(".login"), 303)


# -- step-up -----------------------------------------------------------------------


@bp.route("/step-up", methods=["GET", "POST"])
@requires(Role.VIEWER)
def step_up() -> Page:
    """Prove who is at the keyboard again (second factor, or password without one)."""
    has_factor = factors.has_second_factor(g.admin)
    form = SecondFactorForm() if has_factor else PasswordCheckForm()
    template = "admin/step_up.html"
    if form.validate_on_submit():
        try:
            if has_factor:
                factors.verify(g.admin, form.code.data, requester())
            else:
                accounts.authenticate(
                    g.admin.email,
                    form.password.data,
                    requester(),
                    device=sessions.device_claim(session),
                )
        except (factors.CodesThrottled, accounts.LoginThrottled) as error:
            wait = describe_duration(round_up_to_minute(error.retry_after))
            flash(messages.SECOND_FACTOR_THROTTLED.format(wait=wait), "error")
            return render_template(template, form=form, has_factor=has_factor), 429
        except (factors.CodeRefused, accounts.LoginFailed):
            field = form.code if has_factor else form.password
            field.errors.append(messages.STEP_UP_REFUSED)
            return render_template(template, form=form, has_factor=has_factor), 400
        session[VERIFIED_AT] = int(clock.now().timestamp())
        accounts.record_step_up(actor(), "second_factor" if has_factor else "password")
        return redirect(url_for(".step_up_continue"), 303)
    status = 400 if request.method == "POST" else 200
    return render_template(template, form=form, has_factor=has_factor), status


@bp.get("/step-up/continue")
@requires(Role.VIEWER)
def step_up_continue() -> Page:
    """Offer to finish the action that waited for the step-up (the person presses the button)."""
    kept = stepup.kept()
    if kept is None:
        return redirect(url_for(".index"), 303)
    return render_template("admin/step_up_continue.html", kept=kept, form=ButtonForm())


# -- forgotten password ---------------------------------------------------------------


@bp.route("/password-reset", methods=["GET", "POST"])
@public
def request_password_reset() -> Page:
    """Ask for a staff email and send a reset link to it, if it is one."""
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data, requester())
        return redirect(url_for(".password_reset_sent"), 303)
    if request.method == "POST":
        return render_template("admin/password_reset.html", form=form), 400
    return render_template("admin/password_reset.html", form=form)


@bp.get("/password-reset/sent")
@public
def password_reset_sent() -> str:
    """Say the same thing whether or not the address has an account."""
    return render_template("admin/password_reset_sent.html", lifetime=accounts.reset_lifetime())
