"""Console pages about partners: list, create, invite, edit, (de)activate, delete, access,
sessions, links, preview, import."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ... import clock, importer, invitations, messages, partners, visibility
from ...extensions import db
from ...messages import describe_duration
from ...models import AccessGrant, Partner, Role, StatusPage
from ...partners import DirectoryError, DuplicatePartner, InvalidEmail
from ...portal import pagecache
from ...web import url_prefix
from ..blueprint import bp
from ..console import Page, confirm, render_form
from ..forms import ButtonForm
from ..identity import actor, requires
from ..staff.views import admin_next
from . import directory
from .forms import (
    GrantForm,
    ImportForm,
    InviteForm,
    PartnerEditForm,
    PartnerForm,
    PartnerSearchForm,
)


def partner_or_404(partner_id: int) -> Partner:
    """Return the partner or answer 404."""
    return db.get_or_404(Partner, partner_id)


def show(partner_id: int) -> Response:
    """Redirect to a partner's page (the end of every POST about them)."""
    return redirect(url_for(".show_partner", partner_id=partner_id), 303)


@bp.get("/partners")
@requires(Role.VIEWER)
def list_partners() -> str:
    """List partners, searchable by email, name or company, a page at a time."""
    form = PartnerSearchForm(request.args)
    query = form.q.data if form.validate() else None
    page = request.args.get("page", 1, type=int)
    results = directory.search_partners(query, max(page, 1))
    pending = directory.pending_invitations([p.id for p in results.items])
    return render_template(
        "admin/partners/list.html", form=form, results=results, query=query, pending=pending
    )


@bp.route("/partners/new", methods=["GET", "POST"])
@requires(Role.EDITOR)
def create_partner() -> Page:
    """Create an active partner (no email is sent)."""
    form = PartnerForm()
    if form.validate_on_submit():
        try:
            partner = partners.create_partner(
                actor(), form.email.data, form.name.data, form.company.data
            )
        except (DuplicatePartner, InvalidEmail) as error:
            form.email.errors.append(str(error))
        except DirectoryError as error:
            form.name.errors.append(str(error))
        else:
            flash(messages.PARTNER_CREATED.format(email=partner.email), "success")
            return show(partner.id)
    return render_form("admin/partners/new.html", form, title="Create a partner")


@bp.route("/partners/invite", methods=["GET", "POST"])
@requires(Role.EDITOR)
def invite_partner() -> Page:
    """Create an invited (inactive) partner and email them a signup link."""
    form = InviteForm()
    if form.validate_on_submit():
        try:
            partner = directory.invite_partner(
                actor(), form.email.data, form.name.data, form.company.data
            )
        except (DuplicatePartner, InvalidEmail) as error:
            db.session.rollback()
            form.email.errors.append(str(error))
        except DirectoryError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            flash_invitation(partner.email)
            return show(partner.id)
    return render_form("admin/partners/new.html", form, title="Invite a partner")


def flash_invitation(email: str) -> None:
    """Say that the invitation is on its way."""
    lifetime = describe_duration(invitations.invitation_lifetime())
    flash(messages.PARTNER_INVITED.format(email=email, lifetime=lifetime), "success")


@bp.get("/partners/<int:partner_id>")
@requires(Role.VIEWER)
def show_partner(partner_id: int) -> str:
    """Everything about one partner: access, sessions, links, history, actions."""
    partner = partner_or_404(partner_id)
    overview = directory.partner_overview(partner, clock.now())
    grant_form = GrantForm()
    _, page_choices = directory.grant_choices()
    grant_form.page_id.choices = page_choices
    return render_template(
        "admin/partners/show.html",
        overview=overview,
        partner=partner,
        grant_form=grant_form,
        button=ButtonForm(),
        now=clock.now(),
    )


@bp.route("/partners/<int:partner_id>/edit", methods=["GET", "POST"])
@requires(Role.EDITOR)
def edit_partner(partner_id: int) -> Page:
    """Change a partner's name and company."""
    partner = partner_or_404(partner_id)
    form = PartnerEditForm(obj=partner)
    if form.validate_on_submit():
        try:
            partners.update_partner(actor(), partner, form.name.data, form.company.data)
        except DirectoryError as error:
            form.name.errors.append(str(error))
        else:
            flash(messages.PARTNER_UPDATED.format(email=partner.email), "success")
            return show(partner.id)
    return render_form("admin/partners/edit.html", form, partner=partner)


@bp.route("/partners/<int:partner_id>/deactivate", methods=["GET", "POST"])
@requires(Role.EDITOR, step_up=True)
def deactivate_partner(partner_id: int) -> Page:
    """Deactivate a partner after confirmation: sessions and links end at once."""
    partner = partner_or_404(partner_id)
    if request.method == "GET":
        return confirm(
            f"Deactivate {partner.email}?",
            "They are signed out everywhere at once, their outstanding links stop working, "
            "and they cannot request new ones until reactivated.",
            "Deactivate",
            url_for(".show_partner", partner_id=partner.id),
        )
    ended, revoked = partners.deactivate_partner(actor(), partner)
    flash(
        messages.PARTNER_DEACTIVATED.format(email=partner.email, sessions=ended, links=revoked),
        "success",
    )
    return show(partner.id)


@bp.post("/partners/<int:partner_id>/reactivate")
@requires(Role.EDITOR, step_up=True)
def reactivate_partner(partner_id: int) -> Response:
    """Let a deactivated partner sign in again."""
    partner = partner_or_404(partner_id)
    if partners.reactivate_partner(actor(), partner):
        flash(messages.PARTNER_REACTIVATED.format(email=partner.email), "success")
    elif partner.deleted_at is not None:
        flash(messages.PARTNER_IS_DELETED, "error")
    else:
        flash(messages.PARTNER_ALREADY_ACTIVE.format(email=partner.email), "info")
    return show(partner.id)


@bp.route("/partners/<int:partner_id>/delete", methods=["GET", "POST"])
@requires(Role.EDITOR, step_up=True)
def delete_partner(partner_id: int) -> Page:
    """Delete a partner after confirmation; their audit history stays."""
    partner = partner_or_404(partner_id)
    if request.method == "GET":
        return confirm(
            f"Delete {partner.email}?",
            "Their account, access grants, sessions and links are deleted. "
            "Their audit history is kept. This cannot be undone.",
            "Delete partner",
            url_for(".show_partner", partner_id=partner.id),
        )
    email = partner.email
    partners.delete_partner(actor(), partner)
    flash(messages.PARTNER_DELETED.format(email=email), "success")
    return redirect(url_for(".list_partners"), 303)


@bp.post("/partners/<int:partner_id>/invitation")
@requires(Role.EDITOR)
def reinvite_partner(partner_id: int) -> Response:
    """Send a fresh invitation; the earlier one stops working."""
    partner = partner_or_404(partner_id)
    directory.reinvite_partner(actor(), partner)
    flash_invitation(partner.email)
    return show(partner.id)


@bp.route("/partners/<int:partner_id>/sessions/<int:session_id>/end", methods=["GET", "POST"])
@requires(Role.EDITOR)
def end_partner_session(partner_id: int, session_id: int) -> Page:
    """End one of the partner's sessions after confirmation."""
    partner = partner_or_404(partner_id)
    if request.method == "GET":
        return confirm(
            "End this session?",
            f"The browser of {partner.email} using this session is signed out on its next request.",
            "End session",
            url_for(".show_partner", partner_id=partner.id),
        )
    if directory.end_session(actor(), partner, session_id):
        flash(messages.PARTNER_SESSION_ENDED_BY_STAFF, "success")
    else:
        flash(messages.SESSIONS_ENDED.format(count=0), "info")
    return show(partner.id)


@bp.route("/partners/<int:partner_id>/sessions/end-all", methods=["GET", "POST"])
@requires(Role.EDITOR)
def end_partner_sessions(partner_id: int) -> Page:
    """End every session of the partner after confirmation."""
    partner = partner_or_404(partner_id)
    if request.method == "GET":
        return confirm(
            f"End every session of {partner.email}?",
            "They are signed out everywhere on their next request; they can sign in again.",
            "End all sessions",
            url_for(".show_partner", partner_id=partner.id),
        )
    count = directory.end_all_sessions(actor(), partner)
    flash(messages.SESSIONS_ENDED.format(count=count), "success")
    return show(partner.id)


@bp.route("/partners/<int:partner_id>/links/<int:token_id>/revoke", methods=["GET", "POST"])
@requires(Role.EDITOR)
def revoke_partner_link(partner_id: int, token_id: int) -> Page:
    """Revoke one outstanding link after confirmation."""
    partner = partner_or_404(partner_id)
    if request.method == "GET":
        return confirm(
            "Revoke this link?",
            f"The link emailed to {partner.email} stops working at once.",
            "Revoke link",
            url_for(".show_partner", partner_id=partner.id),
        )
    if directory.revoke_link(actor(), partner, token_id):
        flash(messages.LINK_REVOKED_BY_ADMIN, "success")
    else:
        flash(messages.LINK_NOT_OUTSTANDING, "info")
    return show(partner.id)


@bp.post("/grants")
@requires(Role.EDITOR, step_up=True)
def grant_access() -> Page:
    """Grant a partner a page, from the partner's page or the status page's."""
    form = GrantForm()
    form.partner_id.choices, form.page_id.choices = directory.grant_choices()
    back = admin_next(request.form.get("return_to")) or url_for(".list_partners")
    if not form.validate_on_submit():
        for field in (form.partner_id, form.page_id, form.until):
            for error in field.errors:
                flash(f"{field.label.text}: {error}", "error")
        return redirect(back, 303)
    partner = partner_or_404(form.partner_id.data)
    page = db.session.get(StatusPage, form.page_id.data)
    if page is None:
        abort(404)
    until = directory.access_until(form.until.data)
    partners.grant_access(actor(), partner, page, until)
    suffix = f" through {form.until.data.isoformat()}" if form.until.data else ""
    flash(
        messages.ACCESS_GRANTED.format(email=partner.email, page=page.name, until=suffix),
        "success",
    )
    return redirect(back, 303)


@bp.route("/grants/<int:grant_id>/revoke", methods=["GET", "POST"])
@requires(Role.EDITOR, step_up=True)
def revoke_access(grant_id: int) -> Page:
    """Remove a grant after confirmation."""
    grant = db.session.get(AccessGrant, grant_id)
    if grant is None:
        abort(404)
    back = admin_next(request.values.get("return_to")) or url_for(
        ".show_partner", partner_id=grant.partner_id
    )
    if request.method == "GET":
        return confirm(
            f"Stop {grant.partner.email} seeing {grant.page.name}?",
            "The page disappears from their dashboard on their next request.",
            "Revoke access",
            back,
        )
    email, page_name = grant.partner.email, grant.page.name
    partners.revoke_access(actor(), grant.partner, grant.page)
    flash(messages.ACCESS_REVOKED.format(email=email, page=page_name), "success")
    return redirect(back, 303)


@bp.get("/partners/<int:partner_id>/preview")
@requires(Role.VIEWER)
def preview_dashboard(partner_id: int) -> str:
    """Show exactly the dashboard the partner would see; no partner session is made."""
    partner = partner_or_404(partner_id)
    now = clock.now()
    prefix = url_prefix("admin.preview_page", partner_id=partner.id)
    cards = pagecache.dashboard_cards(visibility.visible_pages(partner.id, now), now, prefix)
    return render_template("portal/dashboard.html", cards=cards, preview=partner)


@bp.get("/partners/<int:partner_id>/preview/<slug>")
@requires(Role.VIEWER)
def preview_page(partner_id: int, slug: str) -> str:
    """Show one status page as the partner would see it (404 if they could not)."""
    partner = partner_or_404(partner_id)
    now = clock.now()
    scope = visibility.visible_page(partner.id, slug, now)
    if scope is None:
        abort(404)
    body = pagecache.status_body(scope, now, links=None)
    return render_template("portal/status.html", page=scope.page, body=body, preview=partner)


@bp.route("/partners/import", methods=["GET", "POST"])
@requires(Role.EDITOR)
def import_partners() -> Page:
    """Upload a CSV of partners; all of it is imported or none of it."""
    form = ImportForm()
    if not form.validate_on_submit():
        return render_form("admin/partners/import.html", form, errors=[])
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        form.file.errors.append(messages.IMPORT_NO_FILE)
        return render_form("admin/partners/import.html", form, errors=[])
    try:
        count = importer.import_partners(upload.read(), actor())
    except importer.ImportRejected as rejected:
        flash(messages.IMPORT_FAILED, "error")
        return render_form("admin/partners/import.html", form, errors=rejected.errors)
    flash(messages.IMPORT_DONE.format(count=count), "success")
    return redirect(url_for(".list_partners"), 303)
