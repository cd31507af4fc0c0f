"""Reading the audit trail: filters, pages of events, and the CSV export.

Nothing here changes or deletes an event; the console has no way to.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, false, or_, select

from ...actors import Actor, record_action
from ...extensions import db, unit_of_work
from ...models import Admin, AuditEvent, Partner
from ...partners import InvalidEmail, canonical_email

PER_PAGE = 50
CSV_COLUMNS = [
    "id",
    "created_at",
    "action",
    "severity",
    "partner_id",
    "admin_id",
    "email",
    "ip_address",
    "user_agent",
    "details",
    # A refusal repeated in one limit window is one row: how many, and the last one.
    "occurrences",
    "last_at",
]
# A spreadsheet runs a cell starting with one of these as a formula
# (=HYPERLINK(...) exfiltration, DDE); a leading quote makes it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditFilter:
    """What the admin narrowed the log to; empty fields mean "any"."""

    action: str = ""
    partner: str = ""
    admin: str = ""
    severity: str = ""
    since: date | None = None
    until: date | None = None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _person(column_id, column_email, model, value: str):  # noqa: ANN001, ANN202 - SQL
    """Match events of one partner or admin given by id or email (deleted ones too)."""
    value = value.strip()
    if value.isdigit():
        return column_id == int(value)
    try:
        email = canonical_email(value)
    except InvalidEmail:
        email = value.lower()
    known = db.session.scalar(select(model.id).where(model.email == email))
    if model is Admin:
        return column_id == known if known is not None else false()
    # A deleted partner has no row any more, but their events still carry the email.
    return or_(column_id == known, column_email == email) if known else column_email == email


def filtered(criteria: AuditFilter) -> Select:
    """Return the query for the events matching ``criteria``, newest first."""
    statement = select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    if criteria.action:
        prefix = criteria.action.strip().replace("\\", "\\\\").replace("%", "\\%")
        prefix = prefix.replace("_", "\\_")
        statement = statement.where(AuditEvent.action.like(prefix + "%", escape="\\"))
    if criteria.partner:
        statement = statement.where(
            _person(AuditEvent.partner_id, AuditEvent.email, Partner, criteria.partner)
        )
    if criteria.admin:
        statement = statement.where(
            _person(AuditEvent.admin_id, AuditEvent.email, Admin, criteria.admin)
        )
    if criteria.severity:
        statement = statement.where(AuditEvent.severity == criteria.severity)
    if criteria.since:
        statement = statement.where(AuditEvent.created_at >= _day_start(criteria.since))
    if criteria.until:
        end = _day_start(criteria.until + timedelta(days=1))
        statement = statement.where(AuditEvent.created_at < end)
    return statement


def page_of_events(criteria: AuditFilter, page: int) -> Pagination:
    """Return one page of matching events."""
    return db.paginate(filtered(criteria), page=page, per_page=PER_PAGE, error_out=False)


def admin_emails(ids: set[int]) -> dict[int, str]:
    """Return the email of each admin id (for showing who acted)."""
    if not ids:
        return {}
    return dict(db.session.execute(select(Admin.id, Admin.email).where(Admin.id.in_(ids))).all())


def neutralise(value: object) -> str:
    """Return a cell as text that no spreadsheet will run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_row(event: AuditEvent) -> list[str]:
    """Return one event as CSV cells."""
    return [
        neutralise(value)
        for value in (
            event.id,
            event.created_at.isoformat(),
            event.action,
            event.severity,
            event.partner_id,
            event.admin_id,
            event.email,
            event.ip_address,
            event.user_agent,
            json.dumps(event.details, sort_keys=True) if event.details is not None else "",
            event.occurrences,
            event.last_at.isoformat() if event.last_at else "",
        )
    ]


def export_csv(criteria: AuditFilter) -> Iterator[str]:
    """Yield the matching events as CSV text, header first, a batch of rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    result = db.session.scalars(filtered(criteria).execution_options(yield_per=500))
    for count, event in enumerate(result, start=1):
        writer.writerow(csv_row(event))
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@unit_of_work
def record_export(actor: Actor, criteria: dict[str, object]) -> None:
    """Audit an export of the audit log, with the filters it used."""
    record_action(
        "audit.exported",
        actor,
        details={**{name: str(value or "") for name, value in criteria.items()}},
    )
