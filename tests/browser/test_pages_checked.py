"""Every page, error page and email passes axe-core and the Nu Html Checker, light and dark.

``PAGES`` lists how to reach every GET page of the app; a new route that is
neither listed nor exempted fails ``test_every_page_is_checked``, and a new
email template that the sweep does not receive fails the sweep.

Each page is checked twice from one visit: as served on a wide screen (every
axe-core rule, and its source through vnu.jar), then on a 360 px phone in dark
mode (colour contrast again, and the page must not scroll sideways).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from pprint import pformat

import pyotp
import pytest
from playwright.sync_api import expect

from partner_portal import clock, messages, outbox
from partner_portal.admin.identity import Actor
from partner_portal.admin.partners import directory
from partner_portal.admin.staff import accounts as staff_accounts
from partner_portal.admin.staff import factors as staff_factors
from partner_portal.dev import mailbox
from partner_portal.errors import bare_page, render_error
from partner_portal.extensions import db
from partner_portal.models import (
    AccessGrant,
    Admin,
    Component,
    ComponentStatus,
    Incident,
    IncidentStatus,
    MagicLinkToken,
    MaintenanceState,
    MaintenanceWindow,
    OutboxJob,
    OutboxStatus,
    Partner,
    PartnerSession,
    Role,
    StatusPage,
)
from partner_portal.security.audit import SYSTEM

from .checks import axe_violations, tools_missing, vnu_errors
from .journeys import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    create_admin,
    html_of,
    link_in,
    load_demo,
    message_for,
    request_link,
    sign_in_admin,
    sign_in_partner,
)

ROOT = Path(__file__).resolve().parents[2]
WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}

# endpoint -> (who is looking, path). A path's {name} is the id of a seeded row.
# "confirming" opened a sign-in link, "invited" an invitation, "resetting" a staff
# password reset link, "cancelling" the old address's "this was not me" link;
# "partner" is Frank signed in; "admin" is signed in to the console; "staff-invited"
# opened a staff invitation; "signing-in" gave a right password, the second factor to come.
PAGES: dict[str, tuple[str, str]] = {
    "auth.login": ("anonymous", "/partner/login"),
    "auth.login_sent": ("anonymous", "/partner/login/sent"),
    "admin.login": ("anonymous", "/admin/login"),
    "admin.request_password_reset": ("anonymous", "/admin/password-reset"),
    "admin.password_reset_sent": ("anonymous", "/admin/password-reset/sent"),
    "dev.list_messages": ("anonymous", "/dev/mailbox"),
    "dev.show_message": ("anonymous", "/dev/mailbox/{message}"),
    "links.confirm_login": ("confirming", "/partner/verify"),
    "links.confirm_signup": ("invited", "/partner/signup"),
    "links.confirm_password_reset": ("resetting", "/admin/password-reset/new"),
    "portal.dashboard": ("partner", "/partner/dashboard"),
    "portal.status_page": ("partner", "/partner/status/payments-api"),
    "portal.show_incident": ("partner", "/partner/status/payments-api/incidents/{incident}"),
    "portal.history": ("partner", "/partner/status/payments-api/history"),
    "account.overview": ("partner", "/partner/account"),
    "links.confirm_account_deletion": ("deleting", "/partner/account/delete/confirm"),
    "links.confirm_email_change": ("changing-email", "/partner/account/email/confirm"),
    "links.confirm_email_change_cancel": ("cancelling", "/partner/account/email/cancel"),
    "admin.index": ("admin", "/admin/"),
    "admin.list_partners": ("admin", "/admin/partners"),
    "admin.create_partner": ("admin", "/admin/partners/new"),
    "admin.invite_partner": ("admin", "/admin/partners/invite"),
    "admin.import_partners": ("admin", "/admin/partners/import"),
    "admin.show_partner": ("admin", "/admin/partners/{frank}"),
    "admin.edit_partner": ("admin", "/admin/partners/{frank}/edit"),
    "admin.deactivate_partner": ("admin", "/admin/partners/{frank}/deactivate"),
    "admin.delete_partner": ("admin", "/admin/partners/{frank}/delete"),
    "admin.end_partner_session": ("admin", "/admin/partners/{frank}/sessions/{session}/end"),
    "admin.end_partner_sessions": ("admin", "/admin/partners/{frank}/sessions/end-all"),
    "admin.revoke_partner_link": ("admin", "/admin/partners/{grace}/links/{link}/revoke"),
    "admin.revoke_access": ("admin", "/admin/grants/{grant}/revoke"),
    "admin.preview_dashboard": ("admin", "/admin/partners/{frank}/preview"),
    "admin.preview_page": ("admin", "/admin/partners/{frank}/preview/storefront"),
    "admin.list_pages": ("admin", "/admin/pages"),
    "admin.create_page": ("admin", "/admin/pages/new"),
    "admin.show_page": ("admin", "/admin/pages/{page}"),
    "admin.edit_page": ("admin", "/admin/pages/{page}/edit"),
    "admin.delete_page": ("admin", "/admin/pages/{page}/delete"),
    "admin.edit_component": ("admin", "/admin/components/{component}"),
    "admin.delete_component": ("admin", "/admin/components/{component}/delete"),
    "admin.open_incident": ("admin", "/admin/pages/{page}/incidents/new"),
    "admin.show_incident": ("admin", "/admin/incidents/{incident}"),
    "admin.edit_incident": ("admin", "/admin/incidents/{incident}/edit"),
    "admin.delete_incident": ("admin", "/admin/incidents/{incident}/delete"),
    "admin.schedule_maintenance": ("admin", "/admin/pages/{page}/maintenance/new"),
    "admin.show_maintenance": ("admin", "/admin/maintenance/{window}"),
    "admin.cancel_maintenance": ("admin", "/admin/maintenance/{window}/cancel"),
    "admin.audit_log": ("admin", "/admin/audit"),
    "admin.show_outbox": ("admin", "/admin/outbox"),
    "admin.account_security": ("admin", "/admin/account"),
    "admin.setup_totp": ("admin", "/admin/account/second-factor"),
    "admin.step_up": ("admin", "/admin/step-up"),
    "admin.step_up_continue": ("admin", "/admin/step-up/continue"),
    "admin.list_staff": ("admin", "/admin/staff"),
    "admin.invite_staff": ("admin", "/admin/staff/invite"),
    "admin.change_staff_role": ("admin", "/admin/staff/{invited_staff}/role"),
    "admin.deactivate_staff": ("admin", "/admin/staff/{invited_staff}/deactivate"),
    "links.confirm_staff_invitation": ("staff-invited", "/admin/invitation"),
    "admin.second_factor": ("signing-in", "/admin/login/second-factor"),
}
# The same pages in other states worth seeing: flashes, field errors, other data.
STATES: dict[str, tuple[str, str]] = {
    "auth.login (refused link)": ("anonymous", "/partner/verify/" + "x" * 43),
    "admin.login (sign-in required)": ("anonymous", "/admin/partners"),
    "portal.status_page (every status)": ("partner", "/partner/status/storefront"),
    "admin.show_partner (invited)": ("admin", "/admin/partners/{grace}"),
    "admin.show_incident (resolved)": ("admin", "/admin/incidents/{resolved}"),
    "portal.show_incident (resolved)": (
        "partner",
        "/partner/status/payments-api/incidents/{resolved}",
    ),
    "portal.history (one day)": ("partner", "/partner/status/payments-api/history?day={day}"),
    "admin.show_maintenance (in progress)": ("admin", "/admin/maintenance/{running}"),
    "admin.show_maintenance (completed)": ("admin", "/admin/maintenance/{completed}"),
    "admin.preview_page (history)": ("admin", "/admin/partners/{frank}/preview/payments-api"),
    "admin.audit_log (filtered)": ("admin", "/admin/audit?severity=warning"),
    "admin.list_partners (no match)": ("admin", "/admin/partners?q=nobody"),
}
# Error pages are pages too. 500 cannot be caused on purpose (and no route exists
# to cause it), so the sweep renders it through the app's own error handler.
ERROR_PAGES = {
    "error 404": ("partner", "/partner/status/no-such-page"),
    "error 404 (console)": ("admin", "/admin/no-such-page"),
    "error 405": ("anonymous", "/partner/logout"),
}
# GET routes that render no page of their own, and why.
EXEMPT = {
    "static": "files, not pages",
    "portal.index": "redirects to the dashboard or the login page",
    "health.healthz": "JSON for load balancers, not a page",
}
EXEMPT_PREFIXES = {
    "api.": "JSON, not HTML",
    "links.open_": "an emailed link: redirects to its confirmation page",
}
EMAILS = sorted(p.name for p in (ROOT / "templates" / "email").iterdir() if p.is_dir())


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
def seeded(live_portal):
    """The demo, Frank, a staff account, Grace's pending invitation and two mail failures."""
    load_demo(live_portal)
    admin_id = create_admin(live_portal)
    with live_portal.app.app_context():
        directory.invite_partner(
            Actor(admin_id, SYSTEM), "grace@initech.example", "Grace Hopper", "Initech"
        )
        now = clock.now()
        for recipient, status, code, error in [
            ("old@globex.example", OutboxStatus.FAILED, 550, "mailbox unavailable"),
            ("carol@initech.example", OutboxStatus.QUEUED, 421, "service not available"),
        ]:
            job = db.session.get(OutboxJob, outbox.enqueue("login_link", recipient, SYSTEM))
            job.status, job.attempts = status, 3
            job.last_reply_code, job.last_error = code, error
            job.next_attempt_at = now + timedelta(minutes=10)  # the worker leaves them be
        db.session.commit()
    return live_portal


def seeded_ids(portal) -> dict[str, object]:  # noqa: ANN001
    """Return the ids the console paths need (once Frank has a session)."""
    with portal.app.app_context():
        frank = db.session.scalar(db.select(Partner).filter_by(email="frank@acme.example"))
        grace = db.session.scalar(db.select(Partner).filter_by(email="grace@initech.example"))
        page = db.session.scalar(db.select(StatusPage).filter_by(slug="payments-api"))
        incidents = {
            i.status is IncidentStatus.RESOLVED: i
            for i in db.session.scalars(db.select(Incident).filter_by(page_id=page.id))
        }
        windows = {w.state: w.id for w in db.session.scalars(db.select(MaintenanceWindow))}
        return {
            "frank": frank.id,
            "grace": grace.id,
            "page": page.id,
            "component": db.session.scalar(db.select(Component.id).filter_by(page_id=page.id)),
            "incident": incidents[False].id,
            "resolved": incidents[True].id,
            "day": incidents[True].started_at.date().isoformat(),
            "window": windows[MaintenanceState.SCHEDULED],
            "running": windows[MaintenanceState.IN_PROGRESS],
            "completed": windows[MaintenanceState.COMPLETED],
            "grant": db.session.scalar(db.select(AccessGrant.id).filter_by(partner_id=frank.id)),
            "session": db.session.scalar(
                db.select(PartnerSession.id).filter_by(partner_id=frank.id)
            ),
            "link": db.session.scalar(db.select(MagicLinkToken.id).filter_by(partner_id=grace.id)),
            "invited_staff": db.session.scalar(
                db.select(Admin.id).filter_by(email="ivan@portal.example")
            ),
        }


class Sweep:
    """Visit pages in one tab and collect what the checkers say about each."""

    def __init__(self, page, portal) -> None:  # noqa: ANN001
        self.page = page
        self.portal = portal
        self.ids: dict[str, object] = {}
        self.sources: dict[str, str] = {}
        self.problems: dict[str, object] = {}

    def visit(self, name: str, path: str) -> None:
        response = self.page.goto(self.portal.path(path.format(**self.ids)))
        self.check(name, response.text())

    def check(self, name: str, source: str) -> None:
        """Run the checks on what the tab shows now; ``source`` goes to vnu.jar."""
        page = self.page
        self.sources[name] = source
        problems: dict[str, object] = {}
        if violations := axe_violations(page):
            problems["axe"] = violations
        page.emulate_media(color_scheme="dark")
        page.set_viewport_size(PHONE)
        if violations := axe_violations(page, rules=["color-contrast"]):
            problems["axe, dark"] = violations
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems["scrolls sideways at 360 px"] = width
        page.emulate_media(color_scheme="light")
        page.set_viewport_size(WIDE)
        if problems:
            self.problems[name] = problems

    def check_html(self, name: str, html: str) -> None:
        """Check a document that is not a page of the portal (an email)."""
        self.page.set_content(html)
        self.check(name, html)

    def check_rendered(self, name: str, html: str, status: int) -> None:
        """Check HTML the app rendered in-process, served at the portal's address."""
        path = "/rendered-by-the-test/" + re.sub(r"\W+", "-", name)
        self.page.route(
            self.portal.path(path),
            lambda route: route.fulfill(status=status, body=html, content_type="text/html"),
        )
        self.visit(name, path)


def submit(page, button: str):  # noqa: ANN001, ANN201 - the Response
    """Press a form's button and return the response the browser lands on."""
    with page.expect_navigation() as landed:
        page.get_by_role("button", name=button).click()
    return landed.value


def test_every_page_passes_axe_and_the_nu_html_checker(browser, seeded, smtp, tmp_path):
    missing = tools_missing()
    if missing:
        pytest.skip(missing)
    portal = seeded
    # bypass_csp lets axe-core be injected; the pages' own CSP is tested elsewhere.
    context = browser.new_context(bypass_csp=True, viewport=WIDE)
    page = context.new_page()
    sweep = Sweep(page, portal)
    emails = {}

    def visit_all(who: str) -> None:
        for name, (viewer, path) in {**PAGES, **STATES, **ERROR_PAGES}.items():
            if viewer == who and name != "dev.show_message":
                sweep.visit(name, path)

    visit_all("anonymous")
    page.goto(portal.path("/partner/login"))
    page.get_by_label("Email address").fill("not an email")
    sweep.check("auth.login (field error)", submit(page, "Email me a sign-in link").text())
    page.goto(portal.path("/admin/login"))
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill("not the password")
    sweep.check("admin.login (failed)", submit(page, "Sign in").text())

    # A staff password reset link, opened.
    page.goto(portal.path("/admin/password-reset"))
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    submit(page, "Email me a reset link")
    emails["admin_password_reset"] = message_for(smtp, ADMIN_EMAIL)
    page.goto(link_in(emails["admin_password_reset"], "/admin/password-reset/"))
    visit_all("resetting")

    # A sign-in link, opened; then signed in.
    since = len(smtp.messages)
    request_link(page, portal, "frank@acme.example")
    emails["login_link"] = message_for(smtp, "frank@acme.example", since=since)
    page.goto(link_in(emails["login_link"]))
    visit_all("confirming")
    submit(page, "Sign in")
    sweep.ids = seeded_ids(portal)  # incident ids and the like; Frank's session exists now
    visit_all("partner")

    # Self-service: a deletion link opened (never confirmed here), then an address change.
    since = len(smtp.messages)
    page.goto(portal.path("/partner/account"))
    submit(page, "Email me a link to delete my account")
    emails["account_deletion_link"] = message_for(smtp, "frank@acme.example", since=since)
    page.goto(link_in(emails["account_deletion_link"], "/partner/account/delete/verify/"))
    visit_all("deleting")
    since = len(smtp.messages)
    page.goto(portal.path("/partner/account"))
    page.get_by_label("New email address").fill("frank.castle@acme.example")
    submit(page, "Send a confirmation link")
    emails["email_change_link"] = message_for(smtp, "frank.castle@acme.example", since=since)
    emails["email_change_notice"] = message_for(smtp, "frank@acme.example", since=since)
    page.goto(link_in(emails["email_change_link"], "/partner/account/email/verify/"))
    visit_all("changing-email")
    page.goto(link_in(emails["email_change_notice"], "/partner/account/email/cancel/"))
    visit_all("cancelling")

    # An invitation, opened but not accepted. (Sent now: the inbox was emptied after the seed.)
    with portal.app.app_context():
        admin_id = db.session.scalar(db.select(Admin.id).filter_by(email=ADMIN_EMAIL))
        directory.invite_partner(Actor(admin_id, SYSTEM), "heidi@umbrella.example", "Heidi", None)
    emails["invitation"] = message_for(smtp, "heidi@umbrella.example")
    page.goto(link_in(emails["invitation"], "/partner/signup/"))
    visit_all("invited")

    # A staff invitation, opened but not accepted.
    with portal.app.app_context():
        staff_accounts.invite_admin(Actor(admin_id, SYSTEM), "ivan@portal.example", Role.EDITOR)
    emails["staff_invitation"] = message_for(smtp, "ivan@portal.example")
    page.goto(link_in(emails["staff_invitation"], "/admin/invitation/"))
    visit_all("staff-invited")

    sign_in_admin(page, portal)
    sweep.ids = seeded_ids(portal)
    visit_all("admin")

    # An authenticator app: its QR code, then the recovery codes (and the notice email).
    since = len(smtp.messages)
    page.goto(portal.path("/admin/account/second-factor"))
    sweep.check("admin.setup_totp (QR code)", submit(page, "Show the QR code").text())
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    sweep.check("recovery codes", submit(page, "Confirm and turn on").text())
    emails["admin_security_notice"] = message_for(smtp, ADMIN_EMAIL, since=since)
    sweep.visit("admin.account_security (with an app)", "/admin/account")

    # The console's sign-out lands on its login page with a success message.
    page.goto(portal.path("/admin/"))
    sweep.check("admin.login (signed out)", submit(page, "Sign out").text())

    # Signing in again: the password, then the second-factor page.
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    submit(page, "Sign in")
    visit_all("signing-in")
    # The other tests of this module sign in with the password alone: the app goes again.
    with portal.app.app_context():
        admin = db.session.get(Admin, admin_id)
        staff_factors.remove_totp(Actor(admin_id, SYSTEM), admin, None)

    with portal.app.app_context():
        sweep.ids["message"] = mailbox.store(emails["login_link"].as_bytes())
    sweep.visit("dev.show_message", PAGES["dev.show_message"][1])

    with portal.app.test_request_context("/partner/dashboard", base_url=portal.url):
        html, status = render_error(500, reference="4f2a9c1e")
    sweep.check_rendered("error 500", html, status)
    # A request for a host the portal does not serve gets a bare page that links nowhere.
    bare = bare_page("Bad request", messages.BAD_REQUEST)
    sweep.check_rendered("error 400 (unknown host)", bare, 400)

    for kind, message in emails.items():
        sweep.check_html(f"email {kind}", html_of(message))
    context.close()

    assert not sweep.problems, pformat(sweep.problems, width=100)
    files = []
    for name, source in sweep.sources.items():
        path = Path(tmp_path) / (re.sub(r"[^a-z0-9]+", "-", name.lower()) + ".html")
        path.write_text(source)
        files.append(path)
    errors = vnu_errors(files)
    assert not errors, pformat(errors, width=100)
    assert set(PAGES) <= set(sweep.sources)
    assert sorted(emails) == EMAILS, "a new email needs a check here"


# Where the focus is after a Tab, and whether a person can see it.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const all = [...document.querySelectorAll('*')];
  return {
    name: (el.getAttribute('aria-label') || el.innerText || el.value || el.name || el.tagName)
      .trim().replace(/\\s+/g, ' ').slice(0, 40),
    position: all.indexOf(el),
    visible: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
  };
}"""
TABBABLE = """() => [...document.querySelectorAll(
  'a[href], button, input:not([type=hidden]), select, textarea, [tabindex="0"]'
)].filter(el => !el.disabled && el.getClientRects().length > 0).length"""


def tab_through(page) -> list[dict]:  # noqa: ANN001
    """Press Tab from the top of the page until focus leaves it; return each element focused.

    A date field takes several Tabs (day, month, year, its calendar button): one element.
    """
    page.evaluate("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }")
    stops: list[dict] = []
    for _ in range(200):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUSED)
        if stop is None or (stops and stop["position"] == stops[0]["position"]):
            return stops
        if stops and stop["position"] == stops[-1]["position"]:
            stops[-1]["visible"] = stops[-1]["visible"] or stop["visible"]
        else:
            stops.append(stop)
    raise AssertionError("focus never left the page")


KEYBOARD_PAGES = {
    "partner": ["/partner/dashboard", "/partner/status/payments-api"],
    "admin": [
        "/admin/",
        "/admin/partners/{frank}",
        "/admin/pages/{page}",
        "/admin/incidents/{incident}",
        "/admin/audit",
    ],
}


def test_keyboard_alone_reaches_everything_in_order_with_visible_focus(page, seeded, smtp):
    sign_in_partner(page, seeded, smtp, "frank@acme.example")
    sign_in_admin(page, seeded)
    ids = seeded_ids(seeded)
    for who, paths in KEYBOARD_PAGES.items():
        for path in paths:
            page.goto(seeded.path(path.format(**ids)))
            stops = tab_through(page)
            names = [stop["name"] for stop in stops]
            # Skip link first, then the header, then the page: the order of the document,
            # which is the order on screen (no positive tabindex, no reordered controls).
            assert names[0] == "Skip to content", path
            assert names[1].lower() == "partner portal" + (" console" if who == "admin" else "")
            positions = [stop["position"] for stop in stops]
            assert positions == sorted(positions), (path, names)
            assert [s["name"] for s in stops if not s["visible"]] == [], (path, stops)
            # Every control is reachable, and nothing is reachable twice.
            assert len(stops) == page.evaluate(TABBABLE), (path, names)
    assert (
        page.evaluate(
            '() => document.querySelectorAll(\'[tabindex]:not([tabindex="-1"])'
            ':not([tabindex="0"])\').length'
        )
        == 0
    )


@pytest.mark.parametrize("path", ["/partner/login/sent", "/admin/password-reset/sent"])
def test_the_skip_link_is_the_first_stop_and_goes_to_the_content(page, seeded, path):
    page.goto(seeded.path(path))
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Skip to content"
    assert page.locator(".skip-link").bounding_box()["y"] >= 0  # on screen once focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('main') !== null")


def test_the_login_form_works_without_a_mouse(page, seeded):
    page.goto(seeded.path("/partner/login"))
    assert page.evaluate("() => document.activeElement.name") == "email"
    page.keyboard.type("frank@acme.example")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Check your email").wait_for()


def test_status_is_never_told_by_colour_alone(page, seeded, smtp):
    sign_in_partner(page, seeded, smtp, "frank@acme.example")
    labels = {status.label for status in ComponentStatus}
    # Every badge says its status in words; each dashboard card's coloured edge repeats one.
    for card in page.locator(".page-card").all():
        assert card.locator(".badge").inner_text().strip() in labels
    page.goto(seeded.path("/partner/status/payments-api"))
    badges = page.locator(".badge").all_inner_texts()
    assert len(badges) == 5  # the page's overall status and its four components
    assert {text.strip() for text in badges} <= labels
    # Each history bar is a group named by its component, with its uptime in words; every
    # day names its worst status and minutes affected (its accessible name and its tooltip)...
    for bar in page.locator(".history").all():
        assert bar.get_attribute("role") == "group"
        uptime = page.locator(f"#{bar.get_attribute('aria-describedby')}").inner_text()
        assert re.match(r"\d+\.\d\d % uptime", uptime)
        assert bar.locator(".day").count() == 90
        titles = bar.locator(".day").evaluate_all("days => days.map(d => d.title)")
        assert all(
            re.match(r"\d\d \w{3} \d{4}: (no data|\w.*, \d+ minutes? affected)", t) for t in titles
        )
    webhooks = page.locator(".history").last
    assert webhooks.locator(".day.status-major_outage").count() == 2
    # Days with incidents are links to them.
    assert webhooks.locator("a.day").count() >= 2
    # ...and a visible legend names the colours.
    legend = page.locator(".legend")
    expect(legend).to_be_visible()
    assert [key.strip() for key in legend.locator(".key").all_inner_texts()] == [
        "Operational",
        "Maintenance",
        "Degraded",
        "Partial outage",
        "Major outage",
    ]
    # An incident's coloured edge comes with its impact in words.
    assert "Impact: Major" in page.locator(".incident").first.inner_text()


def test_a_status_page_prints_without_the_site_around_it(page, seeded, smtp):
    sign_in_partner(page, seeded, smtp, "frank@acme.example")
    page.goto(seeded.path("/partner/status/payments-api"))
    page.emulate_media(media="print")
    for hidden in (".site-header nav", ".site-footer", ".breadcrumb"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.locator(".history").first).to_be_visible()
    adjust = page.locator(".history .day").first.evaluate(
        "day => getComputedStyle(day).printColorAdjust"
    )
    assert adjust == "exact"  # the bars keep their colours on paper
    assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") in (
        "rgb(255, 255, 255)",
        "rgba(0, 0, 0, 0)",
    )
    assert len(page.pdf(format="A4")) > 10_000  # and Chromium can print it
