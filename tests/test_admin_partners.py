"""Admins manage partners: list, create, edit, deactivate, delete, sessions, links, preview."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from partner_portal import messages
from partner_portal.extensions import db
from partner_portal.models import AccessGrant, AuditEvent, MagicLinkToken, Partner, PartnerSession
from partner_portal.security.sessions import store_key

from .helpers import (
    add_page,
    add_partner,
    audit_events,
    field_errors,
    flashes,
    form_data,
    get_partner,
    grant,
    request_link,
    sign_in,
    soup,
    submit,
    token_from,
)


@pytest.fixture
def alice_browser(app, smtp):
    """A partner signed in on her own browser."""
    add_partner(app, "alice@acme.example", name="Alice Martin", company="Acme")
    browser = app.test_client()
    sign_in(browser, smtp, "alice@acme.example")
    assert browser.get("/partner/dashboard").status_code == 200
    return browser


def partner_id(app, email: str) -> int:
    return get_partner(app, email).id


def confirm_action(client, url: str):
    """Open a destructive action's confirmation page and press its button."""
    page = client.get(url)
    assert page.status_code == 200
    assert soup(page).find("form", attrs={"action": url}).find("button")
    return submit(client, url, url)


# -- list and search -------------------------------------------------------


def test_partners_are_listed_searched_and_paginated(app, client, admin):
    for number in range(30):
        add_partner(app, f"p{number:02}@globex.example", name=f"Person {number}", company="Globex")
    add_partner(app, "alice@acme.example", name="Alice Martin", company="Acme Logistics")

    first = soup(client.get("/admin/partners"))
    assert len(first.select("table.partners tbody tr")) == 25
    assert "Page 1 of 2" in first.get_text()
    second = soup(client.get(first.find("a", rel="next")["href"]))
    assert len(second.select("table.partners tbody tr")) == 6

    for query in ("ALICE@acme", "martin", "logistics"):
        rows = soup(client.get(f"/admin/partners?q={query}")).select("table.partners tbody tr")
        assert [row.th.get_text(strip=True) for row in rows] == ["alice@acme.example"]
    assert "No partner matches" in client.get("/admin/partners?q=%25_").get_data(as_text=True)


def test_bad_page_numbers_and_long_queries_do_not_break_the_list(client, admin):
    assert client.get("/admin/partners?page=-3").status_code == 200
    assert client.get("/admin/partners?page=abc").status_code == 200
    assert client.get("/admin/partners?page=999").status_code == 200
    assert client.get("/admin/partners?q=" + "x" * 5000).status_code == 200


# -- create and edit -------------------------------------------------------


def test_admin_creates_an_active_partner(app, client, admin, smtp):
    response = submit(
        client,
        "/admin/partners/new",
        "/admin/partners/new",
        {"email": " Bob@Globex.example ", "name": "Bob Okafor", "company": "Globex"},
    )
    bob = get_partner(app, "bob@globex.example")
    assert response.location == f"/admin/partners/{bob.id}"
    assert flashes(client.get(response.location)) == [
        messages.PARTNER_CREATED.format(email="bob@globex.example")
    ]
    assert bob.is_active
    assert (bob.name, bob.company) == ("Bob Okafor", "Globex")
    (event,) = audit_events(app, "admin.partner.created")
    assert (event.admin_id, event.partner_id) == (admin, bob.id)
    assert smtp.messages == []


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"email": "not-an-email"}, [messages.INVALID_EMAIL]),
        (
            {"email": "alice@acme.example"},
            ["A partner with the email alice@acme.example already exists."],
        ),
        ({"name": ""}, [messages.REQUIRED]),
        (
            {"name": "Bob\r\nBcc: x@evil.example"},
            ["Name cannot contain line breaks or control characters."],
        ),
        ({"name": "x" * 201}, ["Name must be at most 200 characters."]),
    ],
)
def test_bad_partner_input_gets_a_field_error(app, client, admin, fields, expected):
    add_partner(app, "alice@acme.example")
    data = {"email": "bob@globex.example", "name": "Bob", "company": ""}
    data.update(fields)
    response = submit(client, "/admin/partners/new", "/admin/partners/new", data)
    assert response.status_code == 400
    assert field_errors(response) == expected
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Partner)) == 1


def test_admin_edits_name_and_company(app, client, admin):
    pid = add_partner(app, "alice@acme.example", name="Alice", company="Acme")
    url = f"/admin/partners/{pid}/edit"
    form = soup(client.get(url))
    assert form.find("input", attrs={"name": "name"})["value"] == "Alice"
    response = submit(client, url, url, {"name": "Alice Martin", "company": ""})
    assert response.location == f"/admin/partners/{pid}"
    alice = get_partner(app, "alice@acme.example")
    assert (alice.name, alice.company) == ("Alice Martin", None)
    (event,) = audit_events(app, "admin.partner.updated")
    assert event.details == {
        "changes": {"name": ["Alice", "Alice Martin"], "company": ["Acme", None]}
    }
    assert event.admin_id == admin


def test_unknown_partner_is_a_404_page(client, admin):
    response = client.get("/admin/partners/999")
    assert response.status_code == 404
    assert messages.NOT_FOUND in response.get_data(as_text=True)


# -- deactivate, reactivate, delete ---------------------------------------


def test_deactivation_asks_first_and_then_takes_effect_on_the_very_next_request(
    app, client, admin, alice_browser, smtp
):
    pid = partner_id(app, "alice@acme.example")
    request_link(app.test_client(), "alice@acme.example")
    link = token_from(smtp.wait_for(2)[-1])
    url = f"/admin/partners/{pid}/deactivate"

    client.get(url)  # the confirmation page changes nothing
    assert get_partner(app, "alice@acme.example").is_active

    response = confirm_action(client, url)
    assert response.location == f"/admin/partners/{pid}"
    assert flashes(client.get(response.location)) == [
        messages.PARTNER_DEACTIVATED.format(email="alice@acme.example", sessions=1, links=1)
    ]
    assert not get_partner(app, "alice@acme.example").is_active
    assert alice_browser.get("/partner/dashboard").location.startswith("/partner/login")
    assert app.test_client().get(f"/partner/verify/{link}").location == "/partner/login"
    (event,) = audit_events(app, "admin.partner.deactivated")
    assert event.admin_id == admin
    assert event.details == {"sessions_ended": 1, "links_revoked": 1}


def test_reactivated_partner_can_sign_in_again(app, client, admin, smtp):
    pid = add_partner(app, "alice@acme.example")
    confirm_action(client, f"/admin/partners/{pid}/deactivate")
    response = submit(client, f"/admin/partners/{pid}", f"/admin/partners/{pid}/reactivate")
    assert flashes(client.get(response.location)) == [
        messages.PARTNER_REACTIVATED.format(email="alice@acme.example")
    ]
    assert get_partner(app, "alice@acme.example").is_active
    sign_in(app.test_client(), smtp, "alice@acme.example")
    assert [e.admin_id for e in audit_events(app, "admin.partner.reactivated")] == [admin]


def test_deleting_a_partner_keeps_their_audit_history(app, client, admin, alice_browser):
    pid = partner_id(app, "alice@acme.example")
    add_page(app, "payments-api")
    grant(app, "alice@acme.example", "payments-api")
    before = len(audit_events(app))

    response = confirm_action(client, f"/admin/partners/{pid}/delete")

    assert response.location == "/admin/partners"
    with app.app_context():
        erased = db.session.get(Partner, pid)  # kept, anonymised: its id is never reused
        assert erased.email == f"deleted-{pid}@deleted.invalid"
        assert erased.name == "Deleted partner"
        assert erased.is_active is False
        assert erased.deleted_at is not None
        assert db.session.scalar(select(func.count()).select_from(AccessGrant)) == 0
        assert db.session.scalar(select(func.count()).select_from(PartnerSession)) == 0
        assert db.session.scalar(select(func.count()).select_from(MagicLinkToken)) == 0
    events = audit_events(app)
    assert len(events) == before + 1
    assert {e.action for e in events if e.partner_id == pid} >= {
        "partner.login",
        "admin.partner.deleted",
    }
    assert alice_browser.get("/partner/dashboard").location.startswith("/partner/login")
    # The history stays findable by the address of the deleted partner.
    page = client.get("/admin/audit?partner=alice@acme.example").get_data(as_text=True)
    assert "admin.partner.deleted" in page
    assert "partner.login" in page


# -- sessions and links ----------------------------------------------------


def test_partner_page_lists_sessions_without_their_secret_ids(app, client, admin, alice_browser):
    pid = partner_id(app, "alice@acme.example")
    page = client.get(f"/admin/partners/{pid}").get_data(as_text=True)
    assert "127.0.0.1" in page
    assert "werkzeug" in page.lower()  # the user agent
    assert alice_browser.get_cookie("partner.sid").value not in page


def test_ending_one_session_signs_that_browser_out_on_its_next_request(
    app, client, admin, alice_browser, smtp
):
    pid = partner_id(app, "alice@acme.example")
    laptop = app.test_client()
    sign_in(laptop, smtp, "alice@acme.example")
    with app.app_context():
        row_id = db.session.scalar(
            select(PartnerSession.id).where(
                PartnerSession.session_hash
                == store_key(alice_browser.get_cookie("partner.sid").value)
            )
        )

    response = confirm_action(client, f"/admin/partners/{pid}/sessions/{row_id}/end")

    assert flashes(client.get(response.location)) == [messages.PARTNER_SESSION_ENDED_BY_STAFF]
    assert alice_browser.get("/partner/dashboard").location.startswith("/partner/login")
    assert laptop.get("/partner/dashboard").status_code == 200
    (event,) = audit_events(app, "admin.partner.session.ended")
    assert (event.admin_id, event.partner_id, event.details) == (admin, pid, {"session": row_id})


def test_ending_all_sessions(app, client, admin, alice_browser, smtp):
    pid = partner_id(app, "alice@acme.example")
    laptop = app.test_client()
    sign_in(laptop, smtp, "alice@acme.example")

    response = confirm_action(client, f"/admin/partners/{pid}/sessions/end-all")

    assert flashes(client.get(response.location)) == [messages.SESSIONS_ENDED.format(count=2)]
    for browser in (alice_browser, laptop):
        assert browser.get("/partner/dashboard").location.startswith("/partner/login")
    (event,) = audit_events(app, "admin.partner.sessions.ended")
    assert event.details == {"count": 2}


def test_a_session_of_another_partner_cannot_be_ended_through_this_one(
    app, client, admin, alice_browser
):
    other = add_partner(app, "bob@globex.example")
    with app.app_context():
        row_id = db.session.scalar(select(PartnerSession.id))
    url = f"/admin/partners/{other}/sessions/{row_id}/end"
    submit(client, url, url)
    assert alice_browser.get("/partner/dashboard").status_code == 200


def test_revoking_an_outstanding_link(app, client, admin, smtp):
    pid = add_partner(app, "alice@acme.example")
    request_link(app.test_client(), "alice@acme.example")
    link = token_from(smtp.wait_for(1)[0])
    page = soup(client.get(f"/admin/partners/{pid}"))
    revoke = page.find("a", string="Revoke…", href=lambda h: "/links/" in h)["href"]
    assert link not in page.get_text()

    response = confirm_action(client, revoke)

    assert flashes(client.get(response.location)) == [messages.LINK_REVOKED_BY_ADMIN]
    browser = app.test_client()
    browser.get(f"/partner/verify/{link}")
    assert flashes(browser.get("/partner/login")) == [messages.LINK_REVOKED]
    assert len(audit_events(app, "admin.partner.link.revoked")) == 1
    assert "No unused links." in client.get(f"/admin/partners/{pid}").get_data(as_text=True)


# -- preview ---------------------------------------------------------------


def test_preview_shows_exactly_the_partners_pages_and_creates_no_session(app, client, admin):
    pid = add_partner(app, "alice@acme.example", name="Alice Martin")
    add_page(app, "payments-api", name="Payments API", components=[("Cards", "major_outage")])
    add_page(app, "secret-page", name="Secret Page")
    grant(app, "alice@acme.example", "payments-api")

    dashboard = client.get(f"/admin/partners/{pid}/preview")
    page = soup(dashboard)
    banner = page.select_one(".preview-banner")
    assert "Preview" in banner.get_text()
    assert "Alice Martin" in banner.get_text()
    assert "Payments API" in page.get_text()
    assert "Secret Page" not in page.get_text()
    assert page.find("form", attrs={"action": "/partner/logout"}) is None
    link = page.find("a", string="Payments API")["href"]
    assert link == f"/admin/partners/{pid}/preview/payments-api"

    status = client.get(link)
    assert status.status_code == 200
    assert "Major outage" in status.get_data(as_text=True)
    assert client.get(f"/admin/partners/{pid}/preview/secret-page").status_code == 404
    assert client.get_cookie("partner.sid") is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PartnerSession)) == 0
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.partner_id == pid, AuditEvent.action.like("partner.login%"))
            )
            == 0
        )


def test_a_deleted_partner_cannot_be_reactivated(app, client, admin, alice_browser):
    pid = partner_id(app, "alice@acme.example")
    confirm_action(client, f"/admin/partners/{pid}/delete")
    # Reactivate is a button on the partner page (no confirmation page): post it directly.
    data = form_data(client.get(f"/admin/partners/{pid}"), None)
    response = client.post(f"/admin/partners/{pid}/reactivate", data=data)
    assert flashes(client.get(response.location)) == [messages.PARTNER_IS_DELETED]
    with app.app_context():
        assert db.session.get(Partner, pid).is_active is False
    assert audit_events(app, "admin.partner.reactivated") == []
