"""Browser fixtures: the real portal (gunicorn + mail worker) and Debian's Chromium.

When Chromium is not installed these tests are skipped with a message saying
how to install it; `.ci/run` installs it, so CI always runs them.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from partner_portal import create_app
from partner_portal.extensions import db

from ..conftest import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "tests" / "browser" / "node_modules"
# Real Argon2id for staff passwords, at a development cost so sign-ins stay quick.
CHEAP_ARGON2 = {
    "PASSWORD_HASH_TIME_COST": "1",
    "PASSWORD_HASH_MEMORY_KIB": "1024",
    "PASSWORD_HASH_PARALLELISM": "1",
}

if not os.path.exists(CHROMIUM):
    pytest.skip(
        "Chromium is not installed: run `apt-get install chromium` (Debian) to run the browser "
        "tests; .ci/run installs it.",
        allow_module_level=True,
    )

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -r requirements-dev.txt")


@dataclass
class LivePortal:
    """A portal served by gunicorn with its mail worker, on its own database."""

    url: str
    database: str
    app: object  # an in-process app on the same database, for setup and inspection

    def path(self, path: str) -> str:
        return self.url + path


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@pytest.fixture(scope="module")
def live_portal(tmp_path_factory, migrated_template, smtp_server) -> Iterator[LivePortal]:
    """Serve the portal as an operator would: gunicorn, 2 workers, plus `flask mail worker`."""
    controller, _ = smtp_server
    folder = tmp_path_factory.mktemp("live")
    database = folder / "portal.sqlite"
    shutil.copyfile(migrated_template, database)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "PORTAL_BASE_URL": url,
        "PORTAL_INSTANCE_PATH": str(folder / "instance"),
        "MAIL_SERVER": controller.hostname,
        "MAIL_PORT": str(controller.port),
        "MAIL_DEFAULT_SENDER": "Partner Portal <noreply@portal.example>",
        "OUTBOX_POLL_INTERVAL_MS": "100",
        # Every browser here signs in from 127.0.0.1; the limits have their own tests.
        "RATE_LIMIT_PER_IP": "100000",
        "RATE_LIMIT_PER_EMAIL": "100000",
        "FLASK_APP": "app.py",
        **CHEAP_ARGON2,
    }
    logs = open(folder / "server.log", "w")  # noqa: SIM115 - closed below
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "app:app"],
        cwd=ROOT,
        env=env,
        stdout=logs,
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "mail", "worker"],
        cwd=ROOT,
        env=env,
        stdout=logs,
        stderr=subprocess.STDOUT,
    )
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "PORTAL_BASE_URL": url,
            "MAIL_SERVER": controller.hostname,
            "MAIL_PORT": controller.port,
            "MAIL_TO_DEV_MAILBOX": False,
            **{name: int(value) for name, value in CHEAP_ARGON2.items()},
        }
    )
    app.instance_path = str(folder / "instance")  # share the server's development mailbox
    try:
        wait_until_up(url + "/partner/login", web)
        yield LivePortal(url=url, database=str(database), app=app)
    finally:
        web.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown: nothing left to finish
        worker.terminate()
        for process in (web, worker):
            process.wait(timeout=10)
        logs.close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):  # noqa: ANN001, ANN201
    """A fresh browser tab in its own context (its own cookies)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


@pytest.fixture
def other_page(browser):  # noqa: ANN001, ANN201
    """A second tab in a context of its own: another person's browser."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()
