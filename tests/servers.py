"""Real gunicorn servers for the tests that need them, and a tiny cookie-keeping HTTP client."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from bs4 import BeautifulSoup

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: str

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")

    def json(self) -> object:
        return json.loads(self.body)

    def form_fields(self, action: str) -> dict[str, str]:
        """Return the hidden inputs (CSRF token included) of the form posting to ``action``."""
        form = BeautifulSoup(self.body, "html.parser").find("form", attrs={"action": action})
        assert form is not None, f"no form posting to {action}"
        return {
            tag["name"]: tag.get("value", "")
            for tag in form.find_all("input")
            if tag.get("name") and tag.get("type") == "hidden"
        }


@dataclass
class Browser:
    """Keeps cookies like a browser (for one site), follows no redirects."""

    port: int
    host: str = "localhost"
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str | None = None
    ) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Host": self.host}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            reply = Reply(response.status, response.headers, response.read().decode())
        finally:
            connection.close()
        for header in reply.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                expired = morsel["max-age"] == "0" or "1970" in morsel["expires"]
                if expired or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return reply

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict[str, str]) -> Reply:
        return self.request(
            "POST", path, urlencode(fields).encode(), "application/x-www-form-urlencoded"
        )

    def post_json(self, path: str, payload: dict[str, object]) -> Reply:
        return self.request("POST", path, json.dumps(payload).encode(), "application/json")

    def submit(self, page: str, action: str, fields: dict[str, str] | None = None) -> Reply:
        """Open ``page``, fill the form posting to ``action`` (CSRF and all), submit it."""
        data = self.get(page).form_fields(action)
        data.update(fields or {})
        return self.post_form(action, data)


def server_environment(database_url: str, smtp: tuple[str, int], instance: str) -> dict[str, str]:
    """What a live portal is started with: a database, a fresh secret key, a mail server."""
    host, port = smtp
    return {
        "PORTAL_ENV": "development",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        "PORTAL_BASE_URL": "http://localhost",
        "MAIL_SERVER": host,
        "MAIL_PORT": str(port),
        "PORTAL_INSTANCE_PATH": instance,
    }


@contextmanager
def gunicorn(port: int, environment: dict[str, str], workers: int, log_dir: str) -> Iterator[str]:
    """Serve the portal with the repository's gunicorn.conf.py; yield the access log's path."""
    access_log = os.path.join(log_dir, f"access-{port}.log")
    error_log = os.path.join(log_dir, f"error-{port}.log")
    env = {
        **os.environ,
        **environment,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_ACCESS_LOG": access_log,
        "GUNICORN_ERROR_LOG": error_log,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_healthy(port, process, error_log)
        yield access_log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def send_pending(environment: dict[str, str]) -> str:
    """Deliver the queued mail as production does: `flask mail send-pending`, in its own process.

    It runs on the real clock, like the servers that queued the jobs (the test
    process's clock is frozen, so it must not be the one deciding what is due).
    """
    finished = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "mail", "send-pending"],
        cwd=ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout


def wait_until_healthy(port: int, process: subprocess.Popen, error_log: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if Browser(port).get("/healthz").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    log = Path(error_log).read_text() if os.path.exists(error_log) else ""
    raise AssertionError(f"gunicorn on port {port} did not become healthy:\n{log}")
