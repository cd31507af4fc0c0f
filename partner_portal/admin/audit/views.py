"""The audit log page and its CSV export. There is no route that edits or deletes an event."""

from __future__ import annotations

from flask import Response, render_template, request, stream_with_context

from ... import clock
from ..blueprint import bp
from ..identity import actor, admin_login_required
from . import auditlog
from .forms import AuditFilterForm

FILTER_FIELDS = ("action", "partner", "admin", "severity", "since", "until")


def criteria_from(form: AuditFilterForm) -> auditlog.AuditFilter:
    """Return the filter the form describes (fields with errors are ignored)."""
    form.validate()

    def value(name: str):  # noqa: ANN202
        field = getattr(form, name)
        return None if field.errors else field.data

    return auditlog.AuditFilter(
        action=value("action") or "",
        partner=value("partner") or "",
        admin=value("admin") or "",
        severity=value("severity") or "",
        since=value("since"),
        until=value("until"),
    )


@bp.get("/audit")
@admin_login_required
def audit_log() -> tuple[str, int] | str:
    """Show the audit trail, newest first, filtered and a page at a time."""
    form = AuditFilterForm(request.args)
    criteria = criteria_from(form)
    page = request.args.get("page", 1, type=int)
    events = auditlog.page_of_events(criteria, max(page, 1))
    admins = auditlog.admin_emails({e.admin_id for e in events.items if e.admin_id})
    filters = {name: value for name in FILTER_FIELDS if (value := request.args.get(name))}
    status_code = 400 if form.errors else 200
    return render_template(
        "admin/audit.html", form=form, events=events, admins=admins, filters=filters
    ), status_code


@bp.post("/audit/export")
@admin_login_required
def export_audit_log() -> Response:
    """Download the filtered audit trail as CSV (the export itself is audited)."""
    form = AuditFilterForm(request.form)
    criteria = criteria_from(form)
    auditlog.record_export(actor(), {name: getattr(criteria, name) for name in FILTER_FIELDS})
    filename = f"audit-{clock.now():%Y%m%d-%H%M%S}.csv"
    return Response(
        stream_with_context(auditlog.export_csv(criteria)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
