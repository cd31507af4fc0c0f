"""What a status page shows, for one audience (a :class:`~partner_portal.visibility.Scope`).

Who may see which page and which of its components is decided in
``visibility.py``; this module loads a page's content and keeps only what
the scope shows: components, incidents and maintenance windows that affect
a visible component or the whole page, the overall status and uptime over
the visible components.

Every function runs a fixed number of SQL statements, whatever the number of
components, incidents, updates or windows (a test counts them). Statements
are built once, with bound parameters. Rows of different kinds that belong
to one incident or window (its updates, its components) come back through
one UNION ALL, outer-joined, so each list is one round trip.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, cached_property
from typing import Any, NamedTuple

from sqlalchemy import (
    CompoundSelect,
    Executable,
    Integer,
    Select,
    String,
    Text,
    and_,
    bindparam,
    cast,
    exists,
    literal,
    null,
    or_,
    select,
    union_all,
)

from . import visibility
from .extensions import run
from .models import (
    Component,
    ComponentStatus,
    ComponentStatusEvent,
    Incident,
    IncidentImpact,
    IncidentStatus,
    IncidentUpdate,
    MaintenanceComponent,
    MaintenanceState,
    MaintenanceUpdate,
    MaintenanceWindow,
    UTCDateTime,
    incident_components,
)
from .visibility import PageRef, Scope

__all__ = ["PageRef", "Scope"]

RECENTLY_RESOLVED = timedelta(days=14)
MAINTENANCE_SOON = timedelta(days=7)
HISTORY_DAYS = 90
HISTORY_PER_PAGE = 20
# Uptime: a minute of major outage is a minute down; a minute of partial
# outage counts as this much of one (Atlassian Statuspage's weight, so the
# figures compare); degraded performance and maintenance are not downtime.
PARTIAL_OUTAGE_WEIGHT = 0.3
BY_SEVERITY = {status.severity: status for status in ComponentStatus}
OPERATIONAL = ComponentStatus.OPERATIONAL


def worst(statuses: list[ComponentStatus]) -> ComponentStatus:
    """Return the worst of some component statuses (operational when there are none)."""
    return max(statuses, key=lambda status: status.severity, default=OPERATIONAL)


# -- rows -----------------------------------------------------------------------


class Day(NamedTuple):
    """One day of a component's history."""

    date: date
    status: ComponentStatus | None  # the worst it had that day; None: no data yet
    minutes: int  # minutes it was not operational
    has_incidents: bool


@dataclass(frozen=True)
class History:
    """A component's last 90 days, oldest first, from ``first_day``."""

    first_day: date
    statuses: tuple[ComponentStatus | None, ...]
    minutes: tuple[int, ...]
    incident_days: tuple[bool, ...]
    uptime: float | None  # percent, time-weighted; None: no data in the window

    @property
    def days(self) -> list[Day]:
        return [
            Day(self.first_day + timedelta(days=offset), status, minutes, linked)
            for offset, (status, minutes, linked) in enumerate(
                zip(self.statuses, self.minutes, self.incident_days, strict=True)
            )
        ]

    @cached_property
    def counts(self) -> dict[ComponentStatus, int]:
        """Return how many days ended up in each status (days with data only)."""
        return dict(Counter(status for status in self.statuses if status is not None))

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
        uptime = f"{format_uptime(self.uptime)} uptime; " if self.uptime is not None else ""
        return f"Last {len(self.statuses)} days: {uptime}" + ", ".join(parts) + "."


def format_uptime(percent: float | None) -> str:
    """Return an uptime as people read it: two decimals, never rounded up to 100."""
    if percent is None:
        return "No data"
    if percent < 100:
        percent = min(percent, 99.99)
    return f"{percent:.2f} %"


def format_duration(duration: timedelta) -> str:
    """Return how long something lasted: '45 min', '3 h 5 min', '2 d 4 h'."""
    minutes = max(0, int(duration.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


class ComponentRow(NamedTuple):
    """A component as a status page shows it."""

    id: int
    name: str
    status: ComponentStatus


class UpdateRow(NamedTuple):
    """One posted update of an incident or a maintenance window."""

    status: str
    label: str
    message: str
    created_at: datetime


class StatusChange(NamedTuple):
    """A component status event, as the history bar reads it."""

    status: ComponentStatus
    previous_status: ComponentStatus | None
    started_at: datetime


@dataclass
class IncidentRow:
    """An incident as the partner pages show it, newest update first."""

    id: int
    title: str
    impact: IncidentImpact
    status: IncidentStatus
    started_at: datetime
    resolved_at: datetime | None
    updates: list[UpdateRow] = field(default_factory=list)
    components: dict[int, str] = field(default_factory=dict)  # id -> name; empty: whole page

    @property
    def is_open(self) -> bool:
        return self.status != IncidentStatus.RESOLVED

    @property
    def duration(self) -> timedelta | None:
        return self.resolved_at - self.started_at if self.resolved_at else None


@dataclass
class WindowRow:
    """A maintenance window as the partner pages show it."""

    id: int
    title: str
    message: str
    state: MaintenanceState
    scheduled_start: datetime
    scheduled_end: datetime
    started_at: datetime | None
    ended_at: datetime | None
    updates: list[UpdateRow] = field(default_factory=list)
    components: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PageView:
    """Everything the status page shows (plain rows: a page view builds no ORM object)."""

    page: PageRef
    overall: ComponentStatus
    components: list[ComponentRow]
    open_incidents: list[IncidentRow] = field(default_factory=list)
    resolved_incidents: list[IncidentRow] = field(default_factory=list)
    in_progress: list[WindowRow] = field(default_factory=list)
    upcoming: list[WindowRow] = field(default_factory=list)
    access_until: datetime | None = None
    histories: dict[int, History] = field(default_factory=dict)


@dataclass(frozen=True)
class PageSummary:
    """One card of the dashboard."""

    page: PageRef
    overall: ComponentStatus
    component_count: int
    open_incidents: int
    access_until: datetime | None
    maintenance_now: bool = False
    next_maintenance: datetime | None = None  # the next window starting within 7 days


# -- statements -----------------------------------------------------------------


def _text_null() -> Any:
    return null().cast(Text)


def _time_null() -> Any:
    return null().cast(UTCDateTime)


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


def _incident_parts() -> Any:
    """An incident's updates ('u') and affected components ('c'), as one derived table."""
    updates = select(
        IncidentUpdate.incident_id.label("owner"),
        literal("u").label("kind"),
        IncidentUpdate.id.label("item"),
        cast(IncidentUpdate.status, String(32)).label("status"),
        IncidentUpdate.message.label("text"),
        IncidentUpdate.created_at.label("at"),
    )
    components = select(
        incident_components.c.incident_id,
        literal("c"),
        Component.id,
        null().cast(String(32)),
        cast(Component.name, Text),
        _time_null(),
    ).join(Component, Component.id == incident_components.c.component_id)
    return union_all(updates, components).subquery("parts")


def _incident_columns(parts: Any) -> list[Any]:
    return [
        Incident.id,
        Incident.title,
        Incident.impact,
        Incident.status,
        Incident.started_at,
        Incident.resolved_at,
        parts.c.kind,
        parts.c.item,
        parts.c.status,
        parts.c.text,
        parts.c.at,
    ]


def _incident_order(parts: Any) -> list[Any]:
    return [
        Incident.started_at.desc(),
        Incident.id.desc(),
        parts.c.kind,
        parts.c.at.desc(),
        parts.c.item.desc(),
    ]


@cache
def _incidents_statement() -> Select:
    # The page's incidents still open or resolved within the history window,
    # each with its updates and affected components. One round trip.
    parts = _incident_parts()
    return (
        select(*_incident_columns(parts))
        .outerjoin(parts, parts.c.owner == Incident.id)
        .where(
            Incident.page_id == bindparam("page_id"),
            or_(
                Incident.status != IncidentStatus.RESOLVED,
                Incident.resolved_at >= bindparam("since"),
            ),
        )
        .order_by(*_incident_order(parts))
    )


@cache
def _incident_statement() -> Select:
    parts = _incident_parts()
    return (
        select(*_incident_columns(parts))
        .outerjoin(parts, parts.c.owner == Incident.id)
        .where(Incident.page_id == bindparam("page_id"), Incident.id == bindparam("incident_id"))
        .order_by(*_incident_order(parts))
    )


@cache
def _windows_statement() -> Select:
    # Windows scheduled or in progress, each with its updates and components.
    updates = select(
        MaintenanceUpdate.window_id.label("owner"),
        literal("u").label("kind"),
        MaintenanceUpdate.id.label("item"),
        cast(MaintenanceUpdate.state, String(32)).label("status"),
        MaintenanceUpdate.message.label("text"),
        MaintenanceUpdate.created_at.label("at"),
    )
    components = select(
        MaintenanceComponent.window_id,
        literal("c"),
        Component.id,
        null().cast(String(32)),
        cast(Component.name, Text),
        _time_null(),
    ).join(Component, Component.id == MaintenanceComponent.component_id)
    parts = union_all(updates, components).subquery("parts")
    window = MaintenanceWindow
    return (
        select(
            window.id,
            window.title,
            window.message,
            window.state,
            window.scheduled_start,
            window.scheduled_end,
            window.started_at,
            window.ended_at,
            parts.c.kind,
            parts.c.item,
            parts.c.status,
            parts.c.text,
            parts.c.at,
        )
        .outerjoin(parts, parts.c.owner == window.id)
        .where(
            window.page_id == bindparam("page_id"),
            window.state.in_([MaintenanceState.SCHEDULED, MaintenanceState.IN_PROGRESS]),
        )
        .order_by(
            window.scheduled_start, window.id, parts.c.kind, parts.c.at.desc(), parts.c.item.desc()
        )
    )


@cache
def _summaries_statement() -> CompoundSelect:
    # For the dashboard: every component's status ('c'), every open incident
    # with each component it affects ('i'), every window in progress or
    # starting soon with each component ('m'), of many pages at once.
    pages: Any = bindparam("page_ids", expanding=True)
    components = select(
        literal("c").label("kind"),
        Component.page_id.label("page_id"),
        Component.id.label("item"),
        cast(Component.status, String(32)).label("state"),
        null().cast(Integer).label("component_id"),
        _time_null().label("at"),
    ).where(Component.page_id.in_(pages))
    incidents = (
        select(
            literal("i"),
            Incident.page_id,
            Incident.id,
            null().cast(String(32)),
            incident_components.c.component_id,
            _time_null(),
        )
        .outerjoin(incident_components, incident_components.c.incident_id == Incident.id)
        .where(Incident.page_id.in_(pages), Incident.status != IncidentStatus.RESOLVED)
    )
    window = MaintenanceWindow
    windows = (
        select(
            literal("m"),
            window.page_id,
            window.id,
            cast(window.state, String(32)),
            MaintenanceComponent.component_id,
            window.scheduled_start,
        )
        .outerjoin(MaintenanceComponent, MaintenanceComponent.window_id == window.id)
        .where(
            window.page_id.in_(pages),
            or_(
                window.state == MaintenanceState.IN_PROGRESS,
                and_(
                    window.state == MaintenanceState.SCHEDULED,
                    window.scheduled_start <= bindparam("soon"),
                ),
            ),
        )
    )
    return union_all(components, incidents, windows)


def _scope_filter(item_id: Any, links: Any, link_owner: Any) -> Any:
    """SQL for the visibility rule: every component visible, or none affected, or one visible."""
    return or_(
        bindparam("all_components"),
        ~exists().where(link_owner == item_id),
        exists().where(
            link_owner == item_id,
            links.in_(bindparam("visible", expanding=True)),
        ),
    )


@cache
def _history_statement(by_day: bool) -> Select:
    # Resolved incidents and completed maintenance, newest end first, that
    # the audience may see (the rule applied in SQL, so pages stay full).
    incident_end = Incident.resolved_at
    window_end = MaintenanceWindow.ended_at
    if by_day:
        # Everything going on during one day, resolved or not.
        incident_when = and_(
            Incident.started_at < bindparam("day_end"),
            or_(Incident.resolved_at.is_(None), Incident.resolved_at >= bindparam("day_start")),
        )
        window_when = and_(
            MaintenanceWindow.state.in_([MaintenanceState.IN_PROGRESS, MaintenanceState.COMPLETED]),
            MaintenanceWindow.started_at < bindparam("day_end"),
            or_(window_end.is_(None), window_end >= bindparam("day_start")),
        )
    else:
        incident_when = Incident.status == IncidentStatus.RESOLVED
        window_when = MaintenanceWindow.state == MaintenanceState.COMPLETED
    incidents = select(
        literal("incident").label("kind"),
        Incident.id.label("id"),
        Incident.title.label("title"),
        cast(Incident.impact, String(32)).label("impact"),
        cast(Incident.status, String(32)).label("state"),
        Incident.started_at.label("started_at"),
        incident_end.label("ended_at"),
    ).where(
        Incident.page_id == bindparam("page_id"),
        incident_when,
        _scope_filter(
            Incident.id, incident_components.c.component_id, incident_components.c.incident_id
        ),
    )
    windows = select(
        literal("maintenance"),
        MaintenanceWindow.id,
        MaintenanceWindow.title,
        null().cast(String(32)),
        cast(MaintenanceWindow.state, String(32)),
        MaintenanceWindow.started_at,
        window_end,
    ).where(
        MaintenanceWindow.page_id == bindparam("page_id"),
        window_when,
        _scope_filter(
            MaintenanceWindow.id,
            MaintenanceComponent.component_id,
            MaintenanceComponent.window_id,
        ),
    )
    everything = union_all(incidents, windows).subquery("items")
    return (
        select(everything)
        .order_by(
            everything.c.ended_at.desc().nulls_first(),
            everything.c.started_at.desc(),
            everything.c.kind,
            everything.c.id.desc(),
        )
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


# -- loading --------------------------------------------------------------------


def _rows(statement: Executable, parameters: dict[str, Any]) -> Any:
    """Run a prepared statement; its rows unpack as the statement's columns."""
    return run(statement, parameters)


def _first_day(now: datetime) -> tuple[date, date, datetime]:
    today = now.astimezone(UTC).date()
    first_day = today - timedelta(days=HISTORY_DAYS - 1)
    return first_day, today, datetime.combine(first_day, time.min, tzinfo=UTC)


def _incidents(rows: Any) -> list[IncidentRow]:
    incidents: dict[int, IncidentRow] = {}
    for incident_id, title, impact, status, started, resolved, kind, item, state, text, at in rows:
        incident = incidents.get(incident_id)
        if incident is None:
            incident = incidents[incident_id] = IncidentRow(
                incident_id, title, impact, status, started, resolved
            )
        if kind == "u":
            label = IncidentStatus(state).label
            incident.updates.append(UpdateRow(state, label, text, at))
        elif kind == "c":
            incident.components[item] = text
    return list(incidents.values())


def _windows(rows: Any) -> list[WindowRow]:
    windows: dict[int, WindowRow] = {}
    for (
        window_id,
        title,
        message,
        state,
        start,
        end,
        started,
        ended,
        kind,
        item,
        status,
        text,
        at,
    ) in rows:  # noqa: E501
        window = windows.get(window_id)
        if window is None:
            window = windows[window_id] = WindowRow(
                window_id, title, message, state, start, end, started, ended
            )
        if kind == "u":
            window.updates.append(UpdateRow(status, MaintenanceState(status).label, text, at))
        elif kind == "c":
            window.components[item] = text
    return list(windows.values())


def build_page_view(scope: Scope, now: datetime) -> PageView:
    """Load what the page shows this audience: components with their 90-day history, open and
    recently resolved incidents, maintenance in progress and to come (three statements)."""
    page = scope.page
    first_day, today, window_start = _first_day(now)
    components: dict[int, ComponentRow] = {}
    events: dict[int, list[StatusChange]] = {}
    for component_id, name, status, event_id, *change in _rows(
        _components_statement(), {"page_id": page.id, "window_start": window_start, "now": now}
    ):
        if not scope.sees_component(component_id):
            continue
        if component_id not in components:
            components[component_id] = ComponentRow(component_id, name, status)
            events[component_id] = []
        if event_id is not None:
            events[component_id].append(StatusChange(*change))

    incidents = [
        incident
        for incident in _incidents(
            run(_incidents_statement(), {"page_id": page.id, "since": window_start})
        )
        if scope.sees(incident.components)
    ]
    windows = [
        window
        for window in _windows(run(_windows_statement(), {"page_id": page.id}))
        if scope.sees(window.components)
    ]

    # Which days each component had an incident on (a page-wide one counts for all).
    incident_days: dict[int, set[int]] = defaultdict(set)
    for incident in incidents:
        end = incident.resolved_at or now
        first = max((incident.started_at.astimezone(UTC).date() - first_day).days, 0)
        last = min((end.astimezone(UTC).date() - first_day).days, HISTORY_DAYS - 1)
        affected = incident.components.keys() or components.keys()
        for component_id in affected:
            incident_days[component_id].update(range(first, last + 1))

    recent = now - RECENTLY_RESOLVED
    return PageView(
        page=page,
        overall=worst([component.status for component in components.values()]),
        components=list(components.values()),
        open_incidents=[incident for incident in incidents if incident.is_open],
        resolved_incidents=[
            incident
            for incident in incidents
            if not incident.is_open and incident.resolved_at and incident.resolved_at > recent
        ],
        in_progress=[w for w in windows if w.state == MaintenanceState.IN_PROGRESS],
        upcoming=[w for w in windows if w.state == MaintenanceState.SCHEDULED],
        access_until=scope.access_until,
        histories={
            component.id: history(
                component.status,
                events[component.id],
                now,
                frozenset(incident_days.get(component.id, ())),
            )
            for component in components.values()
        },
    )


def incident_view(scope: Scope, incident_id: int, now: datetime) -> IncidentRow | None:
    """Return one incident of the page with every update, or None when it does not exist or
    the audience may not see it (the same None: one statement)."""
    found = _incidents(
        run(_incident_statement(), {"page_id": scope.page.id, "incident_id": incident_id})
    )
    if not found or not scope.sees(found[0].components):
        return None
    incident = found[0]
    # Only the components this audience sees are named.
    incident.components = {
        component_id: name
        for component_id, name in incident.components.items()
        if scope.sees_component(component_id)
    }
    return incident


class HistoryItem(NamedTuple):
    """One line of the history page: an incident or a maintenance window."""

    kind: str  # "incident" or "maintenance"
    id: int
    title: str
    impact: IncidentImpact | None
    state: str
    started_at: datetime | None
    ended_at: datetime | None

    @property
    def duration(self) -> timedelta | None:
        if self.started_at and self.ended_at:
            return self.ended_at - self.started_at
        return None


@dataclass(frozen=True)
class HistoryPage:
    """A page of history, grouped by month (newest first)."""

    number: int
    months: list[tuple[date, list[HistoryItem]]]
    has_next: bool
    day: date | None = None

    @property
    def has_prev(self) -> bool:
        return self.number > 1


def history_page(
    scope: Scope, number: int, day: date | None = None, per_page: int = HISTORY_PER_PAGE
) -> HistoryPage:
    """Return one page of resolved incidents and completed maintenance (or everything going
    on during ``day``), newest first, grouped by month (one statement)."""
    params: dict[str, Any] = {
        "page_id": scope.page.id,
        "all_components": scope.components is None,
        "visible": sorted(scope.components or ()),
        "limit": per_page + 1,
        "offset": (number - 1) * per_page,
    }
    if day is not None:
        start = datetime.combine(day, time.min, tzinfo=UTC)
        params.update(day_start=start, day_end=start + timedelta(days=1))
    rows = _rows(_history_statement(day is not None), params).all()
    items = [
        HistoryItem(
            kind,
            item_id,
            title,
            IncidentImpact(impact) if impact else None,
            state,
            started_at,
            ended_at,
        )
        for kind, item_id, title, impact, state, started_at, ended_at in rows[:per_page]
    ]
    months: list[tuple[date, list[HistoryItem]]] = []
    for item in items:
        when = (item.ended_at or item.started_at or datetime.min.replace(tzinfo=UTC)).date()
        month = when.replace(day=1)
        if not months or months[-1][0] != month:
            months.append((month, []))
        months[-1][1].append(item)
    return HistoryPage(number, months, has_next=len(rows) > per_page, day=day)


def visible_pages(partner_id: int, now: datetime) -> list[PageSummary]:
    """Return the summaries of every page the partner may see, by name (two statements; the
    dashboard itself caches them per page through ``portal/pagecache.py``)."""
    scopes = visibility.visible_pages(partner_id, now)
    found = summaries(scopes, now)
    return [found[scope.page.id] for scope in scopes]


def summaries(scopes: list[Scope], now: datetime) -> dict[int, PageSummary]:
    """Return each page's dashboard summary for its audience (one statement for all of them)."""
    if not scopes:
        return {}
    by_id = {scope.page.id: scope for scope in scopes}
    statuses: dict[int, list[ComponentStatus]] = defaultdict(list)
    incidents: dict[int, dict[int, set[int]]] = defaultdict(dict)
    windows: dict[int, dict[int, tuple[str, datetime, set[int]]]] = defaultdict(dict)
    rows = _rows(
        _summaries_statement(), {"page_ids": sorted(by_id), "soon": now + MAINTENANCE_SOON}
    )
    for kind, page_id, item, state, component_id, at in rows:
        scope = by_id[page_id]
        if kind == "c":
            if scope.sees_component(item):
                statuses[page_id].append(ComponentStatus(state))
        elif kind == "i":
            affected = incidents[page_id].setdefault(item, set())
            if component_id is not None:
                affected.add(component_id)
        else:
            _, _, affected = windows[page_id].setdefault(item, (state, at, set()))
            if component_id is not None:
                affected.add(component_id)
    result = {}
    for page_id, scope in by_id.items():
        visible_windows = [
            (state, at) for state, at, affected in windows[page_id].values() if scope.sees(affected)
        ]
        upcoming = [at for state, at in visible_windows if state == MaintenanceState.SCHEDULED]
        result[page_id] = PageSummary(
            page=scope.page,
            overall=worst(statuses[page_id]),
            component_count=len(statuses[page_id]),
            open_incidents=sum(
                1 for affected in incidents[page_id].values() if scope.sees(affected)
            ),
            access_until=scope.access_until,
            maintenance_now=any(
                state == MaintenanceState.IN_PROGRESS for state, _ in visible_windows
            ),
            next_maintenance=min(upcoming, default=None),
        )
    return result


# -- the 90-day bar -----------------------------------------------------------


def history(
    current_status: ComponentStatus,
    events: list[StatusChange],
    now: datetime,
    incident_days: frozenset[int] = frozenset(),
) -> History:
    """Walk a component's status events through the last 90 days: each day's worst status and
    minutes not operational, and the time-weighted uptime of the whole window."""
    first_day, today, window_start = _first_day(now)
    length = (today - first_day).days + 1
    # The status at the start of the window: what the first event in it left,
    # or, with no event in the window, the status it has had all along.
    status: ComponentStatus | None = events[0].previous_status if events else current_status
    points = [(window_start, status)] + [(event.started_at, event.status) for event in events]
    worst_of: list[ComponentStatus | None] = [None] * length
    affected = [0.0] * length
    observed = down = 0.0
    for index, (at, status) in enumerate(points):
        # Every status taken marks its day, even one undone in the same instant.
        _mark(worst_of, (at.date() - first_day).days, status)
        end = min(points[index + 1][0] if index + 1 < len(points) else now, now)
        if status is None or end <= at:
            continue
        seconds = (end - at).total_seconds()
        observed += seconds
        if status is ComponentStatus.MAJOR_OUTAGE:
            down += seconds
        elif status is ComponentStatus.PARTIAL_OUTAGE:
            down += PARTIAL_OUTAGE_WEIGHT * seconds
        cursor = at
        while cursor < end:
            offset = (cursor.date() - first_day).days
            midnight = datetime.combine(cursor.date() + timedelta(days=1), time.min, tzinfo=UTC)
            piece_end = min(end, midnight)
            _mark(worst_of, offset, status)
            if status is not OPERATIONAL:
                affected[offset] += (piece_end - cursor).total_seconds()
            cursor = piece_end
    uptime = 100 * (1 - down / observed) if observed else None
    return History(
        first_day,
        tuple(worst_of),
        tuple(round(seconds / 60) for seconds in affected),
        tuple(offset in incident_days for offset in range(length)),
        uptime,
    )


def _mark(
    worst_of: list[ComponentStatus | None], offset: int, status: ComponentStatus | None
) -> None:
    if status is None or not 0 <= offset < len(worst_of):
        return
    current = worst_of[offset]
    if current is None or status.severity > current.severity:
        worst_of[offset] = status
