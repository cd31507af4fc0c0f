"""Every page, and every email's HTML, passes axe-core and the Nu Html Checker.

``PAGES`` lists how to reach every GET page of the app; a new route that is
neither listed nor exempted fails ``test_every_page_is_checked``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from partner_portal import partners
from partner_portal.dev import mailbox
from partner_portal.extensions import db
from partner_portal.models import ComponentStatus

from .checks import axe_violations, tools_missing, vnu_errors
from .test_partner_flows import link_in, message_for

# endpoint -> (who, path). "partner" pages are visited signed in as Frank.
PAGES: dict[str, tuple[str, str]] = {
    "auth.login": ("anonymous", "/partner/login"),
    "auth.login_sent": ("anonymous", "/partner/login/sent"),
    "auth.confirm_link": ("confirming", "/partner/verify"),
    "portal.dashboard": ("partner", "/partner/dashboard"),
    "portal.status_page": ("partner", "/partner/status/storefront"),
    "dev.list_messages": ("anonymous", "/dev/mailbox"),
    "dev.show_message": ("anonymous", "<first message>"),
}
# Error pages are pages too.
ERROR_PAGES = {"404": ("partner", "/partner/status/no-such-page")}
# GET routes that render no page of their own, and why.
EXEMPT = {
    "static": "files, not pages",
    "portal.index": "redirects to the dashboard or the login page",
    "auth.open_link": "redirects to the confirmation page",
}
EXEMPT_PREFIXES = {"api.": "JSON, not HTML"}


def is_exempt(endpoint: str) -> bool:
    return endpoint in EXEMPT or any(endpoint.startswith(p) for p in EXEMPT_PREFIXES)


def test_every_page_is_checked(live_portal):
    """A new GET route must be added to PAGES (or EXEMPT with a reason)."""
    get_endpoints = {
        rule.endpoint
        for rule in live_portal.app.url_map.iter_rules()
        if "GET" in (rule.methods or ())
    }
    unchecked = sorted(e for e in get_endpoints if not is_exempt(e) and e not in PAGES)
    assert unchecked == [], f"add these endpoints to PAGES in {__file__}"
    assert sorted(set(PAGES) - get_endpoints) == []


@pytest.fixture(scope="module")
def frank(live_portal):
    with live_portal.app.app_context():
        frank = partners.add_partner("frank@acme.example", name="Frank Castle", company="Acme")
        page = partners.add_page("storefront", name="Storefront", description="Web shop.")
        for name, status in [
            ("Catalogue", ComponentStatus.OPERATIONAL),
            ("Search", ComponentStatus.UNDER_MAINTENANCE),
            ("Checkout", ComponentStatus.DEGRADED_PERFORMANCE),
            ("Images", ComponentStatus.PARTIAL_OUTAGE),
            ("Reviews", ComponentStatus.MAJOR_OUTAGE),
        ]:
            partners.add_component(page, name, status)
        partners.grant_access(frank, page)
        db.session.commit()
    return live_portal


def sign_in_through_the_pages(page, portal, smtp) -> str:  # noqa: ANN001
    """Request and open a link in ``page``; stop on the confirmation page. Return the link."""
    page.goto(portal.path("/partner/login"))
    page.get_by_label("Email address").fill("frank@acme.example")
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    link = link_in(message_for(smtp, "frank@acme.example"))
    page.goto(link)
    return link


def test_every_page_passes_axe_and_the_nu_html_checker(browser, frank, smtp, tmp_path):
    missing = tools_missing()
    if missing:
        pytest.skip(missing)
    portal = frank
    # bypass_csp lets axe-core be injected; the pages' own CSP is tested elsewhere.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sources: dict[str, str] = {}
    problems: dict[str, list] = {}

    def check(name: str, response) -> None:  # noqa: ANN001
        sources[name] = response.text() if response is not None else page.content()
        violations = axe_violations(page)
        if violations:
            problems[name] = violations

    for endpoint in ("auth.login", "auth.login_sent", "dev.list_messages"):
        check(endpoint, page.goto(portal.path(PAGES[endpoint][1])))
    sign_in_through_the_pages(page, portal, smtp)
    check("auth.confirm_link", page.goto(portal.path("/partner/verify")))
    email = message_for(smtp, "frank@acme.example")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(portal.path("/partner/dashboard"))
    for endpoint in ("portal.dashboard", "portal.status_page"):
        check(endpoint, page.goto(portal.path(PAGES[endpoint][1])))
    for name, (_, path) in ERROR_PAGES.items():
        check(f"error {name}", page.goto(portal.path(path)))
    with portal.app.app_context():
        mailbox.store(email.as_bytes())
    page.goto(portal.path("/dev/mailbox"))
    first = page.locator("table.mailbox a").first.get_attribute("href")
    check("dev.show_message", page.goto(portal.path(first)))

    html = email.get_body(preferencelist=("html",)).get_content()
    page.set_content(html)
    check("email login_link", None)
    sources["email login_link"] = html
    context.close()

    assert problems == {}, problems
    files = []
    for name, source in sources.items():
        path = Path(tmp_path) / (re.sub(r"[^a-z0-9]+", "-", name.lower()) + ".html")
        path.write_text(source)
        files.append(path)
    assert vnu_errors(files) == {}
    checked = {name for name in sources if not name.startswith(("error", "email"))}
    assert checked == set(PAGES)


def test_keyboard_only_use(page, frank):
    # Every page starts with a visible skip link...
    page.goto(frank.path("/partner/login/sent"))
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Skip to content"
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('main') !== null")

    # ...and the login form is usable without a mouse: the field has focus, Enter submits.
    page.goto(frank.path("/partner/login"))
    assert page.evaluate("() => document.activeElement.name") == "email"
    page.keyboard.type("frank@acme.example")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Check your email").wait_for()
