"""Attacks that lean on links people did not ask for, or no longer own.

* **Who asked?** Anyone can ask for a sign-in link for a partner's address.
  The email says who asked ("Firefox on Windows, from 203.0.113.5, at 10:02
  UTC ...") in its text and HTML parts, as the other link emails someone asks
  for do, so a partner can tell a request that was not theirs.
* **Whose was this link?** A dead link (used, expired, forwarded, left open on
  a shared screen) must not name its owner. The login page offers "send me a
  fresh link" by a server-side reference to the dead link, never by its
  address, in the page or in the readable pre-session cookie; the request it
  makes is limited and answered like any other.
"""

from __future__ import annotations

import json

import pytest
from itsdangerous import URLSafeTimedSerializer

from partner_portal import messages

from ..helpers import (
    add_admin,
    add_partner,
    flashes,
    form_data,
    request_link,
    sign_in,
    soup,
    submit,
    text_of,
    token_from,
)

FIREFOX_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
)
# The frozen clock's time (tests/conftest.py): 09:30 UTC on 21 November 2026.
WHO = "Firefox on Windows, from 203.0.113.5, at 09:30 UTC on 21 November 2026"


def stranger(app):  # noqa: ANN201
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR="203.0.113.5", HTTP_USER_AGENT=FIREFOX_ON_WINDOWS)
    return client


def html_of(message) -> str:  # noqa: ANN001
    return message.get_body(preferencelist=("html",)).get_content()


def test_the_sign_in_email_says_who_asked_for_it(app, smtp):
    add_partner(app, "alice@acme.example")
    request_link(stranger(app), "alice@acme.example")
    message = smtp.wait_for(1)[0]
    assert WHO in text_of(message)
    assert WHO in html_of(message)


@pytest.mark.parametrize("action", ["/partner/account/email", "/partner/account/delete"])
def test_account_link_emails_say_who_asked_for_them(app, smtp, action):
    add_partner(app, "alice@acme.example")
    client = stranger(app)
    sign_in(client, smtp, "alice@acme.example")
    before = len(smtp.delivered())
    submit(client, "/partner/account", action, {"new_email": "alice@new.example"})
    link_mail = next(m for m in smtp.wait_for(before + 1)[before:] if "verify/" in text_of(m))
    assert WHO in text_of(link_mail)
    assert WHO in html_of(link_mail)


def test_the_staff_reset_email_says_who_asked_for_it(app, smtp):
    add_admin(app)
    submit(
        stranger(app),
        "/admin/password-reset",
        "/admin/password-reset",
        {"email": "ops@portal.example"},
    )
    message = smtp.wait_for(1)[0]
    assert WHO in text_of(message)
    assert WHO in html_of(message)


@pytest.fixture
def dead_link(app, smtp) -> str:
    """Alice's sign-in link, used by Alice: what a stranger finds later on a shared screen."""
    add_partner(app, "alice@acme.example", name="Alice Martin")
    alice = app.test_client()
    sign_in(alice, smtp, "alice@acme.example")
    return token_from(smtp.wait_for(1)[0])


def pre_session(app, client) -> str:  # noqa: ANN001
    """Return the anonymous cookie's content, decoded as anyone holding the browser could."""
    serializer = URLSafeTimedSerializer(app.secret_key, salt="partner-portal.partner.pre-session")
    return json.dumps(serializer.loads(client.get_cookie("partner.pre").value))


def test_a_dead_link_does_not_say_whose_it_was(app, smtp, dead_link):
    finder = app.test_client()
    finder.get(f"/partner/verify/{dead_link}")
    page = finder.get("/partner/login")
    assert flashes(page) == [messages.LINK_USED]
    html = page.get_data(as_text=True)
    assert "alice" not in html.lower()
    assert not soup(page).find("input", attrs={"name": "email"}).get("value")
    assert "alice" not in pre_session(app, finder).lower()


def test_the_fresh_link_goes_to_the_dead_links_owner(app, smtp, dead_link):
    finder = stranger(app)
    finder.get(f"/partner/verify/{dead_link}")
    page = finder.get("/partner/login")
    response = finder.post(
        "/partner/login/fresh-link", data=form_data(page, "/partner/login/fresh-link")
    )
    assert response.location == "/partner/login/sent"  # the page every request gets
    fresh = smtp.wait_for(2)[-1]
    assert fresh["To"] == "alice@acme.example"
    assert WHO in text_of(fresh)  # Alice sees that someone else asked
    # One click, one request: the reference is gone once used.
    again = finder.post("/partner/login/fresh-link", data=form_data(page, "/partner/login"))
    assert again.location == "/partner/login"
    assert len(smtp.delivered()) == 2


def test_fresh_link_requests_are_limited_like_any_request(app, smtp, dead_link):
    app.config["RATE_LIMIT_PER_EMAIL"] = 2
    for attempt in range(3):
        finder = app.test_client()
        finder.environ_base["REMOTE_ADDR"] = f"203.0.113.{attempt + 1}"
        finder.get(f"/partner/verify/{dead_link}")
        page = finder.get("/partner/login")
        response = finder.post(
            "/partner/login/fresh-link", data=form_data(page, "/partner/login/fresh-link")
        )
    # Alice's own sign-in counted once; then one fresh link; the third request is refused.
    assert response.status_code == 429
    assert flashes(response) == [messages.try_again_in(app.config["RATE_LIMIT_WINDOW"])]
    assert "alice" not in response.get_data(as_text=True).lower()
    assert len(smtp.delivered()) == 2


def test_a_forged_reference_sends_nothing(app, smtp, dead_link):
    finder = app.test_client()
    page = finder.get("/partner/login")
    serializer = URLSafeTimedSerializer(app.secret_key, salt="partner-portal.partner.pre-session")
    data = serializer.loads(finder.get_cookie("partner.pre").value)
    data["fresh_link_for"] = [1, "0" * 64]
    finder.set_cookie("partner.pre", serializer.dumps(data))
    response = finder.post("/partner/login/fresh-link", data=form_data(page, "/partner/login"))
    assert response.location == "/partner/login/sent"  # the same answer...
    assert len(smtp.delivered()) == 1  # ...and nothing sent
