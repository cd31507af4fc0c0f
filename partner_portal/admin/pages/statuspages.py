"""What the console reads about status pages: lists with counts, grants, incidents, windows.

The writes (pages, components, incidents, maintenance) are domain functions
in ``partner_portal/statuspages.py``, ``incidents.py`` and ``maintenance.py``,
shared with the command line and the API.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ...extensions import db
from ...models import (
    AccessGrant,
    Component,
    Incident,
    IncidentStatus,
    MaintenanceState,
    MaintenanceWindow,
    Partner,
    StatusPage,
)


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


def page_windows(page: StatusPage) -> list[MaintenanceWindow]:
    """Return the page's maintenance windows: running and scheduled first, then the rest."""
    active = MaintenanceWindow.state.in_([MaintenanceState.SCHEDULED, MaintenanceState.IN_PROGRESS])
    return list(
        db.session.scalars(
            select(MaintenanceWindow)
            .where(MaintenanceWindow.page_id == page.id)
            .order_by(active.desc(), MaintenanceWindow.scheduled_start.desc())
        )
    )
