"""Console pages about maintenance windows: schedule, start, extend, complete, cancel, updates."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from werkzeug.wrappers import Response

from ... import maintenance, messages
from ... import statuspages as pages
from ...models import MaintenanceWindow, Role, StatusPage
from ...partners import DirectoryError
from ..blueprint import bp
from ..console import Page, confirm, render_form
from ..forms import ButtonForm
from ..identity import actor, requires
from .forms import ExtendForm, MaintenanceForm, MaintenanceUpdateForm, with_components
from .views import get_or_404, redirect


def show_window_page(window_id: int) -> Response:
    """Redirect to a window's console page."""
    return redirect(url_for(".show_maintenance", window_id=window_id), 303)


def _when(window: MaintenanceWindow) -> str:
    return f"{window.scheduled_end:%d %b %Y, %H:%M} UTC"


@bp.route("/pages/<int:page_id>/maintenance/new", methods=["GET", "POST"])
@requires(Role.COMMUNICATOR)
def schedule_maintenance(page_id: int) -> Page:
    """Schedule a maintenance window; it starts and ends by itself."""
    page = get_or_404(StatusPage, page_id)
    form = with_components(MaintenanceForm(), page.components)
    if form.validate_on_submit():
        try:
            window = maintenance.schedule(
                actor(),
                page,
                title=form.title.data,
                start=form.start.data,
                end=form.end.data,
                components=pages.components_by_id(page, form.components.data or []),
                message=form.message.data,
                notify=form.notify.data,
            )
        except DirectoryError as error:
            flash(str(error), "error")
        else:
            flash(messages.MAINTENANCE_SCHEDULED.format(title=window.title), "success")
            return show_window_page(window.id)
    return render_form("admin/maintenance/new.html", form, page=page)


def window_forms(window: MaintenanceWindow, **given: object) -> dict[str, object]:
    """Return the forms of a window's console page (those given replace the blank ones)."""
    forms: dict[str, object] = {
        "extend_form": ExtendForm(formdata=None, end=window.scheduled_end.replace(tzinfo=None)),
        "update_form": MaintenanceUpdateForm(formdata=None),
        "button": ButtonForm(formdata=None),
    }
    forms.update(given)
    return forms


@bp.get("/maintenance/<int:window_id>")
@requires(Role.VIEWER)
def show_maintenance(window_id: int) -> str:
    """One window: its state, times, components, updates and what can be done now."""
    window = get_or_404(MaintenanceWindow, window_id)
    return render_template("admin/maintenance/show.html", window=window, **window_forms(window))


@bp.post("/maintenance/<int:window_id>/start")
@requires(Role.COMMUNICATOR)
def start_maintenance(window_id: int) -> Response:
    """Start a scheduled window now."""
    window = get_or_404(MaintenanceWindow, window_id)
    if ButtonForm().validate_on_submit():
        if maintenance.start(actor(), window):
            flash(messages.MAINTENANCE_STARTED.format(title=window.title), "success")
        else:
            flash(messages.WINDOW_NOT_SCHEDULED, "error")
    return show_window_page(window_id)


@bp.post("/maintenance/<int:window_id>/complete")
@requires(Role.COMMUNICATOR)
def complete_maintenance(window_id: int) -> Response:
    """Complete a window in progress (early, or late if the worker has not yet)."""
    window = get_or_404(MaintenanceWindow, window_id)
    if ButtonForm().validate_on_submit():
        if maintenance.complete(actor(), window):
            flash(messages.MAINTENANCE_COMPLETED.format(title=window.title), "success")
        else:
            flash(messages.WINDOW_NOT_IN_PROGRESS, "error")
    return show_window_page(window_id)


@bp.route("/maintenance/<int:window_id>/cancel", methods=["GET", "POST"])
@requires(Role.COMMUNICATOR)
def cancel_maintenance(window_id: int) -> Page:
    """Cancel a window that has not started, after confirmation."""
    window = get_or_404(MaintenanceWindow, window_id)
    if request.method == "GET":
        return confirm(
            f"Cancel the maintenance “{window.title}”?",
            "Partners see it as cancelled; it will not start.",
            "Cancel maintenance",
            url_for(".show_maintenance", window_id=window.id),
        )
    if ButtonForm().validate_on_submit():
        if maintenance.cancel(actor(), window):
            flash(messages.MAINTENANCE_CANCELLED.format(title=window.title), "success")
        else:
            flash(messages.WINDOW_NOT_SCHEDULED, "error")
    return show_window_page(window_id)


@bp.post("/maintenance/<int:window_id>/extend")
@requires(Role.COMMUNICATOR)
def extend_maintenance(window_id: int) -> Page:
    """Move a window's end later."""
    window = get_or_404(MaintenanceWindow, window_id)
    form = ExtendForm()
    if form.validate_on_submit() and form.end.data is not None:
        try:
            maintenance.extend(actor(), window, form.end.data)
        except DirectoryError as error:
            form.end.errors.append(str(error))
        else:
            flash(
                messages.MAINTENANCE_EXTENDED.format(title=window.title, end=_when(window)),
                "success",
            )
            return show_window_page(window_id)
    return render_form(
        "admin/maintenance/show.html", form, window=window, **window_forms(window, extend_form=form)
    )


@bp.post("/maintenance/<int:window_id>/updates")
@requires(Role.COMMUNICATOR)
def post_maintenance_update(window_id: int) -> Page:
    """Post a message about a scheduled or running window."""
    window = get_or_404(MaintenanceWindow, window_id)
    form = MaintenanceUpdateForm()
    if form.validate_on_submit():
        try:
            maintenance.post_update(actor(), window, form.message.data, notify=form.notify.data)
        except DirectoryError as error:
            form.message.errors.append(str(error))
        else:
            flash(messages.MAINTENANCE_UPDATED.format(title=window.title), "success")
            return show_window_page(window_id)
    return render_form(
        "admin/maintenance/show.html", form, window=window, **window_forms(window, update_form=form)
    )
