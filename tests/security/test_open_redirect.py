"""Attack: a sign-in link that lands the partner on the attacker's site (phishing via our domain).

Defence: ``next`` / ``redirectTo`` is kept only when it is a same-site
relative path (``web.safe_next``), it is stored with the token when the link
is requested, and the confirming request cannot supply its own.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from partner_portal.web import safe_next

from ..helpers import add_partner, code_from, confirm, enter_code, soup, submit, token_from

ATTACKS = [
    "//evil.example",
    "//evil.example/partner/dashboard",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "https://evil.example",
    "HTTPS://evil.example/",
    "http:evil.example",
    "https:/evil.example",
    "https:evil.example",
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "\x00//evil.example",
    "//evil.example@portal.example",
    "/" + "a" * 600,
    "evil.example",
    "partner/dashboard",
    "",
]


@pytest.mark.parametrize("target", ATTACKS)
def test_safe_next_refuses(target):
    assert safe_next(target) is None


@pytest.mark.parametrize(
    "target", ["/partner/dashboard", "/partner/status/payments-api", "/partner/status/x?tab=1"]
)
def test_safe_next_keeps_same_site_paths(target):
    assert safe_next(target) == target


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
    ],
)
@pytest.mark.parametrize("encoding", ["plain", "percent-encoded", "double-encoded"])
def test_a_hostile_next_never_survives_to_the_redirect(app, client, smtp, target, encoding):
    add_partner(app, "alice@acme.example")
    encoded = {
        "plain": target,
        "percent-encoded": quote(target, safe=""),
        "double-encoded": quote(quote(target, safe=""), safe=""),
    }[encoding]
    submit(
        client, f"/partner/login?next={encoded}", "/partner/login", {"email": "alice@acme.example"}
    )
    response = confirm(client, token_from(smtp.wait_for(1)[0]))
    assert response.location == "/partner/dashboard"


def test_a_hostile_next_typed_into_the_form_itself_is_dropped(app, client, smtp):
    add_partner(app, "alice@acme.example")
    submit(
        client,
        "/partner/login",
        "/partner/login",
        {"email": "alice@acme.example", "next": "//evil.example"},
    )
    assert confirm(client, token_from(smtp.wait_for(1)[0])).location == "/partner/dashboard"


def test_the_code_path_follows_only_the_stored_next(app, client, smtp):
    add_partner(app, "alice@acme.example")
    submit(
        client,
        "/partner/login?next=https://evil.example",
        "/partner/login",
        {"email": "alice@acme.example"},
    )
    assert enter_code(client, code_from(smtp.wait_for(1)[0])).location == "/partner/dashboard"


def test_the_confirming_request_cannot_choose_where_to_go(app, client, smtp):
    add_partner(app, "alice@acme.example")
    submit(client, "/partner/login", "/partner/login", {"email": "alice@acme.example"})
    client.get(f"/partner/verify/{token_from(smtp.wait_for(1)[0])}")
    from ..helpers import form_data

    data = form_data(client.get("/partner/verify"), "/partner/verify")
    response = client.post(
        "/partner/verify?next=https://evil.example",
        data={**data, "next": "https://evil.example", "redirect_to": "//evil.example"},
    )
    assert response.location == "/partner/dashboard"


def test_the_api_drops_a_hostile_redirect_to(app, client, smtp):
    add_partner(app, "alice@acme.example")
    client.post(
        "/api/partner/auth/request-login",
        json={"email": "alice@acme.example", "redirectTo": "//evil.example"},
    )
    token = token_from(smtp.wait_for(1)[0])
    response = client.post("/api/partner/auth/verify", json={"token": token})
    assert response.json["redirectTo"] == "/partner/dashboard"


def test_a_next_with_markup_is_escaped_in_the_page(client):
    page = client.get('/partner/login?next=/x"><script>alert(1)</script>')
    html = page.get_data(as_text=True)
    assert "<script>" not in html
    assert soup(page).find("input", attrs={"name": "next"})["value"].startswith('/x">')


TOKEN = "hwg0QHEKvrV1GpI3pi_1p6xj7IfYhiuXAmShGVMuG4Y"


def token_routes(app) -> list[str]:
    """Every route of the app whose path holds a token, built from its URL map."""
    with app.test_request_context():
        return [
            rule.build({"token": TOKEN})[1]
            for rule in app.url_map.iter_rules()
            if "token" in rule.arguments
        ]


def test_safe_next_refuses_every_path_that_holds_a_token(app):
    """A next that is someone's link would land the partner, just signed in, on its page."""
    routes = token_routes(app)
    assert len(routes) >= 7
    for url in routes:
        for target in (
            url,
            url.upper(),
            url.replace("/", "//"),
            "/" + quote(url[1:], safe=""),
            "/" + quote(quote(url[1:], safe=""), safe=""),
            url + "?x=1",
        ):
            assert safe_next(target) is None, target
    # The pages the links open are not token paths: they may be a next.
    assert safe_next("/partner/verify") == "/partner/verify"
    assert safe_next("/partner/account") == "/partner/account"


def test_a_next_holding_someone_elses_link_is_dropped(app, client, smtp):
    """Mallory's link as Alice's next: after signing in, Alice lands on her dashboard."""
    add_partner(app, "alice@acme.example")
    add_partner(app, "mallory@evil.example")
    mallory = app.test_client()
    mallory.environ_base["REMOTE_ADDR"] = "203.0.113.66"
    submit(mallory, "/partner/login", "/partner/login", {"email": "mallory@evil.example"})
    mallorys_link = token_from(smtp.wait_for(1)[0])

    submit(
        client,
        f"/partner/login?next=/partner/verify/{mallorys_link}",
        "/partner/login",
        {"email": "alice@acme.example"},
    )
    response = confirm(client, token_from(smtp.wait_for(2)[-1]))
    assert response.location == "/partner/dashboard"
