"""The database goes away: a clean 503, no access granted, no one signed out; /healthz says so."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from partner_portal import create_app, messages

from .helpers import add_page, add_partner, form_data, grant, sign_in, soup


@pytest.fixture
def down_app(app: Flask, unreachable_database_url: str) -> Flask:
    """The same deployment (same secret key), but its database cannot be reached."""
    return create_app(
        {
            "TESTING": True,
            "PROPAGATE_EXCEPTIONS": False,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "SQLALCHEMY_DATABASE_URI": unreachable_database_url,
            "PORTAL_BASE_URL": app.config["PORTAL_BASE_URL"],
            "MAIL_SERVER": app.config["MAIL_SERVER"],
            "MAIL_PORT": app.config["MAIL_PORT"],
            "MAIL_TO_DEV_MAILBOX": False,
        }
    )


@pytest.fixture
def signed_in_cookie(app, client, smtp) -> str:
    """Alice's session cookie, from a real sign-in while the database was up."""
    add_partner(app, "alice@acme.example", name="Alice Martin")
    add_page(app, "payments-api", "Payments API")
    grant(app, "alice@acme.example", "payments-api")
    sign_in(client, smtp, "alice@acme.example")
    return client.get_cookie("partner.sid").value


def test_healthz_says_ok_and_nothing_else(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


def test_healthz_never_reads_a_session(app, client, signed_in_cookie):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_healthz_says_unavailable_when_the_database_is_down(down_app):
    response = down_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}


def test_signed_in_partner_gets_a_503_and_keeps_the_session(down_app, signed_in_cookie):
    client = down_app.test_client()
    client.set_cookie("partner.sid", signed_in_cookie)
    response = client.get("/partner/dashboard")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    page = soup(response)
    assert page.h1.get_text(strip=True) == "Temporarily unavailable"
    assert messages.UNAVAILABLE in page.get_text()
    # Not an anonymous pass-through: no redirect to sign in, no name shown,
    # and the cookie is neither deleted nor replaced.
    assert "Alice Martin" not in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers


def test_api_answers_503_in_json_during_an_outage(down_app, signed_in_cookie):
    client = down_app.test_client()
    client.set_cookie("partner.sid", signed_in_cookie)
    response = client.get("/api/partner/auth/me")
    assert response.status_code == 503
    assert response.get_json() == {"error": messages.UNAVAILABLE}
    assert "Set-Cookie" not in response.headers


def test_session_is_usable_again_once_the_database_is_back(app, down_app, signed_in_cookie):
    down = down_app.test_client()
    down.set_cookie("partner.sid", signed_in_cookie)
    assert down.get("/partner/status/payments-api").status_code == 503
    up = app.test_client()
    up.set_cookie("partner.sid", signed_in_cookie)
    assert up.get("/partner/status/payments-api").status_code == 200


def test_requesting_a_link_during_an_outage_is_a_503_page(down_app):
    client = down_app.test_client()
    login = client.get("/partner/login")
    assert login.status_code == 200  # the form itself needs no database
    data = form_data(login, "/partner/login")
    data["email"] = "alice@acme.example"
    response = client.post("/partner/login", data=data)
    assert response.status_code == 503
    assert soup(response).h1.get_text(strip=True) == "Temporarily unavailable"


def test_api_request_login_during_an_outage_is_a_json_503(down_app):
    response = down_app.test_client().post(
        "/api/partner/auth/request-login", json={"email": "alice@acme.example"}
    )
    assert response.status_code == 503
    assert response.get_json() == {"error": messages.UNAVAILABLE}


@pytest.mark.postgresql_only
def test_a_database_restart_is_survived_without_restarting_the_app(app, client, smtp):
    add_partner(app, "alice@acme.example")
    sign_in(client, smtp, "alice@acme.example")
    assert client.get("/partner/dashboard").status_code == 200
    # What a restart does to the app's pooled connections: the server ends them.
    killer = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with killer.begin() as connection:
        ended = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    killer.dispose()
    assert ended >= 1
    # Pre-ping notices the dead connection and opens a new one: no error at all.
    assert client.get("/partner/dashboard").status_code == 200
