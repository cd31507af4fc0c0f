"""Attack: odd input aimed at crashes, stack traces, injection or resource use.

Defence: MAX_CONTENT_LENGTH (413 for big bodies), tokens checked for shape
before any query, one generic invalid-link answer, typed errors mapped to
messages, a 500 handler that shows only a short reference (logged with the
detail), and no route that answers 5xx to anything a client can send.
"""

from __future__ import annotations

import logging
import re

import pytest
from werkzeug.datastructures import MultiDict

from partner_portal import create_app, messages

from ..helpers import add_partner, flashes, form_data, request_link, sign_in


def test_a_big_form_body_gets_413(client):
    response = client.post("/partner/login", data={"email": "a" * 100_000})
    assert response.status_code == 413
    assert messages.TOO_LARGE in response.get_data(as_text=True)


def test_a_big_json_body_gets_413_as_json(client):
    response = client.post(
        "/api/partner/auth/request-login", json={"email": "a" * 100_000 + "@acme.example"}
    )
    assert response.status_code == 413
    assert response.json == {"error": messages.TOO_LARGE}


def test_a_body_announced_as_huge_is_refused_before_it_is_read(client):
    response = client.post(
        "/partner/login",
        data=b"email=a",
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"CONTENT_LENGTH": str(50 * 1024 * 1024)},
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    "path",
    [
        "/partner/verify/",
        "/partner/verify/" + "A" * 20_000,
        "/partner/verify/é" * 3,
        "/partner/verify/%F0%9F%94%91%E2%80%AE",
        "/partner/verify/%FF%FE",
        "/partner/verify/%00",
        "/partner/verify/' OR '1'='1",
        "/partner/verify/x'; DROP TABLE partners; --",
        "/partner/verify/" + "A" * 42 + "=",
        "/partner/verify/" + "A" * 43 + "?token=B&token=C",
        "/partner/verify/" + "A" * 43 + "/" + "B" * 43,
        "/partner/verify/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/api/partner/auth/verify/",
        "/api/partner/auth/verify/%00%0d%0a",
    ],
)
def test_malformed_links_get_the_generic_invalid_link_answer(app, client, path):
    response = client.get(path)
    assert response.status_code == 303
    assert response.location == "/partner/login"
    assert flashes(client.get("/partner/login")) == [messages.LINK_INVALID]


@pytest.mark.parametrize(
    "body",
    [
        {"token": ""},
        {"token": None},
        {"token": ["A" * 43, "B" * 43]},
        {"token": {"$ne": ""}},
        {"token": 12345},
        {"token": "A" * 100},
        {"token": "' OR 1=1 --"},
        {"token": "é" * 43},
        "just a string",
        [1, 2, 3],
    ],
)
def test_the_api_refuses_malformed_tokens_plainly(client, body):
    response = client.post("/api/partner/auth/verify", json=body)
    assert response.status_code == 400
    assert response.json == {"error": messages.API_LINK_INVALID}


def test_repeated_json_keys_are_one_token_not_two(client):
    response = client.post(
        "/api/partner/auth/verify",
        data='{"token": "' + "A" * 43 + '", "token": "' + "B" * 43 + '"}',
        content_type="application/json",
    )
    assert response.status_code == 400


def test_repeated_form_fields_take_no_effect(app, client, smtp):
    add_partner(app, "alice@acme.example")
    data = form_data(client.get("/partner/login"), "/partner/login")
    response = client.post(
        "/partner/login",
        data=MultiDict(
            [
                ("csrf_token", data["csrf_token"]),
                ("email", "nobody@acme.example"),
                ("email", "alice@acme.example"),
            ]
        ),
    )
    assert response.status_code == 303
    assert smtp.delivered() == []  # the first value counted, and it is unknown


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\xff\xfe\x00junk", "application/x-www-form-urlencoded"),
        (b"email=%ZZ%%&csrf_token=%", "application/x-www-form-urlencoded"),
        (b"--x\r\nbroken", "multipart/form-data; boundary=x"),
        (b"{not json", "application/json"),
        (b"\x00" * 100, "text/plain"),
    ],
)
def test_garbled_bodies_never_crash(client, body, content_type):
    for url in ("/partner/login", "/partner/login/code", "/partner/verify", "/partner/logout"):
        response = client.post(url, data=body, content_type=content_type)
        assert response.status_code < 500, url
    for url in ("/api/partner/auth/request-login", "/api/partner/auth/verify"):
        response = client.post(url, data=body, content_type=content_type)
        assert response.status_code < 500, url


JUNK_VALUES = ["x", "0", "-1", "99999999999999999999", "%00", "é", "a" * 600, "..", "' OR 1=1"]


def test_no_route_answers_5xx_to_junk(app, client, smtp):
    """Every URL rule, with junk in each part, by GET and POST, anonymous and signed in."""
    add_partner(app, "alice@acme.example")
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    signed_in = app.test_client()
    sign_in(signed_in, smtp, "alice@acme.example")
    for browser in (client, signed_in):
        for rule in rules:
            for junk in JUNK_VALUES:
                url = re.sub(r"<[^>]+>", junk.replace("/", "%2F"), rule.rule)
                for method in ("GET", "POST"):
                    response = browser.open(url, method=method, data={"email": junk, "code": junk})
                    assert response.status_code < 500, (method, url)
                    assert b"Traceback" not in response.get_data(), (method, url)


def test_production_errors_show_a_short_reference_that_is_in_the_log(monkeypatch, tmp_path, caplog):
    for name, value in {
        "PORTAL_ENV": "production",
        "SECRET_KEY": "s" * 48,
        "PORTAL_BASE_URL": "https://partners.example.com",
        "MAIL_SERVER": "smtp.example.com",
        "PORTAL_INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite'}",
    }.items():
        monkeypatch.setenv(name, value)
    app = create_app()

    @app.get("/__boom")
    def explode() -> str:
        raise RuntimeError("internal detail that must not leak")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/__boom", base_url="https://partners.example.com")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Traceback" not in body
    assert "internal detail" not in body
    match = re.search(r"reference <code>([0-9a-f]{8})</code>", body)
    assert match, body
    logged = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert logged
    assert logged[0].exc_info is not None  # the detail is in the log, for us


@pytest.mark.parametrize(
    "email",
    ["alice@acme.example\r\nBcc: x@evil.example", "alice@acme.example%0d%0aBcc:x@evil.example"],
)
def test_header_breaking_addresses_are_refused_at_the_form(app, client, smtp, email):
    add_partner(app, "alice@acme.example")
    response = request_link(client, email)
    assert response.status_code == 400
    assert smtp.delivered() == []


@pytest.mark.parametrize(
    "url",
    ["/partner/login?next=%00", "/partner/status/a%00b", "/api/partner/auth/me?x=%00"],
)
def test_nul_bytes_are_refused_before_reaching_the_database(app, client, url):
    """PostgreSQL refuses NUL in text; it must never get that far (a 500 otherwise)."""
    response = client.get(url)
    assert response.status_code == 400


def test_nul_in_a_form_field_is_refused(app, client):
    from ..helpers import form_data

    data = form_data(client.get("/partner/login"), "/partner/login")
    data["email"] = "alice@acme.example\x00"
    assert client.post("/partner/login", data=data).status_code == 400


def test_control_characters_in_the_user_agent_never_reach_the_audit_log(app, client, smtp):
    from sqlalchemy import select

    from partner_portal.extensions import db
    from partner_portal.models import AuditEvent

    from ..helpers import form_data

    data = form_data(client.get("/partner/login"), "/partner/login")
    data["email"] = "nobody@acme.example"
    client.post("/partner/login", data=data, headers={"User-Agent": "evil\x00agent\x07"})
    with app.app_context():
        event = db.session.scalar(select(AuditEvent))
        assert event.user_agent == "evilagent"
