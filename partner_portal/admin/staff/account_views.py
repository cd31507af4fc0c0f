"""A member of staff's own account: their second factors (set up, replace, remove, recovery codes).

Setting up the authenticator app is also a step of signing in: with
``STAFF_REQUIRE_MFA``, an account without a second factor comes here half-way
(password accepted, nobody signed in) and is signed in when the app's first
code confirms it.
"""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from ... import clock, messages
from ...actors import Actor
from ...models import Admin, Role
from ...security import sessions, totp
from ...web import requester
from ..blueprint import bp
from ..forms import ButtonForm
from ..identity import SECOND_FACTOR, VERIFIED_AT, actor, recently_verified, requires, signing_in
from . import factors, signin, stepup
from .forms import TotpConfirmForm

Page = Response | tuple[str, int] | str


def _enrolling() -> tuple[Admin, signin.HalfWay | None] | None:
    """Return who is setting up a second factor: signed in, or half-way through signing in."""
    if g.admin is not None:
        return g.admin, None
    state = signin.half_way()
    if state is None or not state.enrol:
        return None
    return state.admin, state


@bp.get("/account/second-factor")
@signing_in
def setup_totp() -> Page:
    """Show the authenticator app being set up (QR code and secret) and its confirm form."""
    who = _enrolling()
    if who is None:
        return signin.expired()
    admin, _ = who
    credential = factors.pending_totp(admin)
    context: dict[str, object] = {"form": TotpConfirmForm(), "button": ButtonForm()}
    if credential is not None:
        secret = factors.secret_of(credential)
        uri = totp.provisioning_uri(secret, admin.email, current_app.config["APP_NAME"])
        context["qr"] = totp.qr_svg(uri, messages.TOTP_QR_LABEL)
        context["secret"] = totp.display_secret(secret)
    context["replacing"] = factors.has_second_factor(admin)
    return render_template("admin/account/setup_totp.html", **context)


@bp.post("/account/second-factor/start")
@signing_in
def start_totp() -> Response:
    """Make a fresh secret for a new authenticator app (replacing one needs a step-up)."""
    who = _enrolling()
    if who is None:
        return signin.expired()
    admin, _ = who
    if g.admin is not None and factors.has_second_factor(admin) and not recently_verified():
        return stepup.ask_again()
    stepup.done()
    factors.start_totp_enrolment(admin)
    return redirect(url_for(".setup_totp"), 303)


@bp.post("/account/second-factor/confirm")
@signing_in
def confirm_totp() -> Page:
    """Turn the app on with its first code; sign in if half-way; show the recovery codes once."""
    who = _enrolling()
    if who is None:
        return signin.expired()
    admin, state = who
    form = TotpConfirmForm()
    if not form.validate():
        flash(messages.SECOND_FACTOR_CODE_REQUIRED, "error")
        return redirect(url_for(".setup_totp"), 303)
    by = Actor(admin_id=admin.id, requester=requester())
    try:
        codes = factors.confirm_totp(by, admin, form.code.data, sessions.current_sid(session))
    except factors.NoEnrolment:
        return redirect(url_for(".setup_totp"), 303)
    except factors.CodesThrottled:
        flash(messages.SECOND_FACTOR_THROTTLED_SHORT, "error")
        return redirect(url_for(".setup_totp"), 303)
    except factors.CodeRefused:
        flash(messages.TOTP_CONFIRM_REFUSED, "error")
        return redirect(url_for(".setup_totp"), 303)
    if state is not None:
        signin.finish(admin, "totp")
        next_path = state.next_path
    else:
        session[SECOND_FACTOR] = "totp"
        session[VERIFIED_AT] = int(clock.now().timestamp())
        next_path = None
    flash(messages.TOTP_ENROLLED, "success")
    # Shown in the answer to this POST and nowhere else: never stored in clear.
    return render_template(
        "admin/account/recovery_codes.html",
        codes=codes,
        next_path=next_path or url_for(".account_security"),
    )


@bp.get("/account")
@requires(Role.VIEWER)
def account_security() -> str:
    """The signed-in member of staff's sign-in methods: the app and the recovery codes."""
    return render_template(
        "admin/account/index.html",
        totp=factors.confirmed_totp(g.admin),
        codes_left=factors.recovery_codes_left(g.admin),
        required=current_app.config["STAFF_REQUIRE_MFA"],
        button=ButtonForm(),
    )


@bp.post("/account/recovery-codes")
@requires(Role.VIEWER, step_up=True)
def regenerate_recovery_codes() -> Page:
    """Replace the recovery codes with ten new ones (the old stop working)."""
    ButtonForm()
    if not factors.has_second_factor(g.admin):
        return redirect(url_for(".account_security"), 303)
    codes = factors.regenerate_recovery_codes(actor(), g.admin, sessions.current_sid(session))
    flash(messages.RECOVERY_CODES_REPLACED, "success")
    return render_template(
        "admin/account/recovery_codes.html", codes=codes, next_path=url_for(".account_security")
    )


@bp.post("/account/second-factor/remove")
@requires(Role.VIEWER, step_up=True)
def remove_totp() -> Response:
    """Turn the authenticator app off (only where the portal does not require one)."""
    ButtonForm()
    try:
        removed = factors.remove_totp(actor(), g.admin, sessions.current_sid(session))
    except factors.FactorRequired:
        flash(messages.SECOND_FACTOR_REQUIRED_CANNOT_REMOVE, "error")
        return redirect(url_for(".account_security"), 303)
    if removed:
        session[SECOND_FACTOR] = None
        flash(messages.TOTP_REMOVED, "success")
    return redirect(url_for(".account_security"), 303)
