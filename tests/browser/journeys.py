"""What the browser tests do again and again: read the mail, sign in, seed a live portal."""

from __future__ import annotations

import re
from email.message import EmailMessage

from partner_portal import actors, demo, partners
from partner_portal.admin.staff import accounts as service
from partner_portal.extensions import db
from partner_portal.models import ComponentStatus
from partner_portal.security.audit import SYSTEM

ADMIN_EMAIL = "ops@portal.example"
ADMIN_PASSWORD = "correct horse battery staple"


def message_for(smtp, email: str, *, since: int = 0, timeout: float = 10.0) -> EmailMessage:  # noqa: ANN001
    """Wait for a message to ``email`` among those received after the first ``since``.

    Return the newest such message. The live portal's own mail worker delivers it.
    """

    def newest(messages: list[EmailMessage]) -> EmailMessage | None:
        return next((m for m in reversed(messages[since:]) if m["To"] == email), None)

    return smtp.wait_until(newest, timeout)


def link_in(message: EmailMessage, path: str = "/partner/verify/") -> str:
    """Return the link to ``path`` in the message's text part."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    found = re.search(r"http://127\.0\.0\.1:\d+" + re.escape(path) + r"[A-Za-z0-9_-]{43}", text)
    assert found, f"no {path} link in: {text}"
    return found.group(0)


def html_of(message: EmailMessage) -> str:
    """Return the message's HTML part."""
    return message.get_body(preferencelist=("html",)).get_content()


def request_link(page, portal, email: str) -> None:  # noqa: ANN001
    """Ask for a sign-in link on the login page and wait for the answer."""
    page.goto(portal.path("/partner/login"))
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.get_by_role("heading", name="Check your email").wait_for()


def sign_in_partner(page, portal, smtp, email: str) -> None:  # noqa: ANN001
    """Sign a partner in through the pages and the real mail, as a person would."""
    since = len(smtp.messages)
    request_link(page, portal, email)
    page.goto(link_in(message_for(smtp, email, since=since)))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(portal.path("/partner/dashboard"))


def create_admin(portal, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> int:  # noqa: ANN001
    """Create a staff account in the live database, as `flask admin create` does."""
    with portal.app.app_context():
        return service.create_admin(email, password, SYSTEM).id


def sign_in_admin(page, portal, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:  # noqa: ANN001
    """Sign in to the console through its login page."""
    page.goto(portal.path("/admin/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(portal.path("/admin/"))


def load_demo(portal) -> None:  # noqa: ANN001
    """Load the demo (partners, pages with 90 days of history, incidents) and Frank.

    Frank Castle can see the Payments API and Storefront, a page with one component
    in each status, so every status colour is on screen.
    """
    with portal.app.app_context():
        demo.load()
        frank = partners.create_partner(actors.SYSTEM, "frank@acme.example", "Frank Castle", "Acme")
        storefront = partners.add_page(
            "storefront", name="Storefront", description="The web shop and its back office."
        )
        for name, status in [
            ("Catalogue", ComponentStatus.OPERATIONAL),
            ("Search", ComponentStatus.UNDER_MAINTENANCE),
            ("Checkout", ComponentStatus.DEGRADED_PERFORMANCE),
            ("Images", ComponentStatus.PARTIAL_OUTAGE),
            ("Reviews", ComponentStatus.MAJOR_OUTAGE),
        ]:
            partners.add_component(storefront, name, status)
        partners.grant_access(actors.SYSTEM, frank, storefront)
        partners.grant_access(actors.SYSTEM, frank, partners.get_page("payments-api"))
        db.session.commit()
