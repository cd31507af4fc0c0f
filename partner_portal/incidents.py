"""Incidents: open, update, resolve, correct, delete. The console, the CLI and the API call these.

An incident affects some components of its page, or none (the whole page).
Posting an update can set the affected components' status in the same
transaction, so a page never shows "resolved" beside a red component by
accident: resolving sets them back to operational unless told otherwise.
Each function validates, writes, records ``admin.incident.*`` with the
actor, tells ``notifications`` (unless ``notify`` is False), as one unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from . import clock, messages, notifications
from .actors import Actor
from .extensions import db, unit_of_work
from .models import (
    Component,
    ComponentStatus,
    Incident,
    IncidentImpact,
    IncidentStatus,
    IncidentUpdate,
    StatusPage,
)
from .partners import InvalidValue, clean_text
from .security.audit import Severity
from .statuspages import audit, parse_component_status, set_statuses

MAX_MESSAGE = 5000


class UnknownIncident(InvalidValue):
    """No incident has that id."""


def parse_status(value: str) -> IncidentStatus:
    """Return the incident status named by ``value``, or raise InvalidValue."""
    try:
        return IncidentStatus((value or "").strip().lower())
    except ValueError:
        choices = ", ".join(status.value for status in IncidentStatus)
        raise InvalidValue(messages.INCIDENT_STATUS_CHOICES.format(choices=choices)) from None


def parse_impact(value: str) -> IncidentImpact:
    """Return the impact named by ``value``, or raise InvalidValue."""
    try:
        return IncidentImpact((value or "").strip().lower())
    except ValueError:
        choices = ", ".join(impact.value for impact in IncidentImpact)
        raise InvalidValue(messages.INCIDENT_IMPACT_CHOICES.format(choices=choices)) from None


def clean_message(text: str | None, default: str | None = None) -> str:
    """Return an update's text trimmed, or ``default`` when empty; refuse empty or over-long."""
    message = (text or "").strip() or (default or "")
    if not message:
        raise InvalidValue(messages.MESSAGE_REQUIRED)
    if len(message) > MAX_MESSAGE:
        raise InvalidValue(messages.MESSAGE_TOO_LONG.format(limit=MAX_MESSAGE))
    return message


def get_incident(incident_id: int | str) -> Incident:
    """Return the incident with this id, or raise UnknownIncident."""
    try:
        number = int(str(incident_id).strip())
    except ValueError:
        number = None
    incident = (
        db.session.scalar(
            select(Incident)
            .where(Incident.id == number)
            .options(selectinload(Incident.components), selectinload(Incident.page))
        )
        if number is not None and 0 < number < 2**63
        else None
    )
    if incident is None:
        raise UnknownIncident(messages.UNKNOWN_INCIDENT.format(id=incident_id))
    return incident


def _component_status(value: str | None, components: Sequence[Component]) -> ComponentStatus | None:
    if value is None or not value.strip():
        return None
    status = parse_component_status(value)
    if not components:
        raise InvalidValue(messages.COMPONENT_STATUS_NEEDS_COMPONENTS)
    return status


@unit_of_work
def open_incident(
    actor: Actor,
    page: StatusPage,
    *,
    title: str,
    impact: str,
    status: str = IncidentStatus.INVESTIGATING.value,
    message: str | None = None,
    components: Sequence[Component] = (),
    component_status: str | None = None,
    notify: bool = True,
) -> Incident:
    """Open an incident on a page with its first update; optionally set its components' status."""
    incident_status = parse_status(status)
    if incident_status is IncidentStatus.RESOLVED:
        raise InvalidValue(messages.INCIDENT_CANNOT_START_RESOLVED)
    new_component_status = _component_status(component_status, components)
    now = clock.now()
    incident = Incident(
        page=page,
        title=clean_text(title, field="Title"),
        impact=parse_impact(impact),
        status=incident_status,
        started_at=now,
        updated_at=now,
    )
    incident.components = list(components)
    update = IncidentUpdate(
        status=incident_status,
        message=clean_message(message, messages.DEFAULT_INCIDENT_MESSAGE),
        created_at=now,
    )
    incident.updates = [update]
    db.session.add(incident)
    changes = set_statuses(components, new_component_status) if new_component_status else {}
    db.session.flush()
    audit(
        "incident.opened",
        actor,
        page=page.slug,
        incident_id=incident.id,
        title=incident.title,
        impact=incident.impact.value,
        status=incident.status.value,
        components=[component.name for component in incident.components],
        component_changes=changes,
        notify=notify,
    )
    if notify:
        notifications.incident_changed(incident, update, "opened")
    return incident


@unit_of_work
def edit_incident(
    actor: Actor,
    incident: Incident,
    *,
    title: str,
    impact: str,
    components: Sequence[Component] | None = None,
) -> None:
    """Correct an incident's title, impact or affected components (no update is posted)."""
    incident.title = clean_text(title, field="Title")
    incident.impact = parse_impact(impact)
    if components is not None:
        incident.components = list(components)
    incident.updated_at = clock.now()
    audit(
        "incident.edited",
        actor,
        page=incident.page.slug,
        incident_id=incident.id,
        title=incident.title,
        impact=incident.impact.value,
        components=[component.name for component in incident.components],
    )


@unit_of_work
def post_update(
    actor: Actor,
    incident: Incident,
    *,
    status: str,
    message: str | None,
    component_status: str | None = None,
    notify: bool = True,
) -> IncidentUpdate:
    """Post an update; a resolved status resolves the incident (and its components go back to
    operational unless ``component_status`` says otherwise); an open status reopens it."""
    new_status = parse_status(status)
    resolving = new_status is IncidentStatus.RESOLVED
    components = list(incident.components)
    new_component_status = _component_status(component_status, components)
    if resolving and new_component_status is None and components:
        new_component_status = ComponentStatus.OPERATIONAL
    default = messages.DEFAULT_RESOLVED_MESSAGE if resolving else None
    now = clock.now()
    update = IncidentUpdate(
        incident=incident,
        status=new_status,
        message=clean_message(message, default),
        created_at=now,
    )
    db.session.add(update)
    was_open = incident.is_open
    incident.status = new_status
    incident.updated_at = now
    incident.resolved_at = now if resolving else None
    changes = set_statuses(components, new_component_status) if new_component_status else {}
    event = "resolved" if resolving else ("updated" if was_open else "reopened")
    audit(
        f"incident.{event}",
        actor,
        page=incident.page.slug,
        incident_id=incident.id,
        status=new_status.value,
        component_changes=changes,
        notify=notify,
    )
    if notify:
        notifications.incident_changed(incident, update, event)
    return update


@unit_of_work
def resolve_incident(
    actor: Actor,
    incident: Incident,
    *,
    message: str | None = None,
    component_status: str | None = None,
    notify: bool = True,
) -> bool:
    """Resolve an open incident with a closing update; return False if it was resolved already."""
    if not incident.is_open:
        return False
    post_update(
        actor,
        incident,
        status=IncidentStatus.RESOLVED.value,
        message=message,
        component_status=component_status,
        notify=notify,
    )
    return True


@unit_of_work
def delete_incident(actor: Actor, incident: Incident) -> None:
    """Delete an incident entered by mistake, with its updates (never by age: history stays)."""
    audit(
        "incident.deleted",
        actor,
        severity=Severity.WARNING,
        page=incident.page.slug,
        incident_id=incident.id,
        title=incident.title,
    )
    db.session.delete(incident)
