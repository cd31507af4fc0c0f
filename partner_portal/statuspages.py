"""Status pages and their components: the domain functions the console, the CLI and the API call.

Two layers:

- builders (``add_page``, ``add_component``, ``set_component_status``...) work
  in the caller's transaction and audit nothing; the demo and tests use them;
- actions (``create_page``, ``update_component``...) take an
  :class:`~partner_portal.actors.Actor`, validate, write, record
  ``admin.<action>``, one unit of work each (``extensions.unit_of_work``), the same from
  every channel.

Every flush that touches what a page shows (its row, components, status
events, incidents and their updates, maintenance windows) bumps the page's
``version`` in the same transaction (:func:`_bump_versions`); rendered pages
are cached under it (``portal/pagecache.py``), so once a write has
committed no reader can be served the render from before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, event, or_, select, update
from sqlalchemy.orm import Session, UOWTransaction

from . import clock, messages
from .actors import Actor, record_action
from .extensions import db, unit_of_work
from .models import (
    Component,
    ComponentStatus,
    ComponentStatusEvent,
    Incident,
    IncidentUpdate,
    MaintenanceComponent,
    MaintenanceUpdate,
    MaintenanceWindow,
    StatusPage,
)
from .partners import SLUG_PATTERN, DuplicatePage, InvalidValue, UnknownPage, clean_text
from .security.audit import Severity

MAX_DESCRIPTION = 2000


class UnknownComponent(InvalidValue):
    """A component name or id that the page does not have."""


def audit(action: str, actor: Actor, *, severity: Severity = Severity.INFO, **details: Any) -> None:
    """Record ``admin.<action>`` by ``actor`` with ``details``, in the caller's unit of work."""
    record_action(action, actor, severity=severity, details=details)


# -- reading ------------------------------------------------------------------


def find_page(slug: str) -> StatusPage | None:
    """Return the status page with this slug, if any."""
    return db.session.scalar(select(StatusPage).where(StatusPage.slug == slug))


def get_page(slug: str) -> StatusPage:
    """Return the status page with this slug, or raise UnknownPage."""
    page = find_page((slug or "").strip().lower())
    if page is None:
        raise UnknownPage(messages.UNKNOWN_PAGE.format(slug=slug))
    return page


def parse_component_status(value: str) -> ComponentStatus:
    """Return the status named by ``value``, or raise InvalidValue listing the choices."""
    try:
        return ComponentStatus((value or "").strip().lower())
    except ValueError:
        choices = ", ".join(status.value for status in ComponentStatus)
        raise InvalidValue(messages.COMPONENT_STATUS_CHOICES.format(choices=choices)) from None


def components_named(page: StatusPage, names: Iterable[str]) -> list[Component]:
    """Return the page's components with these names (in page order), or raise UnknownComponent."""
    by_name = {component.name.casefold(): component for component in page.components}
    wanted = [name.strip() for name in names if name.strip()]
    missing = [name for name in wanted if name.casefold() not in by_name]
    if missing:
        raise UnknownComponent(messages.UNKNOWN_COMPONENT.format(name=missing[0], page=page.slug))
    chosen = {by_name[name.casefold()].id for name in wanted}
    return [component for component in page.components if component.id in chosen]


def components_by_id(page: StatusPage, ids: Iterable[int]) -> list[Component]:
    """Return the page's components with these ids (page order); another page's id is refused."""
    wanted = set(ids)
    found = [component for component in page.components if component.id in wanted]
    if len(found) != len(wanted):
        raise UnknownComponent(messages.COMPONENT_NOT_ON_PAGE)
    return found


# -- builders (caller's transaction, no audit) --------------------------------


def add_page(slug: str, *, name: str, description: str = "") -> StatusPage:
    """Create a status page."""
    slug = (slug or "").strip().lower()
    if not SLUG_PATTERN.fullmatch(slug) or len(slug) > 64:
        raise InvalidValue(messages.INVALID_SLUG)
    if find_page(slug) is not None:
        raise DuplicatePage(messages.DUPLICATE_PAGE.format(slug=slug))
    page = StatusPage(
        slug=slug,
        name=clean_text(name, field="Name"),
        description=(description or "").strip()[:MAX_DESCRIPTION],
        created_at=clock.now(),
    )
    db.session.add(page)
    db.session.flush()
    return page


def add_component(
    page: StatusPage, name: str, status: ComponentStatus = ComponentStatus.OPERATIONAL
) -> Component:
    """Add a component at the end of a page."""
    component = Component(
        page=page,
        name=clean_text(name, field="Component name"),
        status=status,
        position=len(page.components),
        updated_at=clock.now(),
    )
    db.session.add(component)
    db.session.flush()
    db.session.add(
        ComponentStatusEvent(
            component_id=component.id, status=status, previous_status=None, started_at=clock.now()
        )
    )
    return component


def set_component_status(component: Component, status: ComponentStatus) -> bool:
    """Change a component's status, recording it for the history bar; return whether it changed."""
    if component.status == status:
        return False
    now = clock.now()
    db.session.add(
        ComponentStatusEvent(
            component_id=component.id,
            status=status,
            previous_status=component.status,
            started_at=now,
        )
    )
    component.status = status
    component.updated_at = now
    return True


def set_statuses(components: Iterable[Component], status: ComponentStatus) -> dict[str, list[str]]:
    """Set several components' status; return the changes as {name: [old, new]} for the audit."""
    changes = {}
    for component in components:
        old = component.status
        if set_component_status(component, status):
            changes[component.name] = [old.value, status.value]
    return changes


# -- actions (validated, audited, committed) ----------------------------------


@unit_of_work
def create_page(actor: Actor, slug: str, name: str, description: str) -> StatusPage:
    """Create a page (raises InvalidValue or DuplicatePage)."""
    page = add_page(slug, name=name, description=description)
    audit("page.created", actor, page_id=page.id, page=page.slug, name=page.name)
    return page


@unit_of_work
def update_page(actor: Actor, page: StatusPage, name: str, description: str) -> None:
    """Rename a page or change its description; its slug (and partners' bookmarks) stay."""
    page.name = clean_text(name, field="Name")
    page.description = (description or "").strip()[:MAX_DESCRIPTION]
    audit("page.updated", actor, page_id=page.id, page=page.slug, name=page.name)


@unit_of_work
def delete_page(actor: Actor, page: StatusPage) -> None:
    """Delete a page with its components, incidents, windows and grants."""
    audit(
        "page.deleted",
        actor,
        severity=Severity.WARNING,
        page_id=page.id,
        page=page.slug,
        name=page.name,
    )
    db.session.delete(page)


@unit_of_work
def create_component(actor: Actor, page: StatusPage, name: str, status: str) -> Component:
    """Add a component at the end of the page."""
    component = add_component(page, name, parse_component_status(status))
    audit(
        "component.created",
        actor,
        page=page.slug,
        component_id=component.id,
        name=component.name,
        status=component.status.value,
    )
    return component


@unit_of_work
def update_component(actor: Actor, component: Component, name: str, status: str) -> None:
    """Rename a component and set its status."""
    new_name = clean_text(name, field="Component name")
    new_status = parse_component_status(status)
    changes = {
        field: [old, new]
        for field, old, new in (
            ("name", component.name, new_name),
            ("status", component.status.value, new_status.value),
        )
        if old != new
    }
    component.name = new_name
    set_component_status(component, new_status)  # recorded for the history bar
    component.updated_at = clock.now()
    audit(
        "component.updated",
        actor,
        page=component.page.slug,
        component_id=component.id,
        changes=changes,
    )


@unit_of_work
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
    return True


@unit_of_work
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


# -- the page version ---------------------------------------------------------


def touch(page_ids: Iterable[int]) -> None:
    """Bump the version of these pages in the current transaction (for Core writes)."""
    ids = sorted(set(page_ids))
    if ids:
        db.session.execute(
            update(StatusPage)
            .where(StatusPage.id.in_(ids))
            .values(version=StatusPage.version + 1)
            .execution_options(synchronize_session=False)
        )


def _bump_versions(session: Session, flush_context: UOWTransaction) -> None:
    """After a flush, bump the version of every page whose content it changed."""
    pages: set[int] = set()
    components: set[int] = set()
    incidents: set[int] = set()
    windows: set[int] = set()
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, StatusPage):
            if instance not in session.deleted and instance.id is not None:
                pages.add(instance.id)
        elif isinstance(instance, Component | Incident | MaintenanceWindow):
            pages.add(instance.page_id)
        elif isinstance(instance, ComponentStatusEvent | MaintenanceComponent):
            components.add(instance.component_id)
        elif isinstance(instance, IncidentUpdate):
            incidents.add(instance.incident_id)
        elif isinstance(instance, MaintenanceUpdate):
            windows.add(instance.window_id)
    if not (pages or components or incidents or windows):
        return
    conditions: list[Any] = []
    params: dict[str, list[int]] = {}
    if pages:
        params["pages"] = sorted(pages)
        conditions.append(StatusPage.id.in_(bindparam("pages", expanding=True)))
    owners: tuple[tuple[str, set[int], Any], ...] = (
        ("components", components, Component),
        ("incidents", incidents, Incident),
        ("windows", windows, MaintenanceWindow),
    )
    for name, ids, model in owners:
        if ids:
            params[name] = sorted(ids)
            matching: Any = bindparam(name, expanding=True)
            conditions.append(
                StatusPage.id.in_(select(model.page_id).where(model.id.in_(matching)))
            )
    session.connection().execute(
        update(StatusPage).where(or_(*conditions)).values(version=StatusPage.version + 1),
        params,
    )


event.listen(Session, "after_flush", _bump_versions)
