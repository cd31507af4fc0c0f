"""The outbox page: what mail is queued, sent, failed or dropped, and a retry for failures."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ... import messages, outbox
from ...extensions import db
from ...models import OutboxJob
from ..blueprint import bp
from ..forms import ButtonForm
from ..identity import actor, admin_login_required


@bp.get("/outbox")
@admin_login_required
def show_outbox() -> str:
    """Show job counts by status and the latest errors, each failed one with "Retry now"."""
    return render_template("admin/outbox.html", summary=outbox.summary(), form=ButtonForm())


@bp.post("/outbox/<int:job_id>/retry")
@admin_login_required
def retry_job(job_id: int) -> Response:
    """Queue a failed or dropped job again, due now."""
    ButtonForm()  # CSRF is checked for every POST before the view runs.
    job = db.session.get(OutboxJob, job_id)
    if job is None:
        abort(404)
    if outbox.retry_now(actor(), job):
        flash(messages.OUTBOX_RETRIED.format(email=job.recipient), "success")
    else:
        flash(messages.OUTBOX_NOT_RETRIABLE, "error")
    return redirect(url_for("admin.show_outbox"), 303)
