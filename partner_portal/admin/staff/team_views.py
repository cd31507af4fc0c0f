"""Console pages about staff accounts (owners only): list, invite, role, (de)activate.

Every change here needs a recent sign-in or second-factor check (step-up)
and is audited with the owner who made it.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ... import messages
from ...extensions import db
from ...messages import describe_duration
from ...models import Admin, Role
from ...partners import InvalidEmail
from ..blueprint import bp
from ..console import Page, confirm, render_form
from ..forms import ButtonForm
from ..identity import actor, requires
from . import accounts, factors
from .forms import InviteStaffForm, RoleForm


def admin_or_404(admin_id: int) -> Admin:
    """Return the staff account or answer 404."""
    admin = db.session.get(Admin, admin_id)
    if admin is None:
        abort(404)
    return admin


def back_to_staff() -> Response:
    """Redirect to the staff list (the end of every POST here)."""
    return redirect(url_for(".list_staff"), 303)


@bp.get("/staff")
@requires(Role.OWNER)
def list_staff() -> str:
    """List staff accounts with their role, state and second factor."""
    admins = accounts.list_admins()
    return render_template(
        "admin/staff/list.html",
        admins=admins,
        has_factor={admin.id: factors.has_second_factor(admin) for admin in admins},
        is_invited=accounts.is_invited,
        button=ButtonForm(),
    )


@bp.route("/staff/invite", methods=["GET", "POST"])
@requires(Role.OWNER, step_up=True)
def invite_staff() -> Page:
    """Invite a member of staff by email, with a role; their link sets a password."""
    form = InviteStaffForm()
    if form.validate_on_submit():
        try:
            admin = accounts.invite_admin(actor(), form.email.data, Role(form.role.data))
        except (accounts.AdminExists, InvalidEmail) as error:
            form.email.errors.append(str(error))
        else:
            lifetime = describe_duration(accounts.invitation_lifetime())
            flash(messages.STAFF_INVITED.format(email=admin.email, lifetime=lifetime), "success")
            return back_to_staff()
    return render_form("admin/staff/invite.html", form)


@bp.route("/staff/<int:admin_id>/role", methods=["GET", "POST"])
@requires(Role.OWNER, step_up=True)
def change_staff_role(admin_id: int) -> Page:
    """Change a member of staff's role."""
    admin = admin_or_404(admin_id)
    form = RoleForm(data={"role": admin.role.value} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            changed = accounts.set_role(actor(), admin, Role(form.role.data))
        except accounts.LastOwner:
            db.session.refresh(admin)
            flash(messages.LAST_OWNER, "error")
            return back_to_staff()
        if changed:
            flash(
                messages.STAFF_ROLE_CHANGED.format(email=admin.email, role=admin.role.label),
                "success",
            )
        return back_to_staff()
    return render_form("admin/staff/role.html", form, admin=admin)


@bp.route("/staff/<int:admin_id>/deactivate", methods=["GET", "POST"])
@requires(Role.OWNER, step_up=True)
def deactivate_staff(admin_id: int) -> Page:
    """Deactivate a member of staff after confirmation: their sessions and links end at once."""
    admin = admin_or_404(admin_id)
    if request.method == "GET":
        return confirm(
            f"Deactivate {admin.email}?",
            "They are signed out of the console on their next request, their outstanding "
            "links stop working, and they cannot sign in until reactivated.",
            "Deactivate",
            url_for(".list_staff"),
        )
    try:
        ended, revoked = accounts.deactivate_admin(actor(), admin)
    except accounts.LastOwner:
        db.session.refresh(admin)
        flash(messages.LAST_OWNER, "error")
        return back_to_staff()
    flash(
        messages.STAFF_DEACTIVATED.format(email=admin.email, sessions=ended, links=revoked),
        "success",
    )
    return back_to_staff()


@bp.post("/staff/<int:admin_id>/reactivate")
@requires(Role.OWNER, step_up=True)
def reactivate_staff(admin_id: int) -> Response:
    """Let a deactivated member of staff sign in again."""
    ButtonForm()
    admin = admin_or_404(admin_id)
    if accounts.reactivate_admin(actor(), admin):
        flash(messages.STAFF_REACTIVATED.format(email=admin.email), "success")
    return back_to_staff()


@bp.post("/staff/<int:admin_id>/invitation")
@requires(Role.OWNER, step_up=True)
def reinvite_staff(admin_id: int) -> Response:
    """Send a fresh invitation to a member of staff who has not accepted yet."""
    ButtonForm()
    admin = admin_or_404(admin_id)
    if accounts.reinvite_admin(actor(), admin):
        lifetime = describe_duration(accounts.invitation_lifetime())
        flash(messages.STAFF_INVITED.format(email=admin.email, lifetime=lifetime), "success")
    else:
        flash(messages.STAFF_NOT_INVITED, "info")
    return back_to_staff()
