"""Scheduled maintenance: schedule, start, extend, complete, cancel, and the clock that runs it.

A window goes scheduled → in_progress → completed (or scheduled → cancelled).
At its start its components go ``under_maintenance``; at its end each goes
back to the status it had before, unless someone changed it meanwhile (its
latest status event is no longer the one the window wrote) or another window
still in progress covers it (that one inherits the status to go back to).

:func:`advance` starts and completes windows whose time has come. The mail
worker runs it on every poll (about once a second), so no new process is
needed and a GET never writes; see docs/ARCHITECTURE.md. Every transition is
one conditional UPDATE (``WHERE state = <expected>``): the worker and an
admin pressing "complete" at the same moment cannot both act.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import selectinload

from . import clock, messages, notifications
from .actors import Actor
from .extensions import changed_rows, db, unit_of_work
from .incidents import clean_message
from .models import (
    Component,
    ComponentStatus,
    ComponentStatusEvent,
    MaintenanceComponent,
    MaintenanceState,
    MaintenanceUpdate,
    MaintenanceWindow,
    StatusPage,
)
from .partners import InvalidValue, clean_text
from .security.audit import Requester
from .statuspages import audit, set_component_status, touch

SCHEDULER = Actor(
    admin_id=None,
    requester=Requester(ip_address=None, user_agent="maintenance scheduler"),
    via="scheduler",
)
SCHEDULED = MaintenanceState.SCHEDULED
IN_PROGRESS = MaintenanceState.IN_PROGRESS
COMPLETED = MaintenanceState.COMPLETED
CANCELLED = MaintenanceState.CANCELLED
UNDER_MAINTENANCE = ComponentStatus.UNDER_MAINTENANCE


class UnknownWindow(InvalidValue):
    """No maintenance window has that id."""


class WrongState(InvalidValue):
    """The window is not in a state that allows this (it moved on, or someone else acted)."""


def parse_time(value: str) -> datetime:
    """Return an ISO 8601 time as an aware UTC datetime (no offset given = UTC)."""
    try:
        parsed = datetime.fromisoformat((value or "").strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValue(messages.INVALID_TIME) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def get_window(window_id: int | str) -> MaintenanceWindow:
    """Return the window with this id, or raise UnknownWindow."""
    try:
        number = int(str(window_id).strip())
    except ValueError:
        number = 0
    window = (
        db.session.scalar(
            select(MaintenanceWindow)
            .where(MaintenanceWindow.id == number)
            .options(selectinload(MaintenanceWindow.affected), selectinload(MaintenanceWindow.page))
        )
        if 0 < number < 2**63
        else None
    )
    if window is None:
        raise UnknownWindow(messages.UNKNOWN_WINDOW.format(id=window_id))
    return window


def _check_times(start: datetime, end: datetime, now: datetime) -> None:
    if end <= start:
        raise InvalidValue(messages.WINDOW_END_BEFORE_START)
    # Forms give minutes: a start in the current minute is "now", not the past.
    if start < now.replace(second=0, microsecond=0):
        raise InvalidValue(messages.WINDOW_START_IN_PAST)


@unit_of_work
def schedule(
    actor: Actor,
    page: StatusPage,
    *,
    title: str,
    start: datetime,
    end: datetime,
    components: Sequence[Component] = (),
    message: str | None = None,
    notify: bool = True,
) -> MaintenanceWindow:
    """Schedule a window on a page (start and end in UTC); the worker starts it on time."""
    now = clock.now()
    _check_times(start, end, now)
    window = MaintenanceWindow(
        page=page,
        title=clean_text(title, field="Title"),
        message=(message or "").strip()[:5000],
        state=SCHEDULED,
        scheduled_start=start,
        scheduled_end=end,
        created_at=now,
        updated_at=now,
    )
    window.affected = [MaintenanceComponent(component=component) for component in components]
    if window.message:
        window.updates = [
            MaintenanceUpdate(
                state=SCHEDULED, message=clean_message(window.message), created_at=now
            )
        ]
    db.session.add(window)
    db.session.flush()
    audit(
        "maintenance.scheduled",
        actor,
        page=page.slug,
        window_id=window.id,
        title=window.title,
        start=start.isoformat(),
        end=end.isoformat(),
        components=[component.name for component in components],
        notify=notify,
    )
    if notify:
        notifications.maintenance_changed(window, "scheduled")
    return window


def _transition(
    window: MaintenanceWindow, expected: MaintenanceState, to: MaintenanceState, **values: object
) -> bool:
    """Move the window from ``expected`` to ``to`` with one conditional UPDATE; return whether
    this caller won (another worker or admin may have moved it first)."""
    now = clock.now()
    changed = changed_rows(
        update(MaintenanceWindow)
        .where(MaintenanceWindow.id == window.id, MaintenanceWindow.state == expected)
        .values(state=to, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if changed != 1:
        return False
    db.session.refresh(window)
    touch([window.page_id])  # a Core write: the flush listener does not see it
    return True


def _covering(
    window: MaintenanceWindow, component_ids: list[int]
) -> dict[int, MaintenanceComponent]:
    """Return, per component, the link of another window in progress that covers it."""
    if not component_ids:
        return {}
    links = db.session.scalars(
        select(MaintenanceComponent)
        .join(MaintenanceWindow)
        .where(
            MaintenanceComponent.component_id.in_(component_ids),
            MaintenanceWindow.state == IN_PROGRESS,
            MaintenanceWindow.id != window.id,
        )
    )
    return {link.component_id: link for link in links}


def _latest_events(component_ids: list[int]) -> dict[int, int]:
    if not component_ids:
        return {}
    rows = db.session.execute(
        select(ComponentStatusEvent.component_id, func.max(ComponentStatusEvent.id))
        .where(ComponentStatusEvent.component_id.in_(component_ids))
        .group_by(ComponentStatusEvent.component_id)
    )
    return {component_id: event_id for component_id, event_id in rows}


def _add_update(window: MaintenanceWindow, message: str) -> None:
    db.session.add(
        MaintenanceUpdate(
            window=window, state=window.state, message=message, created_at=clock.now()
        )
    )


@unit_of_work
def start(
    actor: Actor, window: MaintenanceWindow, *, message: str | None = None, notify: bool = True
) -> bool:
    """Start a scheduled window now: its components go under maintenance. False if it was not
    scheduled any more (started, cancelled, or taken by someone else)."""
    if not _transition(window, SCHEDULED, IN_PROGRESS, started_at=clock.now()):
        return False
    ids = [link.component_id for link in window.affected]
    covering = _covering(window, ids)
    changes = {}
    for link in window.affected:
        other = covering.get(link.component_id)
        if other is not None:
            # Already under maintenance for another window: inherit what to go back to.
            link.previous_status = other.previous_status
            link.status_event_id = other.status_event_id
            continue
        component = link.component
        link.previous_status = component.status
        if set_component_status(component, UNDER_MAINTENANCE):
            changes[component.name] = [link.previous_status.value, UNDER_MAINTENANCE.value]
    db.session.flush()
    latest = _latest_events([link.component_id for link in window.affected])
    for link in window.affected:
        if link.component_id not in covering and link.component.status == UNDER_MAINTENANCE:
            link.status_event_id = latest.get(link.component_id)
    _add_update(window, clean_message(message, messages.DEFAULT_MAINTENANCE_STARTED))
    audit(
        "maintenance.started",
        actor,
        page=window.page.slug,
        window_id=window.id,
        title=window.title,
        component_changes=changes,
        notify=notify,
    )
    if notify:
        notifications.maintenance_changed(window, "started")
    return True


def _restore(window: MaintenanceWindow) -> dict[str, list[str]]:
    """Put the window's components back as they were, where nobody changed them meanwhile."""
    ids = [link.component_id for link in window.affected]
    covering = _covering(window, ids)
    latest = _latest_events(ids)
    changes = {}
    for link in window.affected:
        component = link.component
        if link.component_id in covering or link.previous_status is None:
            continue
        untouched = (
            component.status == UNDER_MAINTENANCE
            and link.status_event_id is not None
            and latest.get(link.component_id) == link.status_event_id
        )
        if untouched and set_component_status(component, link.previous_status):
            changes[component.name] = [UNDER_MAINTENANCE.value, link.previous_status.value]
    return changes


@unit_of_work
def complete(
    actor: Actor, window: MaintenanceWindow, *, message: str | None = None, notify: bool = True
) -> bool:
    """Complete a window in progress (at its end, or early); False if it was not in progress."""
    if not _transition(window, IN_PROGRESS, COMPLETED, ended_at=clock.now()):
        return False
    changes = _restore(window)
    _add_update(window, clean_message(message, messages.DEFAULT_MAINTENANCE_COMPLETED))
    audit(
        "maintenance.completed",
        actor,
        page=window.page.slug,
        window_id=window.id,
        title=window.title,
        component_changes=changes,
        notify=notify,
    )
    if notify:
        notifications.maintenance_changed(window, "completed")
    return True


@unit_of_work
def cancel(
    actor: Actor, window: MaintenanceWindow, *, message: str | None = None, notify: bool = True
) -> bool:
    """Cancel a window that has not started; False if it had (complete it instead)."""
    if not _transition(window, SCHEDULED, CANCELLED, ended_at=clock.now()):
        return False
    _add_update(window, clean_message(message, messages.DEFAULT_MAINTENANCE_CANCELLED))
    audit(
        "maintenance.cancelled",
        actor,
        page=window.page.slug,
        window_id=window.id,
        title=window.title,
        notify=notify,
    )
    if notify:
        notifications.maintenance_changed(window, "cancelled")
    return True


@unit_of_work
def extend(actor: Actor, window: MaintenanceWindow, end: datetime, *, notify: bool = True) -> None:
    """Move the end of a scheduled or running window later."""
    if not window.is_active:
        raise WrongState(messages.WINDOW_FINISHED)
    if end <= window.scheduled_end:
        raise InvalidValue(
            messages.WINDOW_EXTEND_EARLIER.format(end=f"{window.scheduled_end:%d %b %Y %H:%M} UTC")
        )
    old_end = window.scheduled_end
    window.scheduled_end = end
    window.updated_at = clock.now()
    _add_update(
        window, messages.DEFAULT_MAINTENANCE_EXTENDED.format(end=f"{end:%d %b %Y, %H:%M} UTC")
    )
    audit(
        "maintenance.extended",
        actor,
        page=window.page.slug,
        window_id=window.id,
        title=window.title,
        end=[old_end.isoformat(), end.isoformat()],
        notify=notify,
    )
    if notify:
        notifications.maintenance_changed(window, "extended")


@unit_of_work
def post_update(
    actor: Actor, window: MaintenanceWindow, message: str, *, notify: bool = True
) -> MaintenanceUpdate:
    """Post a message about a window that is scheduled or running."""
    if not window.is_active:
        raise WrongState(messages.WINDOW_FINISHED)
    update_row = MaintenanceUpdate(
        window=window, state=window.state, message=clean_message(message), created_at=clock.now()
    )
    db.session.add(update_row)
    window.updated_at = clock.now()
    audit(
        "maintenance.updated",
        actor,
        page=window.page.slug,
        window_id=window.id,
        title=window.title,
        notify=notify,
    )
    if notify:
        notifications.maintenance_changed(window, "updated")
    return update_row


def advance(now: datetime) -> Counter[str]:
    """Start the windows whose start has come and complete those whose end has; count them.

    One indexed read when nothing is due (the worker calls this every poll).
    """
    due = (
        db.session.execute(
            select(MaintenanceWindow.id)
            .where(
                or_(
                    and_(
                        MaintenanceWindow.state == SCHEDULED,
                        MaintenanceWindow.scheduled_start <= now,
                    ),
                    and_(
                        MaintenanceWindow.state == IN_PROGRESS,
                        MaintenanceWindow.scheduled_end <= now,
                    ),
                )
            )
            .order_by(MaintenanceWindow.scheduled_start, MaintenanceWindow.id)
        )
        .scalars()
        .all()
    )
    db.session.rollback()  # end the read: each transition is a transaction of its own
    done: Counter[str] = Counter()
    for window_id in due:
        window = get_window(window_id)
        if window.state == SCHEDULED and start(SCHEDULER, window):
            done["started"] += 1
        ended = window.state == IN_PROGRESS and window.scheduled_end <= now
        if ended and complete(SCHEDULER, window):
            done["completed"] += 1
    return done
