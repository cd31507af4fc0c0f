"""The console in Chromium, against the real server, its mail worker and a real SMTP server.

One story, as staff live it: set up a status page, invite a partner who accepts
from the email, grant access, run an incident while the partner watches, preview
what they see, read and export the audit log, and end the partner's session.
"""

from __future__ import annotations

import csv
import re

import pytest
from playwright.sync_api import expect

from partner_portal import messages

from .journeys import ADMIN_EMAIL, create_admin, link_in, message_for, sign_in_admin

GRACE = "grace@initech.example"


@pytest.fixture(scope="module")
def portal(live_portal):
    create_admin(live_portal)
    return live_portal


def test_an_admin_runs_a_status_page_for_an_invited_partner(page, other_page, portal, smtp):
    admin, partner = page, other_page
    flashes = admin.locator(".flashes")
    sign_in_admin(admin, portal)
    console = admin.get_by_role("navigation", name="Console")

    # A status page with two components, put in order.
    console.get_by_role("link", name="Status pages").click()
    admin.get_by_role("link", name="Create a status page").click()
    admin.get_by_label("Name", exact=True).fill("Checkout")
    admin.get_by_label("Slug").fill("checkout")
    admin.get_by_label("Description").fill("Carts and payments.")
    admin.get_by_role("button", name="Create page").click()
    expect(flashes).to_contain_text(messages.PAGE_CREATED.format(name="Checkout"))
    page_url = admin.url
    for name in ("Payments", "Cart"):
        admin.get_by_label("Component name").fill(name)
        admin.get_by_role("button", name="Add component").click()
        expect(flashes).to_contain_text(messages.COMPONENT_ADDED.format(name=name))
    admin.get_by_role("button", name="Move Cart up").click()
    expect(flashes).to_contain_text(messages.COMPONENT_MOVED.format(name="Cart"))
    expect(admin.locator("table.components tbody th")).to_have_text(["Cart", "Payments"])

    # An invitation, received through the real SMTP server, accepted: signed in at once.
    console.get_by_role("link", name="Partners").click()
    admin.get_by_role("link", name="Invite a partner").click()
    admin.get_by_label("Email").fill(GRACE)
    admin.get_by_label("Name").fill("Grace Hopper")
    admin.get_by_label("Company").fill("Initech")
    admin.get_by_role("button", name="Send invitation").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Grace Hopper")
    partner_url = admin.url
    invitation = message_for(smtp, GRACE)
    admin.reload()  # the link is minted when the mail worker sends it
    expect(admin.locator(".page-head")).to_contain_text("Invitation pending")
    assert invitation["Subject"].endswith("You are invited to see your status pages")
    partner.goto(link_in(invitation, "/partner/signup/"))
    expect(partner.locator("main")).to_contain_text("Grace Hopper")
    partner.get_by_role("button", name="Accept and sign in").click()
    partner.wait_for_url(portal.path("/partner/dashboard"))
    expect(partner.locator(".flashes")).to_contain_text(messages.WELCOME)
    expect(partner.locator(".page-card")).to_have_count(0)

    # Access granted from the partner's page: the partner sees it on their next load.
    admin.reload()
    expect(admin.locator(".page-head")).to_contain_text("Active")
    admin.get_by_label("Status page").select_option(label="Checkout (checkout)")
    admin.get_by_role("button", name="Grant access").click()
    expect(flashes).to_contain_text(
        messages.ACCESS_GRANTED.format(email=GRACE, page="Checkout", until="")
    )
    partner.reload()
    expect(partner.locator(".page-card h2")).to_have_text(["Checkout"])

    # An incident opened, updated and resolved; the partner follows it.
    admin.goto(page_url)
    admin.get_by_role("link", name="Open an incident").click()
    admin.get_by_label("Title").fill("Payments are slow")
    admin.get_by_label("Impact").select_option(label="Major")
    admin.get_by_label("Status").select_option(label="Investigating")
    admin.get_by_label("First update for partners").fill("Card payments take up to a minute.")
    admin.get_by_role("button", name="Open incident").click()
    expect(flashes).to_contain_text(messages.INCIDENT_OPENED.format(title="Payments are slow"))
    partner.get_by_role("link", name="Checkout").click()
    open_incidents = partner.locator("section", has=partner.locator("#open-heading"))
    expect(open_incidents).to_contain_text("Payments are slow")
    expect(open_incidents).to_contain_text("Card payments take up to a minute.")

    admin.get_by_label("Status").select_option(label="Monitoring")
    admin.get_by_label("Message", exact=True).fill("A fix is out; we are watching the queue drain.")
    admin.get_by_role("button", name="Post update").click()
    expect(flashes).to_contain_text(messages.INCIDENT_UPDATED.format(title="Payments are slow"))
    admin.get_by_label("Closing message").fill("Payments are back to normal.")
    admin.get_by_role("button", name="Resolve incident").click()
    expect(flashes).to_contain_text(messages.INCIDENT_RESOLVED.format(title="Payments are slow"))

    partner.reload()
    expect(open_incidents).to_contain_text("No open incidents.")
    resolved = partner.locator("section", has=partner.locator("#resolved-heading"))
    expect(resolved.locator(".updates li")).to_have_count(3)
    expect(resolved.locator(".updates li").first).to_contain_text("Payments are back to normal.")

    # Preview: exactly the partner's view, inside the console.
    admin.goto(partner_url)
    admin.get_by_role("link", name="Preview as this partner").click()
    expect(admin.locator(".preview-banner")).to_contain_text("Grace Hopper")
    admin.get_by_role("link", name="Checkout").click()
    assert re.search(r"/admin/partners/\d+/preview/checkout$", admin.url)
    expect(admin.locator("main")).to_contain_text("Payments are slow")

    # The audit log, filtered, read and exported.
    console.get_by_role("link", name="Audit log").click()
    admin.get_by_label("Action").fill("admin.incident.")
    admin.get_by_role("button", name="Filter").click()
    actions = ["admin.incident.resolved", "admin.incident.updated", "admin.incident.opened"]
    expect(admin.locator("table.audit tbody td:nth-child(2)")).to_have_text(actions)
    with admin.expect_download() as download:
        admin.get_by_role("button", name="Export these 3 events as CSV").click()
    assert re.fullmatch(r"audit-\d{8}-\d{6}\.csv", download.value.suggested_filename)
    with open(download.value.path(), newline="", encoding="utf-8") as exported:
        rows = list(csv.DictReader(exported))
    assert [row["action"] for row in rows] == actions
    assert {row["severity"] for row in rows} == {"info"}
    assert all('"page": "checkout"' in row["details"] for row in rows)

    # The partner's session, ended from their page: their next request is signed out.
    admin.goto(partner_url)
    sessions = admin.locator("section", has=admin.locator("#sessions-heading"))
    expect(sessions.locator("tbody tr")).to_have_count(1)
    sessions.get_by_role("link", name="End this session…").click()
    admin.get_by_role("button", name="End session").click()
    expect(flashes).to_contain_text(messages.PARTNER_SESSION_ENDED_BY_STAFF)
    expect(sessions).to_contain_text("Not signed in anywhere.")
    partner.reload()
    assert partner.url.startswith(portal.path("/partner/login"))
    expect(partner.get_by_role("button", name="Sign out")).to_have_count(0)

    # And the whole story is in the log, with who did it.
    console.get_by_role("link", name="Audit log").click()
    admin.get_by_label("Partner").fill(GRACE)
    admin.get_by_role("button", name="Filter").click()
    logged = admin.locator("table.audit tbody td:nth-child(2)").all_inner_texts()
    for action in ("admin.partner.created", "partner.signup", "admin.access.granted"):
        assert action in logged
    assert logged[0] == "admin.partner.session.ended"
    assert ADMIN_EMAIL in admin.locator("table.audit tbody tr").first.inner_text()
