"""Attack: plant or overwrite a session cookie, or find a session's remains after sign-out
(issue 10, finding 14).

A sibling subdomain, or a plain-http page on the same host, can set a cookie
named ``partner.sid`` that the browser then sends to the portal; and a
sign-out that only forgets the server-side row leaves the cookie and the
pages of the session in the browser.

Defence: wherever cookies are Secure (everywhere but plain-http loopback
development) every cookie is named ``__Host-…``: the browser accepts it only
Secure, host-only and ``Path=/``, so nobody else can set it. Every sign-out
(pages and API, partner and staff, and a session ended for expiry or
deactivation) deletes the session cookie explicitly and sends
``Clear-Site-Data: "cache", "storage"`` — not ``"cookies"``, which would also
delete the staff device cookie that keeps an admin from being locked out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from partner_portal import create_app
from partner_portal.extensions import db

from ..conftest import run_outbox
from ..helpers import (
    ADMIN_PASSWORD,
    add_admin,
    add_partner,
    admin_sign_in,
    form_data,
    sign_in,
    submit,
)

PUBLIC = "partners.example.com"
LINK = re.compile(rf"https://{re.escape(PUBLIC)}(/partner/verify/[A-Za-z0-9_-]+)")
CLEARED = '"cache", "storage"'


def set_cookies(response, name: str) -> list[str]:  # noqa: ANN001
    """Return the Set-Cookie headers of a response for cookie ``name``."""
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]


def deletes(response, name: str) -> bool:  # noqa: ANN001
    """Return whether the response expires cookie ``name``."""
    return any(
        "Expires=Thu, 01 Jan 1970" in header or "Max-Age=0" in header
        for header in set_cookies(response, name)
    )


@pytest.fixture
def production(database_url, smtp_server, monkeypatch, tmp_path) -> Iterator[Flask]:
    """The portal as deployed: production settings, https, its own host name."""
    controller, _ = smtp_server
    for name, value in {
        "PORTAL_ENV": "production",
        "SECRET_KEY": "p" * 48,
        "PORTAL_BASE_URL": f"https://{PUBLIC}",
        "MAIL_SERVER": controller.hostname,
        "MAIL_PORT": str(controller.port),
        "MAIL_DEFAULT_SENDER": "Partner Portal <noreply@partners.example.com>",
        "DATABASE_URL": database_url,
        "PORTAL_INSTANCE_PATH": str(tmp_path / "instance"),
    }.items():
        monkeypatch.setenv(name, value)
    app = create_app({"TESTING": True, "MAIL_SUPPRESS_SEND": False, "SERVER_NAME": PUBLIC})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def post_form(client: FlaskClient, page: str, action: str, fields: dict[str, str] | None = None):  # noqa: ANN201
    """Submit a form over https as a browser does (with the Referer CSRF checks there)."""
    data = {**form_data(client.get(page), action), **(fields or {})}
    return client.post(action, data=data, headers={"Referer": f"https://{PUBLIC}{page}"})


def production_sign_in(app: Flask, client: FlaskClient, smtp, email: str):  # noqa: ANN001, ANN201
    """Sign a partner in on the production portal; return the confirming POST's response."""
    post_form(client, "/partner/login", "/partner/login", {"email": email})
    run_outbox(app)
    text = smtp.wait_for(1)[-1].get_body(preferencelist=("plain",)).get_content()
    client.get(LINK.search(text).group(1))
    return post_form(client, "/partner/verify", "/partner/verify")


def test_production_cookies_carry_the_host_prefix_and_its_attributes(production, smtp):
    add_partner(production, "alice@acme.example")
    client = production.test_client()
    (pre,) = set_cookies(client.get("/partner/login"), "__Host-partner.pre")
    response = production_sign_in(production, client, smtp, "alice@acme.example")
    assert response.status_code == 303

    (sid,) = set_cookies(response, "__Host-partner.sid")
    (device,) = set_cookies(response, "__Host-partner.device")
    for header in (pre, sid, device):
        assert "; Secure" in header
        assert "; Path=/" in header
        assert "; HttpOnly" in header
        assert "Domain=" not in header
    # No cookie of ours goes out under its plain name in production.
    names = {h.split("=", 1)[0] for h in response.headers.getlist("Set-Cookie")}
    assert all(name.startswith("__Host-") for name in names), names


def test_a_plain_named_cookie_planted_by_a_sibling_is_never_read(production, smtp):
    add_partner(production, "alice@acme.example")
    victim = production.test_client()
    production_sign_in(production, victim, smtp, "alice@acme.example")
    sid = victim.get_cookie("__Host-partner.sid", domain=PUBLIC).value
    # The same value under the plain name (what a sibling subdomain could set) is nothing.
    planted = production.test_client()
    planted.set_cookie("partner.sid", sid, domain=PUBLIC)
    assert planted.get("/partner/dashboard").status_code == 302
    assert victim.get("/partner/dashboard").status_code == 200


def test_staff_cookies_carry_the_host_prefix_in_production(production):
    add_admin(production)
    client = production.test_client()
    response = post_form(
        client,
        "/admin/login",
        "/admin/login",
        {"email": "ops@portal.example", "password": ADMIN_PASSWORD},
    )
    assert response.status_code == 303
    for name in ("__Host-oncall.sid", "__Host-oncall.device"):
        (header,) = set_cookies(response, name)
        assert "; Secure" in header
        assert "; Path=/" in header
        assert "Domain=" not in header


def test_plain_http_loopback_development_keeps_the_plain_names(app, client, smtp):
    add_partner(app, "alice@acme.example")
    response = sign_in(client, smtp, "alice@acme.example")
    assert set_cookies(response, "partner.sid")
    assert not [h for h in response.headers.getlist("Set-Cookie") if h.startswith("__Host-")]


# -- sign-out ----------------------------------------------------------------------


@pytest.fixture
def partner(app, client, smtp) -> FlaskClient:
    add_partner(app, "alice@acme.example")
    sign_in(client, smtp, "alice@acme.example")
    return client


def test_signing_out_on_the_page_deletes_the_cookie_and_clears_site_data(partner):
    response = submit(partner, "/partner/dashboard", "/partner/logout")
    assert deletes(response, "partner.sid")
    assert response.headers["Clear-Site-Data"] == CLEARED
    assert not deletes(response, "partner.device")
    assert partner.get_cookie("partner.sid") is None


def test_signing_out_through_the_api_deletes_the_cookie_and_clears_site_data(partner):
    response = partner.post("/api/partner/auth/logout", json={})
    assert response.status_code == 200
    assert deletes(response, "partner.sid")
    assert response.headers["Clear-Site-Data"] == CLEARED
    assert partner.get("/partner/dashboard").status_code == 302


def test_the_cookie_is_deleted_even_when_the_session_was_already_gone(app, partner):
    """Ended elsewhere (row deleted): the browser still gets told to forget its cookie."""
    from partner_portal.models import PartnerSession

    with app.app_context():
        db.session.query(PartnerSession).delete()
        db.session.commit()
    response = partner.post("/api/partner/auth/logout", json={})
    assert deletes(response, "partner.sid")
    assert response.headers["Clear-Site-Data"] == CLEARED


def test_a_session_ended_by_its_lifetime_clears_site_data_too(partner, clock):
    clock.advance(hours=25)
    response = partner.get("/partner/dashboard")
    assert deletes(response, "partner.sid")
    assert response.headers["Clear-Site-Data"] == CLEARED


def test_staff_sign_out_keeps_the_device_cookie(app, client):
    add_admin(app)
    admin_sign_in(client)
    response = submit(client, "/admin/", "/admin/logout")
    assert deletes(response, "oncall.sid")
    assert response.headers["Clear-Site-Data"] == CLEARED
    assert "cookies" not in response.headers["Clear-Site-Data"]
    assert not deletes(response, "oncall.device")
    assert client.get_cookie("oncall.device") is not None
    assert admin_sign_in(client, password=ADMIN_PASSWORD).status_code == 303


def test_ordinary_pages_clear_nothing(partner):
    assert "Clear-Site-Data" not in partner.get("/partner/dashboard").headers
    assert "Clear-Site-Data" not in partner.application.test_client().get("/partner/login").headers
