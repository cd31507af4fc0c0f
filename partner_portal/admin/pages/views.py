"""Console pages about status pages, their components and incidents."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ... import incidents, messages
from ... import statuspages as pages
from ...extensions import db
from ...models import Component, Incident, IncidentStatus, Role, StatusPage
from ...partners import DirectoryError, DuplicatePage
from ..blueprint import bp
from ..console import Page, confirm, render_form
from ..forms import ButtonForm, choices
from ..identity import actor, requires
from ..partners import directory
from ..partners.forms import GrantForm
from . import statuspages
from .forms import (
    ComponentForm,
    IncidentEditForm,
    IncidentForm,
    IncidentUpdateForm,
    MoveForm,
    PageEditForm,
    PageForm,
    ResolveForm,
    with_components,
)


def get_or_404(model: type, object_id: int):  # noqa: ANN201 - an instance of model
    """Return the row or answer 404."""
    found = db.session.get(model, object_id)
    if found is None:
        abort(404)
    return found


def show(page_id: int) -> Response:
    """Redirect to a status page's console page."""
    return redirect(url_for(".show_page", page_id=page_id), 303)


def show_incident_page(incident_id: int) -> Response:
    """Redirect to an incident's console page."""
    return redirect(url_for(".show_incident", incident_id=incident_id), 303)


@bp.get("/pages")
@requires(Role.VIEWER)
def list_pages() -> str:
    """List status pages with what is going on in each."""
    return render_template("admin/pages/list.html", rows=statuspages.list_pages())


@bp.route("/pages/new", methods=["GET", "POST"])
@requires(Role.EDITOR)
def create_page() -> Page:
    """Create a status page."""
    form = PageForm()
    if form.validate_on_submit():
        try:
            page = pages.create_page(
                actor(), form.slug.data, form.name.data, form.description.data or ""
            )
        except DuplicatePage as error:
            form.slug.errors.append(str(error))
        except DirectoryError as error:
            field = form.slug if "slug" in str(error).lower() else form.name
            field.errors.append(str(error))
        else:
            flash(messages.PAGE_CREATED.format(name=page.name), "success")
            return show(page.id)
    return render_form("admin/pages/new.html", form)


@bp.get("/pages/<int:page_id>")
@requires(Role.VIEWER)
def show_page(page_id: int) -> str:
    """One page: its components, incidents and who can see it."""
    page = get_or_404(StatusPage, page_id)
    grant_form = GrantForm()
    grant_form.partner_id.choices, _ = directory.grant_choices()
    return render_template(
        "admin/pages/show.html",
        page=page,
        component_form=ComponentForm(formdata=None),
        grant_form=grant_form,
        grants=statuspages.page_grants(page),
        incidents=statuspages.page_incidents(page),
        windows=statuspages.page_windows(page),
        move_form=MoveForm(formdata=None),
        button=ButtonForm(formdata=None),
    )


@bp.route("/pages/<int:page_id>/edit", methods=["GET", "POST"])
@requires(Role.EDITOR)
def edit_page(page_id: int) -> Page:
    """Rename a page or change its description."""
    page = get_or_404(StatusPage, page_id)
    form = PageEditForm(obj=page)
    if form.validate_on_submit():
        try:
            pages.update_page(actor(), page, form.name.data, form.description.data or "")
        except DirectoryError as error:
            form.name.errors.append(str(error))
        else:
            flash(messages.PAGE_UPDATED.format(name=page.name), "success")
            return show(page.id)
    return render_form("admin/pages/edit.html", form, page=page)


@bp.route("/pages/<int:page_id>/delete", methods=["GET", "POST"])
@requires(Role.EDITOR)
def delete_page(page_id: int) -> Page:
    """Delete a page after confirmation."""
    page = get_or_404(StatusPage, page_id)
    if request.method == "GET":
        return confirm(
            f"Delete the status page {page.name}?",
            "Its components, incidents and access grants are deleted, and partners stop "
            "seeing it at once. This cannot be undone.",
            "Delete page",
            url_for(".show_page", page_id=page.id),
        )
    name = page.name
    pages.delete_page(actor(), page)
    flash(messages.PAGE_DELETED.format(name=name), "success")
    return redirect(url_for(".list_pages"), 303)


@bp.post("/pages/<int:page_id>/components")
@requires(Role.EDITOR)
def add_component(page_id: int) -> Page:
    """Add a component at the end of the page."""
    page = get_or_404(StatusPage, page_id)
    form = ComponentForm()
    if form.validate_on_submit():
        component = pages.create_component(actor(), page, form.name.data, form.status.data)
        flash(messages.COMPONENT_ADDED.format(name=component.name), "success")
        return show(page.id)
    return render_form("admin/pages/component.html", form, page=page, component=None)


@bp.route("/components/<int:component_id>", methods=["GET", "POST"])
@requires(Role.EDITOR)
def edit_component(component_id: int) -> Page:
    """Rename a component or set its status."""
    component = get_or_404(Component, component_id)
    form = ComponentForm(obj=component, status=component.status.value)
    if form.validate_on_submit():
        pages.update_component(actor(), component, form.name.data, form.status.data)
        flash(messages.COMPONENT_UPDATED.format(name=component.name), "success")
        return show(component.page_id)
    return render_form("admin/pages/component.html", form, page=component.page, component=component)


@bp.post("/components/<int:component_id>/move")
@requires(Role.EDITOR)
def move_component(component_id: int) -> Response:
    """Move a component one place up or down."""
    component = get_or_404(Component, component_id)
    form = MoveForm()
    if form.validate_on_submit() and pages.move_component(actor(), component, form.direction.data):
        flash(messages.COMPONENT_MOVED.format(name=component.name), "success")
    return show(component.page_id)


@bp.route("/components/<int:component_id>/delete", methods=["GET", "POST"])
@requires(Role.EDITOR)
def delete_component(component_id: int) -> Page:
    """Remove a component after confirmation."""
    component = get_or_404(Component, component_id)
    page_id = component.page_id
    if request.method == "GET":
        return confirm(
            f"Delete the component {component.name}?",
            "Partners stop seeing it at once.",
            "Delete component",
            url_for(".show_page", page_id=page_id),
        )
    name = component.name
    pages.delete_component(actor(), component)
    flash(messages.COMPONENT_DELETED.format(name=name), "success")
    return show(page_id)


def failed(form: object, error: DirectoryError) -> None:
    """Show a domain error above the form (it names the field it is about)."""
    flash(str(error), "error")


@bp.route("/pages/<int:page_id>/incidents/new", methods=["GET", "POST"])
@requires(Role.COMMUNICATOR)
def open_incident(page_id: int) -> Page:
    """Open an incident with its first update, its components and their status."""
    page = get_or_404(StatusPage, page_id)
    form = with_components(IncidentForm(), page.components)
    if form.validate_on_submit():
        try:
            incident = incidents.open_incident(
                actor(),
                page,
                title=form.title.data,
                impact=form.impact.data,
                status=form.status.data,
                message=form.message.data,
                components=pages.components_by_id(page, form.components.data or []),
                component_status=form.component_status.data,
                notify=form.notify.data,
            )
        except DirectoryError as error:
            failed(form, error)
        else:
            flash(messages.INCIDENT_OPENED.format(title=incident.title), "success")
            return show_incident_page(incident.id)
    return render_form("admin/incidents/new.html", form, page=page)


def incident_forms(incident: Incident, **given: object) -> dict[str, object]:
    """Return the forms of an incident's console page (those given replace the blank ones)."""
    update_form = IncidentUpdateForm(formdata=None, status=incident.status.value)
    if not incident.is_open:
        update_form.status.choices = choices(IncidentStatus)
    forms = {"update_form": update_form, "resolve_form": ResolveForm(formdata=None)}
    forms.update(given)
    return forms


@bp.get("/incidents/<int:incident_id>")
@requires(Role.VIEWER)
def show_incident(incident_id: int) -> str:
    """One incident: its updates, a form to post the next one, and resolve."""
    incident = get_or_404(Incident, incident_id)
    return render_template(
        "admin/incidents/show.html", incident=incident, **incident_forms(incident)
    )


@bp.post("/incidents/<int:incident_id>/updates")
@requires(Role.COMMUNICATOR)
def post_incident_update(incident_id: int) -> Page:
    """Post an update (status, message, components' status) partners read on the page."""
    incident = get_or_404(Incident, incident_id)
    form = IncidentUpdateForm()
    if not incident.is_open:
        # A resolved incident can be reopened by posting an open status.
        form.status.choices = choices(IncidentStatus)
    if form.validate_on_submit():
        try:
            incidents.post_update(
                actor(),
                incident,
                status=form.status.data,
                message=form.message.data,
                component_status=form.component_status.data,
                notify=form.notify.data,
            )
        except DirectoryError as error:
            failed(form, error)
        else:
            flash(messages.INCIDENT_UPDATED.format(title=incident.title), "success")
            return show_incident_page(incident.id)
    return render_form(
        "admin/incidents/show.html",
        form,
        incident=incident,
        **incident_forms(incident, update_form=form),
    )


@bp.post("/incidents/<int:incident_id>/resolve")
@requires(Role.COMMUNICATOR)
def resolve_incident(incident_id: int) -> Page:
    """Resolve an incident with a closing message; its components go back to operational."""
    incident = get_or_404(Incident, incident_id)
    form = ResolveForm()
    if form.validate_on_submit():
        try:
            resolved = incidents.resolve_incident(
                actor(),
                incident,
                message=form.message.data,
                component_status=form.component_status.data,
                notify=form.notify.data,
            )
        except DirectoryError as error:
            failed(form, error)
        else:
            if resolved:
                flash(messages.INCIDENT_RESOLVED.format(title=incident.title), "success")
            else:
                flash(messages.INCIDENT_ALREADY_RESOLVED, "info")
            return show_incident_page(incident.id)
    return render_form(
        "admin/incidents/show.html",
        form,
        incident=incident,
        **incident_forms(incident, resolve_form=form),
    )


@bp.route("/incidents/<int:incident_id>/edit", methods=["GET", "POST"])
@requires(Role.COMMUNICATOR)
def edit_incident(incident_id: int) -> Page:
    """Correct an incident's title, impact or affected components."""
    incident = get_or_404(Incident, incident_id)
    form = with_components(
        IncidentEditForm(
            obj=incident,
            impact=incident.impact.value,
            components=[component.id for component in incident.components],
        ),
        incident.page.components,
    )
    if form.validate_on_submit():
        try:
            incidents.edit_incident(
                actor(),
                incident,
                title=form.title.data,
                impact=form.impact.data,
                components=pages.components_by_id(incident.page, form.components.data or []),
            )
        except DirectoryError as error:
            failed(form, error)
        else:
            flash(messages.INCIDENT_EDITED.format(title=incident.title), "success")
            return show_incident_page(incident.id)
    return render_form("admin/incidents/edit.html", form, incident=incident)


@bp.route("/incidents/<int:incident_id>/delete", methods=["GET", "POST"])
@requires(Role.COMMUNICATOR)
def delete_incident(incident_id: int) -> Page:
    """Delete an incident entered by mistake, after confirmation."""
    incident = get_or_404(Incident, incident_id)
    page_id = incident.page_id
    if request.method == "GET":
        return confirm(
            f"Delete the incident “{incident.title}”?",
            "It and its updates disappear from the page. To close a real incident, "
            "resolve it instead.",
            "Delete incident",
            url_for(".show_incident", incident_id=incident.id),
        )
    title = incident.title
    incidents.delete_incident(actor(), incident)
    flash(messages.INCIDENT_DELETED.format(title=title), "success")
    return show(page_id)
