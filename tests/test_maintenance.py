"""Scheduled maintenance: it starts and ends by itself, and components go back as they were."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from partner_portal import maintenance, statuspages
from partner_portal.actors import CLI
from partner_portal.extensions import db
from partner_portal.models import (
    Component,
    ComponentStatus,
    MaintenanceState,
    MaintenanceWindow,
)

from .helpers import (
    add_page,
    add_partner,
    audit_events,
    flashes,
    get_page,
    grant,
    sign_in,
    soup,
    submit,
)

OK = ComponentStatus.OPERATIONAL
DEGRADED = ComponentStatus.DEGRADED_PERFORMANCE
UNDER = ComponentStatus.UNDER_MAINTENANCE


@pytest.fixture
def alice_browser(app, smtp):
    add_partner(app, "alice@acme.example")
    add_page(app, "payments-api", "Payments API", [("Payouts", DEGRADED), ("Cards", OK)])
    grant(app, "alice@acme.example", "payments-api")
    browser = app.test_client()
    sign_in(browser, smtp, "alice@acme.example")
    return browser


def schedule(app, start, end, names=("Payouts",), title="Payout upgrade") -> int:
    with app.app_context():
        page = statuspages.get_page("payments-api")
        window = maintenance.schedule(
            CLI,
            page,
            title=title,
            start=start,
            end=end,
            components=statuspages.components_named(page, names),
            message="Payouts wait during the upgrade.",
        )
        return window.id


def advance(app, clock) -> dict[str, int]:
    """What the mail worker does on each poll."""
    with app.app_context():
        return dict(maintenance.advance(clock.at))


def state(app, window_id: int) -> MaintenanceState:
    with app.app_context():
        return db.session.get(MaintenanceWindow, window_id).state


def component_status(app, name: str) -> ComponentStatus:
    with app.app_context():
        return db.session.scalar(select(Component.status).where(Component.name == name))


def test_a_window_starts_and_ends_by_itself_and_components_go_back(app, alice_browser, clock):
    start = clock.at + timedelta(hours=2)
    window = schedule(app, start, start + timedelta(hours=1))

    page = soup(alice_browser.get("/partner/status/payments-api"))
    scheduled = page.select_one("section[aria-labelledby=scheduled-heading]")
    assert "Payout upgrade" in scheduled.get_text()
    assert [t["datetime"] for t in scheduled.select(".meta time")] == [
        "2026-11-21T11:30:00+00:00",
        "2026-11-21T12:30:00+00:00",
    ]
    assert "Affects: Payouts" in scheduled.get_text(" ", strip=True)
    assert page.select_one("#maintenance-now-heading") is None
    assert advance(app, clock) == {}

    clock.set(start + timedelta(seconds=1))
    assert advance(app, clock) == {"started": 1}
    assert state(app, window) == MaintenanceState.IN_PROGRESS
    assert component_status(app, "Payouts") == UNDER
    assert component_status(app, "Cards") == OK
    page = soup(alice_browser.get("/partner/status/payments-api"))
    assert "Payout upgrade" in page.select_one("#maintenance-now-heading").parent.get_text()
    assert "No maintenance is scheduled." in page.get_text()

    clock.set(start + timedelta(hours=1))
    assert advance(app, clock) == {"completed": 1}
    assert state(app, window) == MaintenanceState.COMPLETED
    assert component_status(app, "Payouts") == DEGRADED  # what it was before
    started = audit_events(app, "admin.maintenance.started")
    assert started[0].details["via"] == "scheduler"
    assert started[0].user_agent == "maintenance scheduler"
    history = soup(alice_browser.get("/partner/status/payments-api/history"))
    assert "Payout upgrade" in history.select_one(".history-item").get_text()


def test_a_component_changed_during_the_window_keeps_its_new_status(
    app, alice_browser, clock, console
):
    start = clock.at + timedelta(minutes=5)
    schedule(app, start, start + timedelta(hours=1))
    clock.set(start)
    advance(app, clock)
    with app.app_context():
        payouts = db.session.scalar(select(Component).where(Component.name == "Payouts"))
        statuspages.update_component(CLI, payouts, "Payouts", "major_outage")
    clock.advance(hours=1)
    advance(app, clock)
    assert component_status(app, "Payouts") == ComponentStatus.MAJOR_OUTAGE


def test_overlapping_windows_keep_the_component_under_maintenance_until_the_last_ends(
    app, alice_browser, clock
):
    start = clock.at + timedelta(minutes=5)
    first = schedule(app, start, start + timedelta(hours=1), title="First")
    second = schedule(
        app, start + timedelta(minutes=30), start + timedelta(hours=2), title="Second"
    )
    clock.set(start)
    advance(app, clock)
    clock.advance(minutes=30)
    advance(app, clock)
    clock.advance(minutes=30)
    assert advance(app, clock) == {"completed": 1}
    assert state(app, first) == MaintenanceState.COMPLETED
    assert component_status(app, "Payouts") == UNDER  # the second is still going
    clock.advance(hours=1)
    advance(app, clock)
    assert state(app, second) == MaintenanceState.COMPLETED
    assert component_status(app, "Payouts") == DEGRADED


def test_the_mail_worker_runs_the_maintenance_clock(app, alice_browser, clock, runner):
    start = clock.at + timedelta(minutes=1)
    window = schedule(app, start, start + timedelta(hours=1))
    clock.set(start)
    result = runner.invoke(args=["mail", "send-pending"])
    assert result.exit_code == 0, result.output
    assert "maintenance started 1" in result.output
    assert state(app, window) == MaintenanceState.IN_PROGRESS


def test_a_window_whose_end_passed_while_no_worker_ran_starts_and_completes(
    app, alice_browser, clock
):
    start = clock.at + timedelta(minutes=1)
    window = schedule(app, start, start + timedelta(hours=1))
    clock.advance(hours=3)
    assert advance(app, clock) == {"started": 1, "completed": 1}
    assert state(app, window) == MaintenanceState.COMPLETED
    assert component_status(app, "Payouts") == DEGRADED


def test_a_transition_happens_once_however_many_try(app, alice_browser, clock):
    start = clock.at + timedelta(minutes=1)
    window_id = schedule(app, start, start + timedelta(hours=1))
    clock.set(start)
    with app.app_context():
        stale = maintenance.get_window(window_id)
        assert maintenance.start(CLI, stale) is True
        # A second worker (or an admin) holding the window as it was: refused by the UPDATE.
        again = maintenance.get_window(window_id)
        db.session.execute(
            MaintenanceWindow.__table__.update()
            .where(MaintenanceWindow.id == window_id)
            .values(state="scheduled")
        )
        db.session.commit()
        assert maintenance.start(CLI, again) is True  # it was scheduled again: fine
        assert maintenance.start(CLI, again) is False
        assert maintenance.cancel(CLI, again) is False
    assert len(audit_events(app, "admin.maintenance.started")) == 2


def test_admins_start_extend_complete_and_cancel(app, alice_browser, clock, console):
    page = get_page(app, "payments-api")
    url = f"/admin/pages/{page.id}/maintenance/new"
    with app.app_context():
        payouts_id = db.session.scalar(select(Component.id).where(Component.name == "Payouts"))
    response = submit(
        console,
        url,
        url,
        {
            "title": "Payout upgrade",
            "start": "2026-11-23T02:00",
            "end": "2026-11-23T03:00",
            "components": [str(payouts_id)],
            "message": "Payouts *wait*.",
        },
    )
    assert response.status_code == 303, flashes(console.get(url))
    window_url = response.location
    window_id = int(window_url.rsplit("/", 1)[-1])

    # The dashboard card says maintenance is coming within 7 days.
    card = soup(alice_browser.get("/partner/dashboard")).select_one(".page-card")
    assert card.select_one(".maintenance-note").get_text(" ", strip=True) == (
        "Maintenance scheduled 23 Nov, 02:00 UTC"
    )

    earlier = submit(console, window_url, f"{window_url}/extend", {"end": "2026-11-23T02:30"})
    assert earlier.status_code == 400
    extended = submit(console, window_url, f"{window_url}/extend", {"end": "2026-11-23T04:00"})
    assert extended.status_code == 303
    with app.app_context():
        assert db.session.get(MaintenanceWindow, window_id).scheduled_end.hour == 4

    started = submit(console, window_url, f"{window_url}/start")
    assert started.status_code == 303
    assert state(app, window_id) == MaintenanceState.IN_PROGRESS
    assert component_status(app, "Payouts") == UNDER
    card = soup(alice_browser.get("/partner/dashboard")).select_one(".page-card")
    assert card.select_one(".maintenance-note").get_text(strip=True) == "Maintenance in progress"

    cancel_started = submit(console, f"{window_url}/cancel", f"{window_url}/cancel")
    assert messages_in(console, cancel_started) == [
        "That maintenance has already started or ended."
    ]
    completed = submit(console, window_url, f"{window_url}/complete")
    assert completed.status_code == 303
    assert state(app, window_id) == MaintenanceState.COMPLETED
    assert component_status(app, "Payouts") == DEGRADED

    second = schedule(app, clock.at + timedelta(days=8), clock.at + timedelta(days=8, hours=1))
    card = soup(alice_browser.get("/partner/dashboard")).select_one(".page-card")
    assert card.select_one(".maintenance-note") is None  # eight days away: not yet
    second_url = f"/admin/maintenance/{second}"
    submit(console, f"{second_url}/cancel", f"{second_url}/cancel")
    assert state(app, second) == MaintenanceState.CANCELLED
    actions = [event.action for event in audit_events(app) if "maintenance" in event.action]
    assert actions == [
        "admin.maintenance.scheduled",
        "admin.maintenance.extended",
        "admin.maintenance.started",
        "admin.maintenance.completed",
        "admin.maintenance.scheduled",
        "admin.maintenance.cancelled",
    ]


def messages_in(client, response) -> list[str]:
    return flashes(client.get(response.location))


@pytest.mark.parametrize(
    ("start", "end", "error"),
    [
        (
            "2026-11-21T08:00",
            "2026-11-21T10:00",
            "A new maintenance window cannot start in the past.",
        ),
        (
            "2026-11-22T10:00",
            "2026-11-22T09:00",
            "The end of a maintenance window must come after its start.",
        ),
        (
            "yesterday",
            "2026-11-22T09:00",
            "Give a time like 2027-03-31T22:00 (UTC unless it names its offset).",
        ),
    ],
)
def test_bad_windows_are_refused_with_a_sentence(app, alice_browser, console, start, end, error):
    page = get_page(app, "payments-api")
    url = f"/admin/pages/{page.id}/maintenance/new"
    response = submit(console, url, url, {"title": "T", "start": start, "end": end})
    assert response.status_code == 400
    assert error in soup(response).get_text()
    with app.app_context():
        assert db.session.scalar(select(MaintenanceWindow)) is None


def test_deleting_a_page_or_component_takes_its_windows_along(app, alice_browser, clock):
    start = clock.at + timedelta(minutes=5)
    schedule(app, start, start + timedelta(hours=1))
    clock.set(start)
    advance(app, clock)
    with app.app_context():
        payouts = db.session.scalar(select(Component).where(Component.name == "Payouts"))
        statuspages.delete_component(CLI, payouts)
        page = statuspages.get_page("payments-api")
        statuspages.delete_page(CLI, page)
        assert db.session.scalar(select(MaintenanceWindow)) is None
    clock.advance(hours=2)
    assert advance(app, clock) == {}
