"""Email that is never lost and never slows a page: the outbox and its worker."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, insert, select

from partner_portal import actors, messages
from partner_portal.extensions import db
from partner_portal.models import AuditEvent, MagicLinkToken, OutboxJob, OutboxStatus, Partner

from .conftest import FROZEN_AT as FROZEN_START
from .conftest import free_port, run_outbox
from .helpers import add_partner, confirm, request_link, token_from


class Replying:
    """An SMTP handler that answers DATA with a chosen reply, counting attempts."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.attempts = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802
        self.attempts += 1
        return self.reply


@pytest.fixture
def replying():
    """Start an SMTP server answering DATA with a given reply; yield a factory."""
    started = []

    def start(reply: str) -> tuple[Replying, int]:
        handler = Replying(reply)
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        started.append(controller)
        return handler, controller.port

    yield start
    for controller in started:
        controller.stop()


class StallingServer:
    """A TCP server that accepts connections and never says a word (a hung mail server)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self) -> None:
        self.listener.close()
        for connection in self.connections:
            connection.close()


def point_mail_at(app, port: int) -> None:
    app.extensions["mail"].port = port


def jobs(app) -> list[OutboxJob]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxJob).order_by(OutboxJob.id)).all()
        for row in rows:
            db.session.expunge(row)
        return list(rows)


def audit_actions(app, prefix: str = "email.") -> list[tuple[str, dict]]:
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.startswith(prefix)).order_by(AuditEvent.id)
        )
        return [(event.action, event.details) for event in events]


def test_a_request_records_a_job_with_no_token_and_sends_nothing(app, client, smtp, alice):
    response = request_link(client, "alice@acme.example")
    assert response.location == "/partner/login/sent"
    assert smtp.messages == []
    (job,) = jobs(app)
    assert (job.kind, job.recipient, job.status) == ("login_link", "alice@acme.example", "queued")
    assert job.purpose == "login"
    assert job.details["ip_address"] == "127.0.0.1"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MagicLinkToken)) == 0


def test_the_job_is_part_of_the_request_transaction(app, client, alice, monkeypatch):
    from partner_portal import outbox

    real_enqueue = outbox.enqueue

    def enqueue_then_fail(*args, **kwargs):
        real_enqueue(*args, **kwargs)
        db.session.flush()  # the job row really was written...
        raise RuntimeError("disk full")  # ...then the request failed

    monkeypatch.setattr(outbox, "enqueue", enqueue_then_fail)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = request_link(client, "alice@acme.example")
    assert response.status_code == 500
    assert jobs(app) == []  # nothing half-done: no job...
    assert audit_actions(app, "partner.") == []  # ...and no audit entry


def test_a_stalled_mail_server_does_not_delay_a_request(app, client, smtp, alice):
    stalled = StallingServer()
    try:
        point_mail_at(app, stalled.port)
        app.config["MAIL_TIMEOUT"] = 1
        response = request_link(client, "alice@acme.example")
        assert response.location == "/partner/login/sent"
        assert stalled.connections == []  # the request never went near SMTP

        started = time.monotonic()
        outcome = run_outbox(app)
        assert time.monotonic() - started < 5  # the worker gives up after MAIL_TIMEOUT
        assert outcome == {"queued": 1}
        assert len(stalled.connections) == 1
        (job,) = jobs(app)
        assert "timed out" in job.last_error
    finally:
        stalled.close()


def test_outage_then_recovery_delivers_exactly_once(app, client, smtp, alice, clock):
    point_mail_at(app, free_port())  # connection refused
    request_link(client, "alice@acme.example")

    assert run_outbox(app) == {"queued": 1}
    (job,) = jobs(app)
    assert job.attempts == 1
    assert job.next_attempt_at == clock.at + timedelta(seconds=30)
    assert run_outbox(app) == {}  # not due yet

    point_mail_at(app, app.config["MAIL_PORT"])  # the server is back
    clock.advance(seconds=30)
    assert run_outbox(app) == {"sent": 1}
    assert run_outbox(app) == {}
    (message,) = smtp.wait_for(1)
    assert len(smtp.delivered()) == 1

    # The link that arrived works; the one minted for the failed try was revoked.
    assert confirm(client, token_from(message)).location == "/partner/dashboard"
    with app.app_context():
        revoked = db.session.scalars(
            select(MagicLinkToken).where(MagicLinkToken.revoked_at.is_not(None))
        ).all()
        assert len(revoked) == 1
    assert [action for action, _ in audit_actions(app)] == ["email.sent"]


def test_421_is_retried_with_backoff(app, client, alice, replying, clock):
    handler, port = replying("421 Service not available, try later")
    point_mail_at(app, port)
    request_link(client, "alice@acme.example")
    assert run_outbox(app) == {"queued": 1}
    clock.advance(seconds=30)
    assert run_outbox(app) == {"queued": 1}
    (job,) = jobs(app)
    assert job.next_attempt_at == clock.at + timedelta(seconds=60)  # doubled
    assert job.last_reply_code == 421
    assert handler.attempts == 2


def test_550_is_not_retried_and_is_audited_with_its_code(app, client, alice, replying, clock):
    handler, port = replying("550 No such user here")
    point_mail_at(app, port)
    request_link(client, "alice@acme.example")
    assert run_outbox(app) == {"failed": 1}
    clock.advance(hours=2)
    assert run_outbox(app) == {}
    assert handler.attempts == 1
    ((action, details),) = audit_actions(app)
    assert action == "email.failed"
    assert details["reply_code"] == 550


def test_a_job_failing_for_an_hour_is_dropped_and_audited(app, client, alice, clock):
    point_mail_at(app, free_port())
    request_link(client, "alice@acme.example")
    tries = 0
    while jobs(app)[0].status == OutboxStatus.QUEUED:
        clock.set(jobs(app)[0].next_attempt_at)
        run_outbox(app)
        tries += 1
        assert tries < 20
    (job,) = jobs(app)
    assert job.status == "dropped"
    assert [action for action, _ in audit_actions(app)] == ["email.dropped"]
    assert job.finished_at - job.created_at <= timedelta(hours=1)


def test_unknown_and_inactive_addresses_are_queued_alike_but_never_sent(app, client, smtp):
    add_partner(app, "gone@acme.example")
    from partner_portal import partners

    with app.app_context():
        partners.deactivate_partner(actors.SYSTEM, partners.get_partner("gone@acme.example"))
        db.session.commit()
    request_link(client, "nobody@acme.example")
    request_link(client, "gone@acme.example")
    assert [job.kind for job in jobs(app)] == ["login_link", "login_link"]
    assert run_outbox(app) == {"skipped": 2}
    assert smtp.delivered() == []


def test_a_partner_deactivated_before_the_send_gets_no_link(app, client, smtp, alice):
    request_link(client, "alice@acme.example")
    from partner_portal import partners

    with app.app_context():
        partners.deactivate_partner(actors.SYSTEM, partners.get_partner("alice@acme.example"))
        db.session.commit()
    assert run_outbox(app) == {"skipped": 1}
    assert smtp.delivered() == []


def test_messages_carry_the_headers_mail_systems_trust(app, client, smtp, alice):
    add_partner(app, "mallory@acme.example", name='<b>Mallory</b> "&"')
    request_link(client, "mallory@acme.example")
    (message,) = smtp.wait_for(1)
    assert message.is_multipart()
    assert message.get_content_type() == "multipart/mixed" or message.get_content_type() == (
        "multipart/alternative"
    )
    assert message["From"] == "Partner Portal <noreply@portal.example>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@localhost>")
    assert message["Date"]
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "<b>Mallory</b>" not in html
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in html
    assert "http://" not in html.replace("http://localhost/partner/verify/", "")  # no remote assets
    assert "<img" not in html


def test_a_crashed_send_is_taken_over_after_the_claim_timeout(app, client, smtp, alice, clock):
    from partner_portal import outbox

    request_link(client, "alice@acme.example")
    with app.app_context():
        assert len(outbox.claim("crashed-worker")) == 1  # claimed, then the worker died
    assert run_outbox(app) == {}
    clock.advance(minutes=5, seconds=1)
    assert run_outbox(app) == {"sent": 1}
    assert len(smtp.wait_for(1)) == 1


def test_retry_now_requeues_a_failed_job(app, client, smtp, alice, replying):
    _, port = replying("550 rejected")
    point_mail_at(app, port)
    request_link(client, "alice@acme.example")
    run_outbox(app)
    from partner_portal import outbox

    with app.app_context():
        assert outbox.retry_now(actors.SYSTEM, jobs(app)[0]) is True
        db.session.commit()
        summary = outbox.summary()
        assert summary.counts["queued"] == 1
        assert summary.recent_errors[0].last_reply_code == 550
    point_mail_at(app, app.config["MAIL_PORT"])
    assert run_outbox(app) == {"sent": 1}


def test_two_worker_processes_draining_200_jobs_send_each_exactly_once(app, smtp, tmp_path, clock):
    from partner_portal import outbox
    from partner_portal.security.audit import SYSTEM

    # Workers run in their own processes with the real clock.
    clock.set(datetime.now(UTC) - timedelta(minutes=1))
    with app.app_context():
        db.session.execute(
            insert(Partner),
            [
                {
                    "email": f"p{i}@load.example",
                    "name": f"Partner {i}",
                    "is_active": True,
                    "created_at": clock.at,
                }
                for i in range(200)
            ],
        )
        for i in range(200):
            outbox.enqueue("login_link", f"p{i}@load.example", SYSTEM, purpose="login")
        db.session.commit()

    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PORTAL_BASE_URL": "http://localhost",
        "PORTAL_INSTANCE_PATH": str(tmp_path / "worker-instance"),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(app.config["MAIL_PORT"]),
        "FLASK_APP": "app.py",
    }
    command = [sys.executable, "-m", "flask", "mail", "send-pending"]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    workers = [
        subprocess.Popen(command, env=env, cwd=root, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs

    received = smtp.wait_for(200, timeout=10)
    assert len(received) == 200
    assert len({message["To"] for message in received}) == 200
    assert {job.status for job in jobs(app)} == {"sent"}
    with app.app_context():
        claimers = db.session.scalars(select(OutboxJob.claimed_by).distinct()).all()
        sent = db.session.scalar(select(func.count()).where(AuditEvent.action == "email.sent"))
    assert sent == 200
    assert len({claim.rsplit(":", 1)[0] for claim in claimers}) >= 1
    assert "sent" in outputs[0] + outputs[1]


def test_login_page_answer_is_unchanged_during_an_outage(app, client, smtp, alice):
    point_mail_at(app, free_port())
    response = request_link(client, "alice@acme.example")
    assert response.location == "/partner/login/sent"
    assert messages.LOGIN_LINK_REQUESTED in client.get(response.location).get_data(as_text=True)


def test_a_burst_during_a_one_minute_outage_gets_everyone_exactly_one_working_link(
    app, smtp, clock
):
    emails = [f"partner{i}@acme.example" for i in range(12)]
    for email in emails:
        add_partner(app, email, name=email.split("@")[0])
    point_mail_at(app, free_port())  # the mail server goes down

    for email in emails:  # the burst: every request answers at once, as usual
        assert request_link(app.test_client(), email).location == "/partner/login/sent"
    while clock.at < FROZEN_START + timedelta(minutes=1):
        run_outbox(app)  # the worker keeps trying
        clock.advance(seconds=10)
    assert smtp.messages == []

    point_mail_at(app, app.config["MAIL_PORT"])  # back after a minute
    for _ in range(12):
        clock.advance(seconds=10)
        run_outbox(app)
    received = smtp.wait_for(len(emails))
    assert sorted(message["To"] for message in received) == sorted(emails)  # one each
    for message in received:
        browser = app.test_client()
        assert confirm(browser, token_from(message)).location == "/partner/dashboard"
    story = [action for action, _ in audit_actions(app, "")]
    assert story.count("partner.login.requested") == len(emails)
    assert story.count("email.sent") == len(emails)
    assert story.count("partner.login") == len(emails)
