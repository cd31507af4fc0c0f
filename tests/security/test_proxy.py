"""Attack: forge X-Forwarded-For to look like a new client and reset the per-IP counters.

Defence: the client address is the socket's unless TRUSTED_PROXY_COUNT says
how many proxies in front of us append to X-Forwarded-For; then ProxyFix takes
the address that many hops from the right, the one our own proxy saw. What a
client writes to the left of it is ignored.
"""

from __future__ import annotations

from sqlalchemy import select

from partner_portal import create_app
from partner_portal.extensions import db
from partner_portal.models import AuditEvent

from ..helpers import form_data


def ask(client, email: str, forwarded_for: str | None):  # noqa: ANN201
    data = form_data(client.get("/partner/login"), "/partner/login")
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post("/partner/login", data={**data, "email": email}, headers=headers)


def requested_from(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.ip_address)
                .where(AuditEvent.action == "partner.login.requested")
                .order_by(AuditEvent.id)
            )
        )


def test_with_no_trusted_proxy_a_forged_header_changes_nothing(app, smtp):
    assert app.config["TRUSTED_PROXY_COUNT"] == 0
    client = app.test_client()
    for i in range(20):
        assert ask(client, f"p{i}@acme.example", f"10.0.0.{i}").status_code == 303
    # A fresh forged address on every request: still the same socket, still counted.
    assert ask(client, "p99@acme.example", "10.9.9.9").status_code == 429
    assert set(requested_from(app)) == {"127.0.0.1"}


def test_the_count_is_read_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TRUSTED_PROXY_COUNT", "2")
    # Behind a proxy the public development key is refused (test_development_defaults.py).
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    assert create_app({"TESTING": True}).config["TRUSTED_PROXY_COUNT"] == 2


def test_behind_one_proxy_the_right_most_address_is_the_client(app_behind_proxy, smtp):
    app = app_behind_proxy
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.1"  # the proxy itself
    # The client forges a left-hand part; our proxy appends what it really saw.
    for i in range(20):
        response = ask(client, f"p{i}@acme.example", f"192.0.2.{i}, 203.0.113.5")
        assert response.status_code == 303
    assert ask(client, "p99@acme.example", "198.51.100.1, 203.0.113.5").status_code == 429
    assert set(requested_from(app)) == {"203.0.113.5"}
    # A different real client behind the same proxy has its own counter.
    assert ask(client, "p98@acme.example", "203.0.113.6").status_code == 303


def test_behind_one_proxy_a_forged_host_header_is_not_trusted(app_behind_proxy, smtp):
    client = app_behind_proxy.test_client()
    response = ask(client, "nobody@acme.example", "203.0.113.5")
    assert response.location == "/partner/login/sent"
    page = client.get("/partner/login", headers={"X-Forwarded-Host": "evil.example"})
    assert "evil.example" not in page.get_data(as_text=True)


def test_behind_one_proxy_the_scheme_and_client_come_from_the_proxy(app_behind_proxy):
    seen = {}

    @app_behind_proxy.get("/__whoami")
    def whoami() -> str:
        from flask import request

        seen.update(scheme=request.scheme, remote=request.remote_addr, host=request.host)
        return ""

    app_behind_proxy.test_client().get(
        "/__whoami",
        headers={
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "1.2.3.4",
            "X-Forwarded-Host": "evil.example",
        },
    )
    assert seen == {"scheme": "https", "remote": "1.2.3.4", "host": "localhost"}
