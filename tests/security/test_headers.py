"""Attacks: clickjacking, MIME sniffing, injected script, cached personal pages, fingerprinting.

Defence: ``web.add_security_headers`` runs on every response the app makes,
pages, redirects and error pages alike: a CSP with no inline script or style
and ``frame-ancestors 'none'``, ``nosniff``, a strict Referrer-Policy,
``no-store``, HSTS in production. The app never names its server software;
gunicorn names itself without a version.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time

import pytest

from partner_portal import create_app

from ..conftest import free_port
from ..helpers import add_partner, sign_in, soup

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def boom(app):
    """A route that fails the way a bug would, with exceptions handled as in production."""

    @app.get("/__boom")
    def explode() -> str:
        raise RuntimeError("secret detail: password=hunter2")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.testing = False
    return "/__boom"


def responses(app, client, boom):  # noqa: ANN001, ANN201 - {name: TestResponse}
    csrf_less = client.post("/partner/login", data={"email": "x@acme.example"})
    return {
        "page": client.get("/partner/login"),
        "redirect": client.get("/"),
        "login redirect": client.get("/partner/dashboard"),
        "csrf redirect": csrf_less,
        "not found": client.get("/no/such/page"),
        "method not allowed": client.get("/partner/logout"),
        "too large": client.post("/partner/login", data={"email": "x" * 100_000}),
        "server error": client.get(boom),
        "api json": client.get("/api/partner/auth/me"),
        "api not found": client.get("/api/partner/nope"),
        "foreign host": client.get("/partner/login", base_url="http://evil.example"),
        "static": client.get("/static/portal.css"),
    }


def test_every_response_carries_the_security_headers(app, client, boom):
    for name, response in responses(app, client, boom).items():
        headers = response.headers
        csp = headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp, name
        assert "default-src 'none'" in csp, name
        assert "unsafe-inline" not in csp, name
        assert "script-src" not in csp, name  # no script at all, inline or not
        assert headers.get("X-Content-Type-Options") == "nosniff", name
        assert headers.get("Referrer-Policy") in ("strict-origin-when-cross-origin", "no-referrer")
        assert headers.get("X-Frame-Options") == "DENY", name
        assert "Server" not in headers, name
        assert "X-Powered-By" not in headers, name
        assert "Strict-Transport-Security" not in headers, name  # development: plain HTTP
        if name != "static":
            assert headers.get("Cache-Control") == "no-store", name
    codes = {name: r.status_code for name, r in responses(app, app.test_client(), boom).items()}
    assert codes["server error"] == 500
    assert codes["too large"] == 413
    assert codes["foreign host"] == 400


def test_error_pages_show_no_stack_trace_or_detail(app, client, boom):
    for name, response in responses(app, client, boom).items():
        body = response.get_data(as_text=True)
        assert "Traceback" not in body, name
        assert "hunter2" not in body, name
        assert "werkzeug" not in body.lower(), name


def test_signed_in_pages_and_link_pages_are_never_cached(app, client, smtp):
    add_partner(app, "alice@acme.example")
    sign_in(client, smtp, "alice@acme.example")
    for url in ("/partner/dashboard", "/partner/account", "/api/partner/auth/me"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url


def test_pages_contain_no_inline_script_or_style(app, client, smtp):
    add_partner(app, "alice@acme.example")
    pages = [client.get("/partner/login"), client.get("/partner/login/sent")]
    sign_in(client, smtp, "alice@acme.example")
    pages += [client.get("/partner/dashboard"), client.get("/partner/account")]
    for page in pages:
        html = soup(page)
        assert html.find("script") is None
        assert html.find(attrs={"style": True}) is None
        assert not [
            tag for tag in html.find_all(True) if any(a.startswith("on") for a in tag.attrs)
        ]


def test_production_adds_hsts(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    app = create_app(
        {
            "PORTAL_ENV": "production",
            "IS_PRODUCTION": True,
            "SECRET_KEY": "s" * 48,
            "PORTAL_BASE_URL": "https://partners.example.com",
            "MAIL_SERVER_CONFIGURED": True,
            "TRUSTED_HOSTS": ["partners.example.com"],
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite'}",
        }
    )
    client = app.test_client()
    for response in (
        client.get("/no/such/page", base_url="https://partners.example.com"),
        client.get("/partner/login", base_url="https://evil.example"),
    ):
        assert response.headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains"
        )


def test_gunicorn_names_no_version(app):
    """The real server, as deployed: its Server header carries no version to look up."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PORTAL_BASE_URL": "http://localhost",
        "PORTAL_INSTANCE_PATH": app.instance_path,
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "app:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/partner/login", headers={"Host": "localhost"})
                response = connection.getresponse()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        assert response.status == 200
        assert response.getheader("Server") == "gunicorn"
        assert response.getheader("X-Content-Type-Options") == "nosniff"
        assert "frame-ancestors 'none'" in response.getheader("Content-Security-Policy")
    finally:
        server.terminate()
        server.wait(timeout=10)
