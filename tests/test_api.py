"""The seed's JSON API, with the same semantics as the pages."""

from __future__ import annotations

import pytest

from partner_portal import messages
from partner_portal.models import ComponentStatus

from .helpers import add_page, add_partner, grant, token_from


@pytest.fixture
def alice_granted(app):
    add_partner(app, "alice@acme.example", name="Alice Martin")
    add_page(app, "payments-api", "Payments API", [("Cards", ComponentStatus.OPERATIONAL)])
    add_page(app, "eu-region", "EU Region")
    grant(app, "alice@acme.example", "payments-api")


def request_login(client, email):
    return client.post("/api/partner/auth/request-login", json={"email": email})


def api_sign_in(client, smtp) -> None:
    request_login(client, "alice@acme.example")
    token = token_from(smtp.wait_for(len(smtp.messages) or 1)[-1])
    response = client.post("/api/partner/auth/verify", json={"token": token})
    assert response.status_code == 200, response.json


@pytest.mark.parametrize("email", ["alice@acme.example", "nobody@acme.example"])
def test_request_login_answers_the_same_for_any_valid_address(client, smtp, alice_granted, email):
    response = request_login(client, email)
    assert response.status_code == 200
    assert response.json == {"success": True, "message": messages.LOGIN_LINK_REQUESTED}


@pytest.mark.parametrize("body", [{"email": "nope"}, {"email": 42}, {}, {"email": ""}, []])
def test_request_login_rejects_invalid_email(client, smtp, body):
    response = client.post("/api/partner/auth/request-login", json=body)
    assert response.status_code == 400
    assert response.json["error"] == "Invalid email address"
    assert response.json["detail"] in (messages.INVALID_EMAIL, messages.EMAIL_TOO_LONG)
    assert smtp.delivered() == []


def test_request_login_sends_the_link(client, smtp, alice_granted):
    request_login(client, "alice@acme.example")
    assert smtp.wait_for(1)[0]["To"] == "alice@acme.example"


def test_json_posts_from_another_site_are_refused(client, smtp, alice_granted):
    cross_origin = client.post(
        "/api/partner/auth/request-login",
        json={"email": "alice@acme.example"},
        headers={"Origin": "https://evil.example"},
    )
    cross_site = client.post(
        "/api/partner/auth/request-login",
        json={"email": "alice@acme.example"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    form_post = client.post("/api/partner/auth/request-login", data={"email": "alice@acme.example"})
    text_plain = client.post(
        "/api/partner/auth/request-login",
        data='{"email": "alice@acme.example"}',
        content_type="text/plain",
    )
    assert cross_origin.status_code == cross_site.status_code == 403
    assert form_post.status_code == text_plain.status_code == 415
    assert smtp.delivered() == []
    same_origin = client.post(
        "/api/partner/auth/request-login",
        json={"email": "alice@acme.example"},
        headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
    )
    assert same_origin.status_code == 200


def test_verify_get_is_the_scanner_safe_confirmation_flow(client, smtp, alice_granted):
    request_login(client, "alice@acme.example")
    token = token_from(smtp.wait_for(1)[0])
    response = client.get(f"/api/partner/auth/verify/{token}")
    assert response.status_code == 303
    assert response.location == "/partner/verify"
    assert client.get("/api/partner/auth/me").status_code == 401  # nothing spent yet
    assert client.post("/api/partner/auth/verify", json={"token": token}).status_code == 200


def test_me_requires_a_session(client):
    response = client.get("/api/partner/auth/me")
    assert response.status_code == 401
    assert response.json == {"error": "Partner authentication required"}


def test_me_describes_the_partner_and_their_pages(app, client, smtp, alice_granted):
    api_sign_in(client, smtp)
    response = client.get("/api/partner/auth/me")
    assert response.status_code == 200
    body = response.json
    assert body["email"] == "alice@acme.example"
    assert body["name"] == "Alice Martin"
    assert isinstance(body["id"], int)
    assert [(p["name"], p["slug"]) for p in body["statusPages"]] == [
        ("Payments API", "payments-api")
    ]


def test_verify_post_refuses_bad_and_reused_tokens(client, smtp, alice_granted):
    request_login(client, "alice@acme.example")
    token = token_from(smtp.wait_for(1)[0])
    assert client.post("/api/partner/auth/verify", json={"token": "junk"}).status_code == 400
    assert client.post("/api/partner/auth/verify", json={"token": token}).status_code == 200
    again = client.post("/api/partner/auth/verify", json={"token": token})
    assert again.status_code == 400
    assert again.json == {"error": messages.API_LINK_INVALID}


def test_logout_ends_the_session(client, smtp, alice_granted):
    api_sign_in(client, smtp)
    response = client.post("/api/partner/auth/logout", json={})
    assert response.status_code == 200
    assert response.json == {"success": True}
    assert client.get("/api/partner/auth/me").status_code == 401


def test_a_same_origin_fetch_without_a_body_signs_out(client, smtp, alice_granted):
    """fetch('/api/partner/auth/logout', {method: 'POST', credentials: 'same-origin'})."""
    api_sign_in(client, smtp)
    response = client.post(
        "/api/partner/auth/logout",
        headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 200
    assert response.json == {"success": True}
    assert client.get("/api/partner/auth/me").status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_a_cross_site_sign_out_without_a_body_stays_refused(client, smtp, alice_granted, headers):
    api_sign_in(client, smtp)
    response = client.post("/api/partner/auth/logout", headers=headers)
    assert response.status_code == 403
    assert client.get("/api/partner/auth/me").status_code == 200


def test_a_sign_out_with_a_non_json_body_is_still_refused(client, smtp, alice_granted):
    api_sign_in(client, smtp)
    response = client.post(
        "/api/partner/auth/logout",
        data="a=1",
        content_type="application/x-www-form-urlencoded",
        headers={"Origin": "http://localhost"},
    )
    assert response.status_code == 415
    assert client.get("/api/partner/auth/me").status_code == 200


def test_logout_without_a_session_still_succeeds(client):
    assert client.post("/api/partner/auth/logout", json={}).json == {"success": True}


def test_api_errors_are_json(client):
    response = client.get("/api/partner/nope")
    assert response.status_code == 404
    assert response.is_json
