"""Fixtures: a migrated database per test, a real SMTP server, a frozen clock.

The suite runs on SQLite by default and on PostgreSQL with
``pytest --engine=postgresql`` (``TEST_DATABASE_URL`` names a server and a role
that may create databases; ``make test`` does both runs when it is set).
On PostgreSQL one fresh database is created and migrated per run, and every
test starts from empty tables (TRUNCATE is far quicker than re-migrating).
"""

from __future__ import annotations

import os
import secrets
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
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from partner_portal import clock as portal_clock
from partner_portal import create_app
from partner_portal.extensions import db

FROZEN_AT = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
ENGINES = ("sqlite", "postgresql")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--engine",
        choices=ENGINES,
        default="sqlite",
        help="database engine to run the suite on (postgresql needs TEST_DATABASE_URL)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: the test is about SQLite itself")
    config.addinivalue_line("markers", "postgresql_only: the test needs a PostgreSQL server")
    if config.getoption("engine") == "postgresql" and not os.environ.get("TEST_DATABASE_URL"):
        raise pytest.UsageError("--engine=postgresql needs TEST_DATABASE_URL")


def pytest_report_header(config: pytest.Config) -> str:
    return f"database engine: {config.getoption('engine')}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    engine = config.getoption("engine")
    for item in items:
        if engine != "sqlite" and item.get_closest_marker("sqlite_only"):
            item.add_marker(pytest.mark.skip(reason="SQLite-specific; this run is on PostgreSQL"))
        if engine != "postgresql" and item.get_closest_marker("postgresql_only"):
            item.add_marker(
                pytest.mark.skip(
                    reason="needs PostgreSQL: set TEST_DATABASE_URL and run "
                    "pytest --engine=postgresql (make test does when it is set)"
                )
            )


@pytest.fixture(scope="session")
def engine_name(pytestconfig: pytest.Config) -> str:
    """The engine this run is on: ``sqlite`` or ``postgresql``."""
    return pytestconfig.getoption("engine")


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


@pytest.fixture(scope="session")
def postgres_url(engine_name: str) -> Iterator[str | None]:
    """A fresh, migrated PostgreSQL database for this run (dropped at the end), or None."""
    if engine_name != "postgresql":
        yield None
        return
    import flask_migrate

    server = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"portal_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def truncate_all(postgres_url: str | None) -> Iterator[object]:
    """Return a function that empties every table of the run's PostgreSQL database."""
    if postgres_url is None:
        yield None
        return
    engine = create_engine(postgres_url, pool_pre_ping=True)
    tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)

    def truncate() -> None:
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))

    yield truncate
    engine.dispose()


@pytest.fixture
def database_url(tmp_path, engine_name: str, request: pytest.FixtureRequest) -> str:
    """A migrated, empty database for one test: a copied SQLite file, or truncated tables."""
    if engine_name == "sqlite":
        template = request.getfixturevalue("migrated_template")
        database = tmp_path / "portal.sqlite"
        shutil.copyfile(template, database)
        return f"sqlite:///{database}"
    request.getfixturevalue("truncate_all")()
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def unreachable_database_url(engine_name: str, tmp_path) -> str:
    """A database URL of the run's engine that cannot be reached: the database is down."""
    if engine_name == "sqlite":
        return f"sqlite:///{tmp_path}/no-such-directory/portal.sqlite"
    server = make_url(os.environ["TEST_DATABASE_URL"])
    return server.set(host="127.0.0.1", port=free_port()).render_as_string(hide_password=False)


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
    tmp_path, database_url: str, smtp_server, clock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """A portal on its own migrated database, mailing the real test SMTP server."""
    controller, inbox = smtp_server
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
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
def admin(app: Flask, client: FlaskClient) -> int:
    """A member of staff, signed in to the console on ``client``; returns their id."""
    from .helpers import add_admin, admin_sign_in

    admin_id = add_admin(app)
    admin_sign_in(client)
    return admin_id


@pytest.fixture
def alice(app: Flask) -> int:
    """Alice Martin of Acme, an active partner (alice@acme.example); returns her id.

    Files that need more of her (signed in, granted pages) build on this under
    their own name: ``alice_browser`` is her signed-in test client.
    """
    from .helpers import add_partner

    return add_partner(app, "alice@acme.example", name="Alice Martin", company="Acme")


@pytest.fixture
def console(client: FlaskClient, admin: int) -> FlaskClient:
    """The test client, signed in to the console (for tests that read it as the admin's browser)."""
    return client


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
