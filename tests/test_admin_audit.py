"""Admins read the audit trail: filters, pages, CSV export; entries are never changed."""

from __future__ import annotations

import csv
import io

import pytest

from partner_portal import messages
from partner_portal.extensions import db
from partner_portal.security.audit import Requester, Severity, record

from .helpers import (
    ADMIN_EMAIL,
    add_partner,
    admin_sign_in,
    audit_events,
    field_errors,
    form_data,
    request_link,
    soup,
)


def rows(client) -> list[list[str]]:
    page = soup(client)
    return [
        [cell.get_text(" ", strip=True) for cell in row.find_all("td")]
        for row in page.select("table.audit tbody tr")
    ]


def export(client, query: str = "") -> list[dict[str, str]]:
    page = client.get(f"/admin/audit{query}")
    data = form_data(page, "/admin/audit/export")
    response = client.post("/admin/audit/export", data=data)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-')
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_events_are_listed_newest_first_a_page_at_a_time(app, client, admin, clock):
    with app.app_context():
        for number in range(60):
            record("test.event", Requester(), details={"n": number})
            db.session.commit()
            clock.advance(seconds=20)
    first = client.get("/admin/audit?action=test.")
    listed = rows(first)
    assert len(listed) == 50
    assert '"n": 59' in listed[0][-1]
    assert "Page 1 of 2" in soup(first).get_text()
    second = client.get(soup(first).find("a", rel="next")["href"])
    assert len(rows(second)) == 10
    assert '"n": 0' in rows(second)[-1][-1]


def test_filters_by_action_partner_admin_severity_and_dates(app, client, admin, clock):
    alice = add_partner(app, "alice@acme.example")
    add_partner(app, "bob@globex.example")
    with app.app_context():
        record("partner.login", Requester(), partner_id=alice, email="alice@acme.example")
        record("partner.login.failed", Requester(), severity=Severity.WARNING, email="x@y.example")
        db.session.commit()
    clock.advance(days=2)
    with app.app_context():
        record("admin.partner.updated", Requester(), admin_id=admin, partner_id=alice)
        db.session.commit()
    admin_sign_in(client)  # the first staff session has ended by now

    def actions(query: str) -> list[str]:
        return [row[1] for row in rows(client.get(f"/admin/audit?{query}"))]

    assert actions("action=partner.login") == ["partner.login.failed", "partner.login"]
    assert actions(f"partner={alice}") == ["admin.partner.updated", "partner.login"]
    assert actions("partner=ALICE@acme.example") == ["admin.partner.updated", "partner.login"]
    assert actions(f"admin={ADMIN_EMAIL}") == [
        "admin.login",
        "admin.partner.updated",
        "admin.login",
        "admin.created",
    ]
    assert actions("admin=nobody@portal.example") == []
    assert actions("severity=warning") == ["partner.login.failed"]
    assert actions("since=2026-11-23&action=partner.") == []
    assert actions("since=2026-11-23") == ["admin.login", "admin.partner.updated"]
    assert "partner.login" in actions("until=2026-11-21")
    assert "admin.partner.updated" not in actions("until=2026-11-21")


@pytest.mark.parametrize(
    "query",
    [
        "since=yesterday",
        "until=2026-13-45",
        "since=2026-11-22&until=2026-11-01",
        "page=x",
        "severity=%00",
        "action=" + "a" * 500,
    ],
)
def test_bad_filters_are_explained_not_a_crash(client, admin, query):
    response = client.get(f"/admin/audit?{query}")
    assert response.status_code in (200, 400)
    if "%00" in query:  # refused before any form sees it, in words
        assert messages.INVALID_CHARACTER in response.get_data(as_text=True)
    elif response.status_code == 400:
        assert field_errors(response)


def test_text_from_users_is_escaped(app, client, admin):
    add_partner(app, "alice@acme.example")
    browser = app.test_client()
    browser.environ_base["HTTP_USER_AGENT"] = "<script>alert('ua')</script>"
    request_link(browser, "alice@acme.example")
    page = client.get("/admin/audit")
    html = page.get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html
    assert soup(page).find("script") is None


def test_export_contains_the_filtered_events_and_is_audited(app, client, admin, clock):
    alice = add_partner(app, "alice@acme.example")
    with app.app_context():
        record(
            "partner.login",
            Requester("203.0.113.9", "Firefox"),
            partner_id=alice,
            email="alice@acme.example",
            details={"token_id": 7},
        )
        record("partner.logout", Requester(), partner_id=alice, email="alice@acme.example")
        db.session.commit()
    clock.advance(minutes=1)

    exported = export(client, "?action=partner.login")

    assert list(exported[0].keys()) == [
        "id",
        "created_at",
        "action",
        "severity",
        "partner_id",
        "admin_id",
        "email",
        "ip_address",
        "user_agent",
        "details",
        "occurrences",
        "last_at",
    ]
    assert [row["action"] for row in exported] == ["partner.login"]
    row = exported[0]
    assert row["partner_id"] == str(alice)
    assert row["email"] == "alice@acme.example"
    assert row["ip_address"] == "203.0.113.9"
    assert row["user_agent"] == "Firefox"
    assert row["details"] == '{"token_id": 7}'
    assert row["created_at"] == "2026-11-21T09:30:00+00:00"
    (event,) = audit_events(app, "admin.audit.exported")
    assert event.admin_id == admin
    assert event.details["action"] == "partner.login"


def test_export_neutralises_spreadsheet_formulas(app, client, admin):
    with app.app_context():
        for agent in ('=HYPERLINK("http://evil.example")', "+1+1", "-2", "@SUM(A1)", "plain"):
            record("partner.login.requested", Requester("127.0.0.1", agent), email="a@b.example")
        db.session.commit()
    agents = [row["user_agent"] for row in export(client, "?action=partner.login.requested")]
    assert sorted(agents) == sorted(
        ['\'=HYPERLINK("http://evil.example")', "'+1+1", "'-2", "'@SUM(A1)", "plain"]
    )


def test_export_needs_the_form_token(app, client, admin):
    response = client.post("/admin/audit/export", data={})
    assert response.status_code == 303
    assert audit_events(app, "admin.audit.exported") == []


def test_export_of_many_events_streams_them_all(app, client, admin, clock):
    with app.app_context():
        for number in range(1203):
            record("bulk.event", Requester(), details={"n": number})
        db.session.commit()
    exported = export(client, "?action=bulk.")
    assert len(exported) == 1203
    assert len({row["id"] for row in exported}) == 1203
