"""Attack: Host header poisoning, so the emailed link points at the attacker's server.

Defence: links are built only from PORTAL_BASE_URL, and Flask's TRUSTED_HOSTS
(set from it in config.py) answers 400 to any other Host before a view runs.
X-Forwarded-Host is never trusted, even behind a trusted proxy.
"""

from __future__ import annotations

from sqlalchemy import func, select

from partner_portal.extensions import db
from partner_portal.models import OutboxJob

from ..helpers import add_partner, form_data, token_from


def test_a_foreign_host_is_refused_before_any_view_runs(app, client, smtp):
    add_partner(app, "alice@acme.example")
    csrf = form_data(client.get("/partner/login"), "/partner/login")["csrf_token"]
    response = client.post(
        "/partner/login",
        data={"csrf_token": csrf, "email": "alice@acme.example"},
        base_url="http://evil.example",
    )
    assert response.status_code == 400
    assert "evil.example" not in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxJob)) == 0


def test_the_link_comes_from_the_base_url_whatever_host_the_request_used(app, smtp):
    add_partner(app, "alice@acme.example")
    for host in ("http://127.0.0.1", "http://localhost:8080"):
        client = app.test_client()
        page = client.get("/partner/login", base_url=host)
        assert page.status_code == 200
        data = form_data(page, "/partner/login")
        client.post("/partner/login", data={**data, "email": "alice@acme.example"}, base_url=host)
    for message in smtp.wait_for(2):
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert f"http://localhost/partner/verify/{token_from(message)}" in text
        # (The email names the asking IP, 127.0.0.1 here, but no URL on that host.)
        assert "//127.0.0.1" not in text
        assert "8080" not in text


def test_x_forwarded_host_is_ignored_even_behind_a_trusted_proxy(app_behind_proxy, smtp):
    app = app_behind_proxy
    add_partner(app, "alice@acme.example")
    client = app.test_client()
    headers = {"X-Forwarded-Host": "evil.example", "X-Forwarded-For": "203.0.113.5"}
    data = form_data(client.get("/partner/login", headers=headers), "/partner/login")
    response = client.post(
        "/partner/login", data={**data, "email": "alice@acme.example"}, headers=headers
    )
    assert response.location == "/partner/login/sent"
    text = smtp.wait_for(1)[0].get_body(preferencelist=("plain",)).get_content()
    assert "evil.example" not in text


def test_production_trusts_only_the_public_host(monkeypatch, tmp_path):
    from partner_portal import create_app

    for name, value in {
        "PORTAL_ENV": "production",
        "SECRET_KEY": "s" * 48,
        "PORTAL_BASE_URL": "https://partners.example.com",
        "MAIL_SERVER": "smtp.example.com",
        "PORTAL_INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite'}",
    }.items():
        monkeypatch.setenv(name, value)
    client = create_app().test_client()
    for host in ("https://localhost", "https://127.0.0.1", "https://partners.example.com.evil"):
        assert client.get("/partner/login", base_url=host).status_code == 400, host
