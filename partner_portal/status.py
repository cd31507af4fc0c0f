"""What a partner can see: their granted pages, each page's components and incidents.

Every function here runs a fixed number of SQL statements, whatever the
number of grants, components or incidents (a test counts them). The
statements are built once, with bound parameters: building a statement and
its cache key on every request cost more than running it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Select, bindparam, case, func, or_, select
from sqlalchemy.orm import selectinload

from .extensions import db
from .models import (
    AccessGrant,
    Component,
    ComponentStatus,
    Incident,
    IncidentStatus,
    StatusPage,
)

RECENTLY_RESOLVED = timedelta(days=14)
BY_SEVERITY = {status.severity: status for status in ComponentStatus}


@dataclass(frozen=True)
class PageRef:
    """The few columns of a status page that a list of pages shows."""

    id: int
    slug: str
    name: str
    description: str


@dataclass(frozen=True)
class PageSummary:
    """One line of the dashboard."""

    page: PageRef
    overall: ComponentStatus
    component_count: int
    open_incidents: int
    access_until: datetime | None


@dataclass(frozen=True)
class PageView:
    """Everything the status page shows."""

    page: StatusPage
    overall: ComponentStatus
    components: list[Component]
    open_incidents: list[Incident] = field(default_factory=list)
    resolved_incidents: list[Incident] = field(default_factory=list)
    access_until: datetime | None = None


def worst(statuses: list[ComponentStatus]) -> ComponentStatus:
    """Return the worst of some component statuses (operational when there are none)."""
    return max(statuses, key=lambda status: status.severity, default=ComponentStatus.OPERATIONAL)


def _grant_is_current():  # noqa: ANN202 - a SQL expression
    return or_(AccessGrant.expires_at.is_(None), AccessGrant.expires_at > bindparam("now"))


@cache
def _visible_pages_statement() -> Select:
    # The worst component status, the component count and the open incident
    # count are correlated subqueries answered from the page_id indexes: one
    # row per page crosses from the database and no ORM object is built.
    by_page = Component.page_id == StatusPage.id
    severity = case(*[(Component.status == status, status.severity) for status in ComponentStatus])
    worst_rank = select(func.max(severity)).where(by_page).scalar_subquery()
    component_count = select(func.count(Component.id)).where(by_page).scalar_subquery()
    open_incidents = (
        select(func.count(Incident.id))
        .where(Incident.page_id == StatusPage.id, Incident.status != IncidentStatus.RESOLVED)
        .scalar_subquery()
    )
    return (
        select(
            StatusPage.id,
            StatusPage.slug,
            StatusPage.name,
            StatusPage.description,
            AccessGrant.expires_at,
            worst_rank,
            component_count,
            open_incidents,
        )
        .join(AccessGrant, AccessGrant.page_id == StatusPage.id)
        .where(AccessGrant.partner_id == bindparam("partner_id"), _grant_is_current())
        .order_by(StatusPage.name, StatusPage.id)
    )


@cache
def _visible_page_statement() -> Select:
    return (
        select(StatusPage, AccessGrant.expires_at)
        .join(AccessGrant, AccessGrant.page_id == StatusPage.id)
        .where(
            StatusPage.slug == bindparam("slug"),
            AccessGrant.partner_id == bindparam("partner_id"),
            _grant_is_current(),
        )
    )


@cache
def _components_statement() -> Select:
    return (
        select(Component)
        .where(Component.page_id == bindparam("page_id"))
        .order_by(Component.position, Component.id)
    )


@cache
def _incidents_statement() -> Select:
    return (
        select(Incident)
        .where(
            Incident.page_id == bindparam("page_id"),
            or_(
                Incident.status != IncidentStatus.RESOLVED,
                Incident.resolved_at > bindparam("resolved_since"),
            ),
        )
        .options(selectinload(Incident.updates))
        .order_by(Incident.started_at.desc(), Incident.id.desc())
    )


def visible_pages(partner_id: int, now: datetime) -> list[PageSummary]:
    """Return the partner's currently granted pages with an overall status each (one statement)."""
    rows = db.session.execute(
        _visible_pages_statement(), {"partner_id": partner_id, "now": now}
    ).all()
    return [
        PageSummary(
            page=PageRef(id=page_id, slug=slug, name=name, description=description),
            overall=BY_SEVERITY[rank] if rank is not None else ComponentStatus.OPERATIONAL,
            component_count=components,
            open_incidents=incidents,
            access_until=until,
        )
        for page_id, slug, name, description, until, rank, components, incidents in rows
    ]


def visible_page(partner_id: int, slug: str, now: datetime) -> PageView | None:
    """Return a page the partner may see now, or None (missing and not granted look the same)."""
    row = db.session.execute(
        _visible_page_statement(), {"slug": slug, "partner_id": partner_id, "now": now}
    ).first()
    if row is None:
        return None
    page, until = row
    return build_page_view(page, now, access_until=until)


def build_page_view(
    page: StatusPage, now: datetime, access_until: datetime | None = None
) -> PageView:
    """Load a page's components and its open and recently resolved incidents."""
    components = list(db.session.scalars(_components_statement(), {"page_id": page.id}))
    incidents = list(
        db.session.scalars(
            _incidents_statement(),
            {"page_id": page.id, "resolved_since": now - RECENTLY_RESOLVED},
        )
    )
    return PageView(
        page=page,
        overall=worst([component.status for component in components]),
        components=components,
        open_incidents=[incident for incident in incidents if incident.is_open],
        resolved_incidents=[incident for incident in incidents if not incident.is_open],
        access_until=access_until,
    )
