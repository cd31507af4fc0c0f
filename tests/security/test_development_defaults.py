"""Attack: the development defaults as a master key (issue 10, finding 1).

With PORTAL_ENV and SECRET_KEY unset the key is a public constant: anyone can
forge the signed anonymous cookie (``{"pending_link": <id>}``) and take over
an account, and the development mailbox shows every link sent. A portal
started as ``make run`` and reached through a reverse proxy, or on a public
address, was exploitable as it stood.

Defence: the development key and the development mailbox work only on a
loopback base URL (localhost, 127.0.0.0/8, [::1]); anywhere else (or behind a
declared proxy) the portal refuses to start, naming SECRET_KEY. The mailbox
answers only a browser on this machine talking to us directly: the socket's
peer must be loopback and no forwarding header may be present.
"""

from __future__ import annotations

import pytest
from flask import Flask
from itsdangerous import URLSafeTimedSerializer

from partner_portal import create_app
from partner_portal.config import DEV_SECRET_KEY, ConfigError

from ..helpers import add_partner, request_link, soup

REAL_KEY = "r" * 48


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """Start from an empty environment: development, no key, no base URL."""

    def apply(values: dict[str, str]) -> None:
        for name in ("PORTAL_ENV", "SECRET_KEY", "PORTAL_BASE_URL", "TRUSTED_PROXY_COUNT"):
            monkeypatch.delenv(name, raising=False)
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite'}")

    return apply


@pytest.mark.parametrize(
    "base_url",
    [
        "https://partners.example.com",
        "http://portal.example.com:5000",
        "http://192.168.1.20:5000",
        "http://10.0.0.5",
        "http://localhost.evil.example",
        "http://127.0.0.1.nip.io:5000",
    ],
)
def test_the_development_key_refuses_to_start_on_a_public_base_url(environment, base_url):
    environment({"PORTAL_BASE_URL": base_url})
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_the_development_key_refuses_to_start_behind_a_reverse_proxy(environment):
    # make run behind nginx: the base URL is still 127.0.0.1, but a proxy is declared.
    environment({"TRUSTED_PROXY_COUNT": "1"})
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


@pytest.mark.parametrize("weak", [DEV_SECRET_KEY, "short-key"])
def test_a_weak_key_is_no_better_than_none(environment, weak):
    environment({"PORTAL_BASE_URL": "https://partners.example.com", "SECRET_KEY": weak})
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


@pytest.mark.parametrize(
    "base_url", ["", "http://localhost:5000", "http://127.0.0.2:8000", "http://[::1]:5000"]
)
def test_loopback_development_still_needs_no_settings(environment, base_url):
    environment({"PORTAL_BASE_URL": base_url} if base_url else {})
    app = create_app()
    assert app.secret_key == DEV_SECRET_KEY
    assert "dev.list_messages" in app.view_functions


def test_a_public_development_portal_with_a_real_key_starts_without_the_mailbox(environment):
    environment({"PORTAL_BASE_URL": "https://staging.example.com", "SECRET_KEY": REAL_KEY})
    app = create_app()
    assert "dev.list_messages" not in app.view_functions
    assert app.config["MAIL_TO_DEV_MAILBOX"] is False
    client = app.test_client()
    response = client.get("/dev/mailbox", base_url="https://staging.example.com")
    assert response.status_code == 404
    # The pages no longer link to it (and do not break trying to).
    login = client.get("/partner/login", base_url="https://staging.example.com")
    assert login.status_code == 200
    assert not soup(login).find("a", href="/dev/mailbox")


def test_a_pre_session_forged_with_the_development_key_is_worthless_on_a_real_key(
    app, client, smtp
):
    """The attack itself: a ``pending_link`` forged with the public development key.

    Two defences stop it: a link is bound to its token's hash (finding 2), so even
    on the development key a forged id names nobody; and on a real key the forged
    cookie is not even read.
    """
    add_partner(app, "alice@acme.example")
    request_link(app.test_client(), "alice@acme.example")
    smtp.wait_for(1)
    forged = URLSafeTimedSerializer(
        DEV_SECRET_KEY, salt="partner-portal.partner.pre-session"
    ).dumps({"pending_link": 1})
    client.set_cookie("partner.pre", forged)
    page = client.get("/partner/verify")
    assert "alice@acme.example" not in page.get_data(as_text=True)
    assert page.location.startswith("/partner/login")

    app.config.update(SECRET_KEY=REAL_KEY, WTF_CSRF_SECRET_KEY=[REAL_KEY])
    stranger = app.test_client()
    stranger.set_cookie("partner.pre", forged)
    page = stranger.get("/partner/verify")
    assert "alice@acme.example" not in page.get_data(as_text=True)
    assert page.location.startswith("/partner/login")


# -- the development mailbox ---------------------------------------------------


@pytest.fixture
def mailbox_app(app: Flask) -> Flask:
    app.config["MAIL_TO_DEV_MAILBOX"] = True
    return app


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_the_mailbox_answers_a_browser_on_this_machine(mailbox_app, address):
    client = mailbox_app.test_client()
    response = client.get("/dev/mailbox", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "address", ["203.0.113.5", "192.168.1.20", "2001:db8::1", "::ffff:10.0.0.1"]
)
def test_the_mailbox_is_a_404_to_anyone_else(mailbox_app, address):
    client = mailbox_app.test_client()
    for path in ("/dev/mailbox", "/dev/mailbox/20261121T093000000000-abcd"):
        response = client.get(path, environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 404, (path, address)


@pytest.mark.parametrize(
    "header",
    [
        ("X-Forwarded-For", "198.51.100.7"),
        ("X-Forwarded-For", "127.0.0.1"),
        ("X-Real-IP", "198.51.100.7"),
        ("Forwarded", "for=198.51.100.7"),
    ],
)
def test_the_mailbox_refuses_requests_relayed_by_a_proxy_on_this_machine(mailbox_app, header):
    # The socket's peer is loopback (a proxy on the same host), but the request
    # says it was forwarded: it came from somewhere else.
    client = mailbox_app.test_client()
    response = client.get(
        "/dev/mailbox", headers=[header], environ_base={"REMOTE_ADDR": "127.0.0.1"}
    )
    assert response.status_code == 404


def test_the_mailbox_judges_the_socket_not_the_forwarded_address(mailbox_app):
    """Behind ProxyFix, ``remote_addr`` is what the header says; the mailbox ignores it."""
    from partner_portal import register_proxy

    mailbox_app.config["TRUSTED_PROXY_COUNT"] = 1
    register_proxy(mailbox_app)
    client = mailbox_app.test_client()
    for socket_peer in ("203.0.113.5", "127.0.0.1"):
        response = client.get(
            "/dev/mailbox",
            headers={"X-Forwarded-For": "127.0.0.1"},
            environ_base={"REMOTE_ADDR": socket_peer},
        )
        assert response.status_code == 404, socket_peer
