"""What a partner can see: their granted pages, each page's components and incidents.

Every function here runs a fixed number of SQL statements, whatever the
number of grants, components or incidents (a test counts them).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
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


@dataclass(frozen=True)
class PageSummary:
    """One line of the dashboard."""

    page: StatusPage
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


def _grant_is_current(now: datetime):  # noqa: ANN202 - a SQL expression
    return or_(AccessGrant.expires_at.is_(None), AccessGrant.expires_at > now)


def worst(statuses: list[ComponentStatus]) -> ComponentStatus:
    """Return the worst of some component statuses (operational when there are none)."""
    return max(statuses, key=lambda status: status.severity, default=ComponentStatus.OPERATIONAL)


def visible_pages(partner_id: int, now: datetime) -> list[PageSummary]:
    """Return the partner's currently granted pages with an overall status each."""
    rows = db.session.execute(
        select(StatusPage, AccessGrant.expires_at)
        .join(AccessGrant, AccessGrant.page_id == StatusPage.id)
        .where(AccessGrant.partner_id == partner_id, _grant_is_current(now))
        .order_by(StatusPage.name, StatusPage.id)
    ).all()
    if not rows:
        return []
    page_ids = [page.id for page, _ in rows]
    statuses: dict[int, list[ComponentStatus]] = defaultdict(list)
    for page_id, status in db.session.execute(
        select(Component.page_id, Component.status).where(Component.page_id.in_(page_ids))
    ):
        statuses[page_id].append(status)
    open_counts = dict(
        db.session.execute(
            select(Incident.page_id, func.count())
            .where(Incident.page_id.in_(page_ids), Incident.status != IncidentStatus.RESOLVED)
            .group_by(Incident.page_id)
        ).all()
    )
    return [
        PageSummary(
            page=page,
            overall=worst(statuses[page.id]),
            component_count=len(statuses[page.id]),
            open_incidents=open_counts.get(page.id, 0),
            access_until=until,
        )
        for page, until in rows
    ]


def visible_page(partner_id: int, slug: str, now: datetime) -> PageView | None:
    """Return a page the partner may see now, or None (missing and not granted look the same)."""
    row = db.session.execute(
        select(StatusPage, AccessGrant.expires_at)
        .join(AccessGrant, AccessGrant.page_id == StatusPage.id)
        .where(
            StatusPage.slug == slug,
            AccessGrant.partner_id == partner_id,
            _grant_is_current(now),
        )
    ).first()
    if row is None:
        return None
    page, until = row
    return build_page_view(page, now, access_until=until)


def build_page_view(
    page: StatusPage, now: datetime, access_until: datetime | None = None
) -> PageView:
    """Load a page's components and its open and recently resolved incidents."""
    components = list(
        db.session.scalars(
            select(Component)
            .where(Component.page_id == page.id)
            .order_by(Component.position, Component.id)
        )
    )
    incidents = list(
        db.session.scalars(
            select(Incident)
            .where(
                Incident.page_id == page.id,
                or_(
                    Incident.status != IncidentStatus.RESOLVED,
                    Incident.resolved_at > now - RECENTLY_RESOLVED,
                ),
            )
            .options(selectinload(Incident.updates))
            .order_by(Incident.started_at.desc(), Incident.id.desc())
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
