"""Fixtures: a migrated database per test, a real SMTP server, a frozen clock."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from partner_portal import clock as portal_clock
from partner_portal import create_app
from partner_portal.extensions import db

FROZEN_AT = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._arrived = threading.Condition()
        # Requests only queue mail; this runs the outbox once, as
        # `flask mail send-pending` would (set by the app fixture).
        self.run_outbox: Callable[[], object] = lambda: None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        with self._arrived:
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def delivered(self) -> list[EmailMessage]:
        """Deliver what the outbox holds now, then return every message received."""
        self.run_outbox()
        with self._arrived:
            return list(self.messages)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        """Deliver the outbox, then wait until ``count`` messages have arrived; return them."""
        self.run_outbox()
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} messages, got {len(self.messages)}")
                self._arrived.wait(remaining)
            return list(self.messages)

    def wait_until(self, find: Callable[[list[EmailMessage]], object], timeout: float = 10.0):  # noqa: ANN201
        """Wait until ``find(messages)`` returns something (e.g. a message); return it.

        The outbox is not run: for a live portal whose own mail worker delivers.
        """
        with self._arrived:
            found = self._arrived.wait_for(lambda: find(self.messages), timeout)
        if not found:
            raise AssertionError(f"no such message among {len(self.messages)} received")
        return found

    def clear(self) -> None:
        with self._arrived:
            self.messages.clear()
            self.envelopes.clear()


def free_port() -> int:
    """Return a loopback TCP port that is free right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def smtp(smtp_server: tuple[Controller, Inbox]) -> Inbox:
    """The real SMTP server's inbox, empty at the start of each test."""
    _, inbox = smtp_server
    inbox.clear()
    return inbox


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Build the schema once by running the migrations; each test copies the file."""
    import flask_migrate

    folder = tmp_path_factory.mktemp("template-db")
    path = os.path.join(folder, "template.sqlite")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True})
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return path


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    """Freeze the portal's clock; move it with ``clock.advance(minutes=16)``."""
    frozen = FrozenClock(FROZEN_AT)
    yield frozen
    portal_clock.freeze(None)


class FrozenClock:
    def __init__(self, at: datetime) -> None:
        self.set(at)

    def set(self, at: datetime) -> None:
        self.at = at
        portal_clock.freeze(at)

    def advance(self, **kwargs: float) -> None:
        self.set(self.at + timedelta(**kwargs))


@pytest.fixture
def app(
    tmp_path, migrated_template: str, smtp_server, clock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """A portal on its own migrated SQLite database, mailing the real test SMTP server."""
    controller, inbox = smtp_server
    database = tmp_path / "portal.sqlite"
    shutil.copyfile(migrated_template, database)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "PORTAL_BASE_URL": "http://localhost",
            "MAIL_SERVER": controller.hostname,
            "MAIL_PORT": controller.port,
            "MAIL_TO_DEV_MAILBOX": False,
            "MAIL_SUPPRESS_SEND": False,
            "MAIL_DEFAULT_SENDER": "Partner Portal <noreply@portal.example>",
            # Real Argon2id, at a cost that keeps hundreds of sign-ins fast.
            "PASSWORD_HASH_TIME_COST": 1,
            "PASSWORD_HASH_MEMORY_KIB": 1024,
            "PASSWORD_HASH_PARALLELISM": 1,
        }
    )
    inbox.run_outbox = lambda: run_outbox(app)
    yield app
    inbox.run_outbox = lambda: None
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def run_outbox(app: Flask):  # noqa: ANN201 - Counter
    """Deliver every due outbox job once, in-process (what `flask mail send-pending` does)."""
    from partner_portal import outbox

    with app.app_context():
        return outbox.send_pending("test-worker")


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
