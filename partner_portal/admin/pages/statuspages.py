"""What admins do to status pages, components and incidents: each function one audited action.

Partners read these same rows on every request, so a change here is what
they see on their next page load.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ... import clock, partners
from ...extensions import db
from ...models import (
    AccessGrant,
    Component,
    Incident,
    IncidentImpact,
    IncidentStatus,
    IncidentUpdate,
    Partner,
    StatusPage,
)
from ...security.audit import Severity, record
from ..identity import Actor

MAX_DESCRIPTION = 2000
MAX_MESSAGE = 5000


def audit(action: str, actor: Actor, severity: Severity = Severity.INFO, **details: object) -> None:
    """Record ``admin.<action>`` with the admin as actor."""
    record(
        f"admin.{action}",
        actor.requester,
        severity=severity,
        admin_id=actor.admin_id,
        details=details,
    )


def _message(text: str) -> str:
    message = (text or "").strip()
    if not message:
        raise partners.InvalidValue("Message is required.")
    return message[:MAX_MESSAGE]


# -- reading ----------------------------------------------------------------


@dataclass(frozen=True)
class PageRow:
    page: StatusPage
    component_count: int
    open_incidents: int
    grant_count: int


def list_pages() -> list[PageRow]:
    """Return every page with its number of components, open incidents and grants."""
    components = dict(
        db.session.execute(
            select(Component.page_id, func.count()).group_by(Component.page_id)
        ).all()
    )
    incidents = dict(
        db.session.execute(
            select(Incident.page_id, func.count())
            .where(Incident.status != IncidentStatus.RESOLVED)
            .group_by(Incident.page_id)
        ).all()
    )
    grants = dict(
        db.session.execute(
            select(AccessGrant.page_id, func.count()).group_by(AccessGrant.page_id)
        ).all()
    )
    return [
        PageRow(page, components.get(page.id, 0), incidents.get(page.id, 0), grants.get(page.id, 0))
        for page in db.session.scalars(select(StatusPage).order_by(StatusPage.name))
    ]


def page_grants(page: StatusPage) -> list[AccessGrant]:
    """Return who has been granted the page, with the partner loaded."""
    return list(
        db.session.scalars(
            select(AccessGrant)
            .join(Partner)
            .where(AccessGrant.page_id == page.id)
            .order_by(Partner.name, Partner.email)
        )
    )


def page_incidents(page: StatusPage) -> list[Incident]:
    """Return the page's incidents, open ones first, newest first."""
    return list(
        db.session.scalars(
            select(Incident)
            .where(Incident.page_id == page.id)
            .order_by(
                (Incident.status == IncidentStatus.RESOLVED).asc(),
                Incident.started_at.desc(),
                Incident.id.desc(),
            )
        )
    )


# -- pages ------------------------------------------------------------------


def create_page(actor: Actor, slug: str, name: str, description: str) -> StatusPage:
    """Create a page (raises InvalidValue or DuplicatePage)."""
    page = partners.add_page(slug, name=name, description=description)
    audit("page.created", actor, page_id=page.id, page=page.slug, name=page.name)
    db.session.commit()
    return page


def update_page(actor: Actor, page: StatusPage, name: str, description: str) -> None:
    """Rename a page or change its description; its slug (and partners' bookmarks) stay."""
    page.name = partners.clean_text(name, field="Name")
    page.description = (description or "").strip()[:MAX_DESCRIPTION]
    audit("page.updated", actor, page_id=page.id, page=page.slug, name=page.name)
    db.session.commit()


def delete_page(actor: Actor, page: StatusPage) -> None:
    """Delete a page with its components, incidents and grants."""
    audit("page.deleted", actor, Severity.WARNING, page_id=page.id, page=page.slug, name=page.name)
    db.session.delete(page)
    db.session.commit()


# -- components -------------------------------------------------------------


def add_component(actor: Actor, page: StatusPage, name: str, status: str) -> Component:
    """Add a component at the end of the page."""
    component = partners.add_component(page, name, partners.parse_component_status(status))
    audit(
        "component.created",
        actor,
        page=page.slug,
        component_id=component.id,
        name=component.name,
        status=component.status.value,
    )
    db.session.commit()
    return component


def update_component(actor: Actor, component: Component, name: str, status: str) -> None:
    """Rename a component and set its status."""
    new_name = partners.clean_text(name, field="Component name")
    new_status = partners.parse_component_status(status)
    changes = {
        field: [old, new]
        for field, old, new in (
            ("name", component.name, new_name),
            ("status", component.status.value, new_status.value),
        )
        if old != new
    }
    component.name = new_name
    partners.set_component_status(component, new_status)  # recorded for the history bar
    component.updated_at = clock.now()
    audit(
        "component.updated",
        actor,
        page=component.page.slug,
        component_id=component.id,
        changes=changes,
    )
    db.session.commit()


def move_component(actor: Actor, component: Component, direction: str) -> bool:
    """Swap a component with its neighbour above or below; return whether it moved."""
    siblings = list(component.page.components)
    # Positions may have gaps or ties (older data): renumber them first.
    for index, sibling in enumerate(siblings):
        sibling.position = index
    index = siblings.index(component)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(siblings):
        return False
    siblings[index].position, siblings[other].position = other, index
    audit(
        "component.moved",
        actor,
        page=component.page.slug,
        component_id=component.id,
        direction=direction,
    )
    db.session.commit()
    return True


def delete_component(actor: Actor, component: Component) -> None:
    """Remove a component from its page."""
    audit(
        "component.deleted",
        actor,
        page=component.page.slug,
        component_id=component.id,
        name=component.name,
    )
    db.session.delete(component)
    db.session.commit()


# -- incidents --------------------------------------------------------------


def open_incident(
    actor: Actor, page: StatusPage, title: str, impact: str, status: str, message: str
) -> Incident:
    """Open an incident on a page with its first update."""
    now = clock.now()
    incident_status = IncidentStatus(status)
    if incident_status is IncidentStatus.RESOLVED:
        raise partners.InvalidValue("A new incident cannot start resolved.")
    incident = Incident(
        page=page,
        title=partners.clean_text(title, field="Title"),
        impact=IncidentImpact(impact),
        status=incident_status,
        started_at=now,
        updated_at=now,
    )
    incident.updates = [
        IncidentUpdate(status=incident_status, message=_message(message), created_at=now)
    ]
    db.session.add(incident)
    db.session.flush()
    audit(
        "incident.opened",
        actor,
        page=page.slug,
        incident_id=incident.id,
        title=incident.title,
        impact=incident.impact.value,
    )
    db.session.commit()
    return incident


def edit_incident(actor: Actor, incident: Incident, title: str, impact: str) -> None:
    """Correct an incident's title or impact."""
    incident.title = partners.clean_text(title, field="Title")
    incident.impact = IncidentImpact(impact)
    incident.updated_at = clock.now()
    audit(
        "incident.edited",
        actor,
        page=incident.page.slug,
        incident_id=incident.id,
        title=incident.title,
        impact=incident.impact.value,
    )
    db.session.commit()


def post_update(actor: Actor, incident: Incident, status: str, message: str) -> IncidentUpdate:
    """Add an update (status and message); a resolved status resolves the incident."""
    now = clock.now()
    new_status = IncidentStatus(status)
    update = IncidentUpdate(
        incident=incident, status=new_status, message=_message(message), created_at=now
    )
    db.session.add(update)
    incident.status = new_status
    incident.updated_at = now
    incident.resolved_at = now if new_status is IncidentStatus.RESOLVED else None
    audit(
        "incident.resolved" if new_status is IncidentStatus.RESOLVED else "incident.updated",
        actor,
        page=incident.page.slug,
        incident_id=incident.id,
        status=new_status.value,
    )
    db.session.commit()
    return update


def resolve_incident(actor: Actor, incident: Incident, message: str) -> bool:
    """Resolve an open incident with a closing update; return False if it was resolved already."""
    if not incident.is_open:
        return False
    post_update(actor, incident, IncidentStatus.RESOLVED.value, message)
    return True


def delete_incident(actor: Actor, incident: Incident) -> None:
    """Delete an incident entered by mistake, with its updates."""
    audit(
        "incident.deleted",
        actor,
        Severity.WARNING,
        page=incident.page.slug,
        incident_id=incident.id,
        title=incident.title,
    )
    db.session.delete(incident)
    db.session.commit()
