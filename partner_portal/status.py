"""What a partner can see: their granted pages, each page's components and incidents.

Every function here runs a fixed number of SQL statements, whatever the
number of grants, components or incidents (a test counts them). The
statements are built once, with bound parameters: building a statement and
its cache key on every request cost more than running it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, cached_property
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, bindparam, case, func, or_, select

from .extensions import run
from .models import (
    AccessGrant,
    Component,
    ComponentStatus,
    ComponentStatusEvent,
    Incident,
    IncidentImpact,
    IncidentStatus,
    IncidentUpdate,
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


HISTORY_DAYS = 90


class Day(NamedTuple):
    """One day of a component's history: its worst status that day (None: no data yet)."""

    date: date
    status: ComponentStatus | None


@dataclass(frozen=True)
class History:
    """A component's last 90 days, oldest first: one status (or None) per day from ``first_day``."""

    first_day: date
    statuses: tuple[ComponentStatus | None, ...]

    @property
    def days(self) -> list[Day]:
        return [
            Day(self.first_day + timedelta(days=offset), status)
            for offset, status in enumerate(self.statuses)
        ]

    @cached_property
    def counts(self) -> dict[ComponentStatus, int]:
        """Return how many days ended up in each status (days with data only)."""
        counts = Counter(status for status in self.statuses if status is not None)
        return dict(counts)

    @cached_property
    def operational_percent(self) -> float | None:
        """Return the share of days (with data) that were fully operational."""
        counts = self.counts
        if not counts:
            return None
        return 100 * counts.get(ComponentStatus.OPERATIONAL, 0) / sum(counts.values())

    @cached_property
    def summary(self) -> str:
        """Describe the bar in words, for screen readers and for anyone."""
        counts = self.counts
        if not counts:
            return f"No history yet for the last {len(self.statuses)} days."
        parts = [
            f"{count} day{'s' if count != 1 else ''} {status.label.lower()}"
            for status, count in sorted(counts.items(), key=lambda item: item[0].severity)
        ]
        return f"Last {len(self.statuses)} days: " + ", ".join(parts) + "."


@dataclass(frozen=True)
class PageSummary:
    """One line of the dashboard."""

    page: PageRef
    overall: ComponentStatus
    component_count: int
    open_incidents: int
    access_until: datetime | None


class ComponentRow(NamedTuple):
    """A component as a status page shows it."""

    id: int
    name: str
    status: ComponentStatus


class UpdateRow(NamedTuple):
    """One posted update of an incident."""

    status: IncidentStatus
    message: str
    created_at: datetime


class StatusChange(NamedTuple):
    """A component status event, as the history bar reads it."""

    status: ComponentStatus
    previous_status: ComponentStatus | None
    started_at: datetime


class IncidentRow(NamedTuple):
    """An incident as a status page shows it, newest update first."""

    id: int
    title: str
    impact: IncidentImpact
    status: IncidentStatus
    started_at: datetime
    resolved_at: datetime | None
    updates: list[UpdateRow]

    @property
    def is_open(self) -> bool:
        return self.status != IncidentStatus.RESOLVED


@dataclass(frozen=True)
class PageView:
    """Everything the status page shows (plain rows: a page view builds no ORM object)."""

    page: PageRef
    overall: ComponentStatus
    components: list[ComponentRow]
    open_incidents: list[IncidentRow] = field(default_factory=list)
    resolved_incidents: list[IncidentRow] = field(default_factory=list)
    access_until: datetime | None = None
    histories: dict[int, History] = field(default_factory=dict)


def worst(statuses: list[ComponentStatus]) -> ComponentStatus:
    """Return the worst of some component statuses (operational when there are none)."""
    return max(statuses, key=lambda status: status.severity, default=ComponentStatus.OPERATIONAL)


def _grant_is_current():  # noqa: ANN202 - a SQL expression
    return or_(AccessGrant.expires_at.is_(None), AccessGrant.expires_at > bindparam("now"))


def _granted_pages(*extra: Any) -> Select:
    """Pages joined with their grants: a PageRef's columns, the grant's end, then ``extra``."""
    return select(
        StatusPage.id,
        StatusPage.slug,
        StatusPage.name,
        StatusPage.description,
        AccessGrant.expires_at,
        *extra,
    ).join(AccessGrant, AccessGrant.page_id == StatusPage.id)


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
        _granted_pages(worst_rank, component_count, open_incidents)
        .where(AccessGrant.partner_id == bindparam("partner_id"), _grant_is_current())
        .order_by(StatusPage.name, StatusPage.id)
    )


@cache
def _visible_page_statement() -> Select:
    return _granted_pages().where(
        StatusPage.slug == bindparam("slug"),
        AccessGrant.partner_id == bindparam("partner_id"),
        _grant_is_current(),
    )


@cache
def _components_statement() -> Select:
    # Each component with its status events of the last 90 days (outer join:
    # a component without any still comes back, once). One round trip.
    event = ComponentStatusEvent
    in_window = and_(
        event.component_id == Component.id,
        event.started_at >= bindparam("window_start"),
        event.started_at <= bindparam("now"),
    )
    return (
        select(
            Component.id,
            Component.name,
            Component.status,
            event.id,
            event.status,
            event.previous_status,
            event.started_at,
        )
        .outerjoin(event, in_window)
        .where(Component.page_id == bindparam("page_id"))
        .order_by(Component.position, Component.id, event.started_at, event.id)
    )


@cache
def _incidents_statement() -> Select:
    # Each incident with its updates, newest first (outer join). One round trip.
    return (
        select(
            Incident.id,
            Incident.title,
            Incident.impact,
            Incident.status,
            Incident.started_at,
            Incident.resolved_at,
            IncidentUpdate.id,
            IncidentUpdate.status,
            IncidentUpdate.message,
            IncidentUpdate.created_at,
        )
        .outerjoin(IncidentUpdate, IncidentUpdate.incident_id == Incident.id)
        .where(
            Incident.page_id == bindparam("page_id"),
            or_(
                Incident.status != IncidentStatus.RESOLVED,
                Incident.resolved_at > bindparam("resolved_since"),
            ),
        )
        .order_by(
            Incident.started_at.desc(),
            Incident.id.desc(),
            IncidentUpdate.created_at.desc(),
            IncidentUpdate.id.desc(),
        )
    )


def visible_pages(partner_id: int, now: datetime) -> list[PageSummary]:
    """Return the partner's currently granted pages with an overall status each (one statement)."""
    rows = run(_visible_pages_statement(), {"partner_id": partner_id, "now": now}).all()
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
    row = run(
        _visible_page_statement(), {"slug": slug, "partner_id": partner_id, "now": now}
    ).first()
    if row is None:
        return None
    page_id, slug, name, description, until = row
    page = PageRef(id=page_id, slug=slug, name=name, description=description)
    return build_page_view(page, now, access_until=until)


def build_page_view(page: PageRef, now: datetime, access_until: datetime | None = None) -> PageView:
    """Load a page's components with their 90-day history, and its open and recently
    resolved incidents with their updates: two statements."""
    today = now.astimezone(UTC).date()
    first_day = today - timedelta(days=HISTORY_DAYS - 1)
    window_start = datetime.combine(first_day, time.min, tzinfo=UTC)
    components: dict[int, ComponentRow] = {}
    events: dict[int, list[StatusChange]] = {}
    for component_id, name, status, event_id, *change in run(
        _components_statement(), {"page_id": page.id, "window_start": window_start, "now": now}
    ):
        if component_id not in components:
            components[component_id] = ComponentRow(component_id, name, status)
            events[component_id] = []
        if event_id is not None:
            events[component_id].append(StatusChange(*change))

    incidents: dict[int, IncidentRow] = {}
    for row in run(
        _incidents_statement(), {"page_id": page.id, "resolved_since": now - RECENTLY_RESOLVED}
    ):
        incident_id, *incident, update_id, update_status, message, created_at = row
        if incident_id not in incidents:
            incidents[incident_id] = IncidentRow(incident_id, *incident, updates=[])
        if update_id is not None:
            incidents[incident_id].updates.append(UpdateRow(update_status, message, created_at))

    return PageView(
        page=page,
        overall=worst([component.status for component in components.values()]),
        components=list(components.values()),
        open_incidents=[incident for incident in incidents.values() if incident.is_open],
        resolved_incidents=[incident for incident in incidents.values() if not incident.is_open],
        access_until=access_until,
        histories={
            component.id: _history(component, events[component.id], first_day, today)
            for component in components.values()
        },
    )


def _history(
    component: ComponentRow, events: list[StatusChange], first_day: date, today: date
) -> History:
    # The status at the start of the window: what the first event in it left,
    # or, with no event in the window, the status it has had all along.
    current: ComponentStatus | None = events[0].previous_status if events else component.status
    length = (today - first_day).days + 1
    if not events:
        return History(first_day, (current,) * length)
    # Each event lands on its day; a day shows the worst of the status it
    # began with and every status it took.
    changes = [((event.started_at.date() - first_day).days, event.status) for event in events]
    statuses: list[ComponentStatus | None] = []
    index = 0
    for offset in range(length):
        day_worst = current
        while index < len(changes) and changes[index][0] <= offset:
            current = changes[index][1]
            index += 1
            if day_worst is None or current.severity > day_worst.severity:
                day_worst = current
        statuses.append(day_worst)
    return History(first_day, tuple(statuses))
