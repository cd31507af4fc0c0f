"""Helpers that let tests read like a partner's story."""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage

from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from partner_portal import partners
from partner_portal.extensions import db
from partner_portal.models import AccessGrant, AuditEvent, ComponentStatus, Partner, StatusPage

LINK_PATTERN = re.compile(r"http://localhost/partner/verify/([A-Za-z0-9_-]+)")
ANY_LINK_PATTERN = re.compile(r"http://localhost(/partner/[a-z/]*verify/[A-Za-z0-9_-]+)")
CODE_PATTERN = re.compile(r"\b([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4})\b")


def soup(response: TestResponse) -> BeautifulSoup:
    """Parse a response's HTML."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def form_data(response: TestResponse, action: str | None = None) -> dict[str, str]:
    """Return the inputs as a browser would send them (CSRF token included) of a page's form."""
    page = soup(response)
    forms = page.find_all("form")
    if action is not None:
        forms = [f for f in forms if f.get("action") == action]
    assert forms, f"no form posting to {action!r}"
    data = {
        field["name"]: field.get("value", "")
        for field in forms[0].find_all("input")
        if field.get("name") and field.get("type") not in ("submit", "checkbox", "radio", "file")
    }
    for area in forms[0].find_all("textarea"):
        data[area["name"]] = area.get_text()
    for dropdown in forms[0].find_all("select"):
        chosen = dropdown.find("option", selected=True) or dropdown.find("option")
        data[dropdown["name"]] = chosen.get("value", "") if chosen else ""
    return data


def submit(
    client: FlaskClient, page_url: str, action: str, fields: dict[str, str] | None = None
) -> TestResponse:
    """Open ``page_url``, fill the form that posts to ``action`` and submit it, CSRF and all."""
    data = form_data(client.get(page_url), action)
    data.update(fields or {})
    return client.post(action, data=data)


def flashes(response: TestResponse) -> list[str]:
    """Return the flash messages shown on a page."""
    return [p.get_text(strip=True) for p in soup(response).select(".flash")]


def field_errors(response: TestResponse) -> list[str]:
    """Return the field-level error texts on a page."""
    return [p.get_text(strip=True) for p in soup(response).select(".error-text")]


def request_link(client: FlaskClient, email: str) -> TestResponse:
    """Ask for a sign-in link on the login page."""
    return submit(client, "/partner/login", "/partner/login", {"email": email})


def token_from(message: EmailMessage) -> str:
    """Return the raw token in a sign-in email's text part."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = LINK_PATTERN.search(text)
    assert match, text
    return match.group(1)


def link_path_from(message: EmailMessage) -> str:
    """Return the path of the (first) link in an email's text part, e.g. /partner/.../verify/..."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = ANY_LINK_PATTERN.search(text)
    assert match, text
    return match.group(1)


def text_of(message: EmailMessage) -> str:
    """Return an email's text part."""
    return message.get_body(preferencelist=("plain",)).get_content()


def code_from(message: EmailMessage) -> str:
    """Return the one-time code in a sign-in email's text part (as shown: ``ABCD-EFGH``)."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = CODE_PATTERN.search(text)
    assert match, text
    return match.group(1)


def enter_code(client: FlaskClient, code: str) -> TestResponse:
    """Type the emailed code on the "check your email" page and submit it."""
    return submit(client, "/partner/login/sent", "/partner/login/code", {"code": code})


def confirm(client: FlaskClient, token: str) -> TestResponse:
    """Open the emailed link and press Sign in on the confirmation page."""
    opened = client.get(f"/partner/verify/{token}")
    assert opened.status_code == 303, opened.status_code
    assert opened.location == "/partner/verify", opened.location
    return submit(client, "/partner/verify", "/partner/verify")


def sign_in(client: FlaskClient, smtp, email: str) -> TestResponse:  # noqa: ANN001
    """Request a link, receive it by SMTP, open and confirm it; return the confirm response."""
    before = len(smtp.messages)
    request_link(client, email)
    message = smtp.wait_for(before + 1)[-1]
    response = confirm(client, token_from(message))
    assert response.status_code == 303, response.status_code
    return response


def add_partner(
    app: Flask, email: str, name: str = "Alice Martin", company: str | None = "Acme"
) -> int:
    """Create an active partner (set-up data: not audited, unlike staff changes); return its id."""
    with app.app_context():
        address = partners.canonical_email(email)
        partner = Partner(email=address, name=name, company=company, is_active=True)
        db.session.add(partner)
        db.session.commit()
        return partner.id


def add_page(
    app: Flask,
    slug: str,
    name: str | None = None,
    components: list[tuple[str, ComponentStatus]] | None = None,
) -> int:
    """Create a status page with components; return its id."""
    with app.app_context():
        page = partners.add_page(slug, name=name or slug.replace("-", " ").title())
        for component_name, status in components or []:
            partners.add_component(page, component_name, status)
        db.session.commit()
        return page.id


def grant(app: Flask, email: str, slug: str, until: datetime | None = None) -> None:
    """Let a partner see a page (set-up data: not audited)."""
    with app.app_context():
        partner, page = partners.get_partner(email), partners.get_page(slug)
        existing = db.session.scalar(
            select(AccessGrant).filter_by(partner_id=partner.id, page_id=page.id)
        )
        if existing is None:
            db.session.add(AccessGrant(partner=partner, page=page, expires_at=until))
        else:
            existing.expires_at = until
        db.session.commit()


def get_partner(app: Flask, email: str) -> Partner:
    with app.app_context():
        partner = db.session.query(Partner).filter_by(email=email).one()
        db.session.expunge(partner)
        return partner


def get_page(app: Flask, slug: str) -> StatusPage:
    with app.app_context():
        page = db.session.query(StatusPage).filter_by(slug=slug).one()
        db.session.expunge(page)
        return page


def cookie(client: FlaskClient, name: str):  # noqa: ANN201
    """Return the client's cookie ``name`` (or None)."""
    return client.get_cookie(name)


ADMIN_EMAIL = "ops@portal.example"
ADMIN_PASSWORD = "correct horse battery staple"


def add_admin(app: Flask, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> int:
    """Create a staff account; return its id."""
    from partner_portal.admin.staff import accounts as service
    from partner_portal.security.audit import SYSTEM

    with app.app_context():
        return service.create_admin(email, password, SYSTEM).id


def admin_sign_in(
    client: FlaskClient, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD
) -> TestResponse:
    """Sign in on the staff login page; return the response to the POST."""
    return submit(client, "/admin/login", "/admin/login", {"email": email, "password": password})


def audit_events(app: Flask, action: str | None = None) -> list[AuditEvent]:
    """Return the audit events (of one action, if given), oldest first."""
    with app.app_context():
        query = db.session.query(AuditEvent).order_by(AuditEvent.id)
        if action is not None:
            query = query.filter(AuditEvent.action == action)
        events = query.all()
        for event in events:
            db.session.expunge(event)
        return events


SIGNUP_PATTERN = re.compile(r"http://localhost/partner/signup/([A-Za-z0-9_-]+)")
RESET_PATTERN = re.compile(r"http://localhost/admin/password-reset/([A-Za-z0-9_-]+)")


def link_from(message: EmailMessage, pattern: re.Pattern[str]) -> str:
    """Return the raw token an email's text part links to with ``pattern``."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = pattern.search(text)
    assert match, text
    return match.group(1)
