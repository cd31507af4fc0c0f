"""`flask incidents ...` and `flask maintenance ...`: the console's rules, scriptable."""

from __future__ import annotations

import shlex
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from partner_portal.extensions import db
from partner_portal.models import (
    AuditEvent,
    Component,
    ComponentStatus,
    ComponentStatusEvent,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    MaintenanceState,
    MaintenanceWindow,
)

from .helpers import add_page, audit_events

OK = ComponentStatus.OPERATIONAL


@pytest.fixture
def page(app):
    add_page(app, "payments-api", "Payments API", [("Cards", OK), ("Webhooks", OK)])


def statuses(app) -> dict[str, str]:
    with app.app_context():
        return {
            name: s.value
            for name, s in db.session.execute(select(Component.name, Component.status))
        }


def counts(app) -> tuple[int, ...]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (
                Incident,
                IncidentUpdate,
                MaintenanceWindow,
                ComponentStatusEvent,
                AuditEvent,
            )
        )


def invoke(runner, *args: str):
    return runner.invoke(args=list(args))


def test_open_update_and_resolve(app, runner, page):
    opened = invoke(
        runner,
        "incidents", "open", "payments-api", "--title", "Webhooks failing", "--impact", "major",
        "--components", "Webhooks, cards", "--message", "Looking *now*.",
        "--component-status", "partial_outage",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.output
    incident_id = int(opened.stdout.strip())
    assert statuses(app) == {"Cards": "partial_outage", "Webhooks": "partial_outage"}

    updated = invoke(
        runner, "incidents", "update", str(incident_id), "--status", "identified",
        "--message", "Found it.", "--component-status", "major_outage",
    )  # fmt: skip
    assert updated.exit_code == 0, updated.output
    assert set(statuses(app).values()) == {"major_outage"}

    resolved = invoke(runner, "incidents", "resolve", str(incident_id))
    assert resolved.exit_code == 0, resolved.output
    assert set(statuses(app).values()) == {"operational"}
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        assert incident.status == IncidentStatus.RESOLVED
        assert [u.message for u in incident.updates][0] == "This incident has been resolved."
    actions = [
        (e.action, e.user_agent, e.admin_id, e.details.get("via")) for e in audit_events(app)
    ]
    assert actions[-3:] == [
        ("admin.incident.opened", "flask cli", None, "cli"),
        ("admin.incident.updated", "flask cli", None, "cli"),
        ("admin.incident.resolved", "flask cli", None, "cli"),
    ]
    again = invoke(runner, "incidents", "resolve", str(incident_id))
    assert again.exit_code == 1
    assert again.stderr.strip() == "Error: That incident is already resolved."


def test_open_without_components_is_about_the_whole_page(app, runner, page):
    opened = invoke(
        runner, "incidents", "open", "payments-api", "--title", "Slow", "--impact", "minor"
    )
    assert opened.exit_code == 0, opened.output
    with app.app_context():
        incident = db.session.get(Incident, int(opened.stdout))
        assert incident.components == []
        assert incident.updates[0].message == "We are investigating this issue."


def test_resolve_with_another_component_status(app, runner, page):
    opened = invoke(
        runner, "incidents", "open", "payments-api", "--title", "T", "--impact", "minor",
        "--components", "Cards", "--component-status", "major_outage",
    )  # fmt: skip
    invoke(
        runner,
        "incidents",
        "resolve",
        opened.stdout.strip(),
        "--component-status",
        "degraded_performance",
    )
    assert statuses(app)["Cards"] == "degraded_performance"


OPEN = "incidents open payments-api --title T --impact minor"
SCHEDULE = "maintenance schedule payments-api --title T"
STATUSES = "operational, under_maintenance, degraded_performance, partial_outage, major_outage"


@pytest.mark.parametrize(
    ("command", "sentence"),
    [
        ("incidents open nope --title T --impact minor", "No status page has the slug 'nope'."),
        (
            "incidents open payments-api --title T --impact huge",
            "Impact must be one of: none, minor, major, critical.",
        ),
        (f"{OPEN} --components Ghost", "The page payments-api has no component named 'Ghost'."),
        (f"{OPEN} --component-status red", f"Status must be one of: {STATUSES}."),
        (
            f"{OPEN} --component-status major_outage",
            "Name the affected components (--components) to set their status; this incident "
            "affects the whole page.",
        ),
        (f"{OPEN} --status resolved", "A new incident cannot start resolved."),
        (
            "incidents open payments-api --title 'T\nBcc: x' --impact minor",
            "Title cannot contain line breaks or control characters.",
        ),
        ("incidents update 999 --status identified --message m", "No incident has the id 999."),
        ("incidents update abc --status identified --message m", "No incident has the id abc."),
        ("incidents resolve 99999999999999999999", "No incident has the id 99999999999999999999."),
        (
            f"{SCHEDULE} --start 2026-11-22T03:00 --end 2026-11-22T02:00",
            "The end of a maintenance window must come after its start.",
        ),
        (
            f"{SCHEDULE} --start 2026-11-20T03:00 --end 2026-11-22T02:00",
            "A new maintenance window cannot start in the past.",
        ),
        (
            f"{SCHEDULE} --start soon --end 2026-11-22T02:00",
            "Give a time like 2027-03-31T22:00 (UTC unless it names its offset).",
        ),
        (
            "maintenance schedule nope --title T --start 2026-11-22T02:00 --end 2026-11-22T03:00",
            "No status page has the slug 'nope'.",
        ),
        ("maintenance cancel 42", "No maintenance window has the id 42."),
        ("maintenance complete x", "No maintenance window has the id x."),
    ],
)
def test_bad_input_is_one_sentence_on_stderr_and_writes_nothing(
    app, runner, page, command, sentence
):
    before = counts(app)
    args = [arg.replace("\\n", "\n") for arg in shlex.split(command)]
    result = invoke(runner, *args)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {sentence}"
    assert result.stdout == ""
    assert counts(app) == before


def test_an_unknown_status_on_update_writes_nothing(app, runner, page):
    opened = invoke(
        runner, "incidents", "open", "payments-api", "--title", "T", "--impact", "minor"
    )
    before = counts(app)
    result = invoke(
        runner, "incidents", "update", opened.stdout.strip(), "--status", "fixed", "--message", "m"
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: Incident status must be one of: investigating, identified, monitoring, resolved."
    )
    assert counts(app) == before


def test_schedule_cancel_and_complete(app, runner, page, clock):
    scheduled = invoke(
        runner, "maintenance", "schedule", "payments-api", "--title", "Upgrade",
        "--start", "2026-11-21T12:00Z", "--end", "2026-11-21T14:00+01:00", "--components", "Cards",
    )  # fmt: skip
    assert scheduled.exit_code == 0, scheduled.output
    window_id = int(scheduled.stdout)
    with app.app_context():
        window = db.session.get(MaintenanceWindow, window_id)
        assert (window.scheduled_start.hour, window.scheduled_end.hour) == (12, 13)
    not_started = invoke(runner, "maintenance", "complete", str(window_id))
    assert not_started.stderr.strip() == "Error: That maintenance is not in progress."
    clock.set(clock.at.replace(hour=12))
    invoke(runner, "mail", "send-pending")
    assert statuses(app)["Cards"] == "under_maintenance"
    completed = invoke(runner, "maintenance", "complete", str(window_id))
    assert completed.exit_code == 0, completed.output
    assert statuses(app)["Cards"] == "operational"

    later = invoke(
        runner, "maintenance", "schedule", "payments-api", "--title", "Later",
        "--start", (clock.at + timedelta(days=2)).isoformat(),
        "--end", (clock.at + timedelta(days=2, hours=1)).isoformat(),
    )  # fmt: skip
    cancelled = invoke(runner, "maintenance", "cancel", later.stdout.strip())
    assert cancelled.exit_code == 0, cancelled.output
    with app.app_context():
        assert (
            db.session.get(MaintenanceWindow, int(later.stdout)).state == MaintenanceState.CANCELLED
        )
