"""`make screenshots`: the README's pictures, taken in Chromium over the demo data.

Deselected from `make test` (pytest marker ``screenshots``): run `make screenshots`
after changing how a page looks, look at the PNGs, and commit them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from partner_portal.admin.identity import Actor
from partner_portal.admin.partners import directory
from partner_portal.security.audit import SYSTEM

from .journeys import (
    create_admin,
    link_in,
    load_demo,
    message_for,
    request_link,
    sign_in_admin,
)

pytestmark = pytest.mark.screenshots

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("SCREENSHOTS_DIR") or ROOT / "docs" / "screenshots")
MAX_BYTES = 300_000  # a full status page with maintenance and incidents
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
ALICE = "alice@acme.example"


@pytest.fixture(scope="module")
def demo(live_portal):
    """The demo data, a staff account and one invitation still pending."""
    load_demo(live_portal)
    admin_id = create_admin(live_portal)
    with live_portal.app.app_context():
        directory.invite_partner(
            Actor(admin_id, SYSTEM), "dave@umbrella.example", "Dave Lister", "Umbrella"
        )
    return live_portal


def shoot(page, name: str, *, full_page: bool = False) -> None:  # noqa: ANN001
    path = OUT / f"{name}.png"
    page.screenshot(path=path, full_page=full_page, animations="disabled", caret="initial")
    assert path.stat().st_size < MAX_BYTES, f"{path.name} is {path.stat().st_size} bytes"


def test_screenshots(browser, demo, smtp):
    OUT.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=DESKTOP, color_scheme="light")
    page = context.new_page()

    page.goto(demo.path("/partner/login"))
    page.get_by_label("Email address").fill(ALICE)
    shoot(page, "login")
    request_link(page, demo, ALICE)
    shoot(page, "check-your-email")
    page.goto(link_in(message_for(smtp, ALICE)))
    shoot(page, "confirm")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(demo.path("/partner/dashboard"))
    page.goto(demo.path("/partner/dashboard"))  # without the welcome message
    shoot(page, "dashboard")
    page.goto(demo.path("/partner/status/payments-api"))
    shoot(page, "status-page", full_page=True)
    page.get_by_role("link", name="Elevated webhook delivery delays").click()
    shoot(page, "incident-page", full_page=True)

    dark = browser.new_context(viewport=DESKTOP, color_scheme="dark")
    dark.add_cookies(context.cookies())
    tab = dark.new_page()
    tab.goto(demo.path("/partner/status/payments-api"))
    shoot(tab, "status-page-dark", full_page=True)
    dark.close()

    phone = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=1
    )
    phone.add_cookies(context.cookies())
    tab = phone.new_page()
    tab.goto(demo.path("/partner/status/payments-api"))
    shoot(tab, "status-page-phone", full_page=True)
    phone.close()

    sign_in_admin(page, demo)
    shoot(page, "admin-console", full_page=True)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Partners").click()
    page.get_by_role("link", name=ALICE).click()
    shoot(page, "admin-partner", full_page=True)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Audit log").click()
    shoot(page, "audit-log")
    context.close()
