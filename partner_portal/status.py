"""What a partner can see: their granted pages, each page's components and incidents.

Every function here runs a fixed number of SQL statements, whatever the
number of grants, components or incidents (a test counts them). The
statements are built once, with bound parameters: building a statement and
its cache key on every request cost more than running it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from sqlalchemy import Select, bindparam, case, func, or_, select
from sqlalchemy.orm import selectinload

from .extensions import db
from .models import (
    AccessGrant,
    Component,
    ComponentStatus,
    ComponentStatusEvent,
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


HISTORY_DAYS = 90


@dataclass(frozen=True)
class Day:
    """One day of a component's history: its worst status that day (None: no data yet)."""

    date: date
    status: ComponentStatus | None


@dataclass(frozen=True)
class History:
    """A component's last 90 days, oldest first."""

    days: list[Day]

    @property
    def counts(self) -> dict[ComponentStatus, int]:
        """Return how many days ended up in each status (days with data only)."""
        counts: dict[ComponentStatus, int] = defaultdict(int)
        for day in self.days:
            if day.status is not None:
                counts[day.status] += 1
        return dict(counts)

    @property
    def operational_percent(self) -> float | None:
        """Return the share of days (with data) that were fully operational."""
        known = [day for day in self.days if day.status is not None]
        if not known:
            return None
        good = sum(1 for day in known if day.status == ComponentStatus.OPERATIONAL)
        return 100 * good / len(known)

    @property
    def summary(self) -> str:
        """Describe the bar in words, for screen readers and for anyone."""
        counts = self.counts
        if not counts:
            return f"No history yet for the last {len(self.days)} days."
        parts = [
            f"{count} day{'s' if count != 1 else ''} {status.label.lower()}"
            for status, count in sorted(counts.items(), key=lambda item: item[0].severity)
        ]
        return f"Last {len(self.days)} days: " + ", ".join(parts) + "."


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
    histories: dict[int, History] = field(default_factory=dict)


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
        histories=histories(components, now),
    )


def histories(components: list[Component], now: datetime) -> dict[int, History]:
    """Return each component's 90-day history, from one query of status events."""
    today = now.astimezone(UTC).date()
    first_day = today - timedelta(days=HISTORY_DAYS - 1)
    window_start = datetime.combine(first_day, time.min, tzinfo=UTC)
    events: dict[int, list[ComponentStatusEvent]] = defaultdict(list)
    if components:
        for event in db.session.scalars(
            select(ComponentStatusEvent)
            .where(
                ComponentStatusEvent.component_id.in_([c.id for c in components]),
                ComponentStatusEvent.started_at >= window_start,
                ComponentStatusEvent.started_at <= now,
            )
            .order_by(ComponentStatusEvent.started_at, ComponentStatusEvent.id)
        ):
            events[event.component_id].append(event)
    return {c.id: _history(c, events[c.id], first_day, today) for c in components}


def _history(
    component: Component, events: list[ComponentStatusEvent], first_day: date, today: date
) -> History:
    # The status at the start of the window: what the first event in it left,
    # or, with no event in the window, the status it has had all along.
    current: ComponentStatus | None = events[0].previous_status if events else component.status
    pending = list(events)
    days = []
    day = first_day
    while day <= today:
        next_day = day + timedelta(days=1)
        seen = [current] if current is not None else []
        while pending and pending[0].started_at.date() < next_day:
            current = pending.pop(0).status
            seen.append(current)
        days.append(Day(date=day, status=worst(seen) if seen else None))
        day = next_day
    return History(days=days)
