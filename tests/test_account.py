"""A partner looks after their own account: sessions, email address, deletion, activity."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from partner_portal import messages
from partner_portal.extensions import db
from partner_portal.models import AccessGrant, AuditEvent, MagicLinkToken, Partner, PartnerSession

from .helpers import (
    add_page,
    add_partner,
    field_errors,
    flashes,
    form_data,
    grant,
    link_path_from,
    request_link,
    sign_in,
    soup,
    submit,
    text_of,
    token_from,
)

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def browser(app, ip: str = "127.0.0.1", user_agent: str = FIREFOX):  # noqa: ANN201
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR=ip, HTTP_USER_AGENT=user_agent)
    return client


def actions(app, prefix: str = "partner.") -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.action.startswith(prefix))
                .order_by(AuditEvent.id)
            )
        )


def session_count(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(PartnerSession)).all())


@pytest.fixture
def laptop(app, smtp, alice):
    client = browser(app, "198.51.100.10", FIREFOX)
    sign_in(client, smtp, "alice@acme.example")
    return client


@pytest.fixture
def phone(app, smtp, alice, laptop):
    client = browser(app, "203.0.113.20", IPHONE)
    sign_in(client, smtp, "alice@acme.example")
    return client


def test_the_account_page_needs_a_signed_in_partner(client):
    response = client.get("/partner/account")
    assert response.status_code == 302
    assert response.location.startswith("/partner/login?next=/partner/account")


def test_the_header_links_to_the_account_page(laptop):
    page = soup(laptop.get("/partner/dashboard"))
    assert page.find("a", href="/partner/account").get_text(strip=True) == "Account"


def test_active_sessions_are_listed_with_the_current_one_marked(app, laptop, phone):
    page = soup(laptop.get("/partner/account"))
    rows = page.select("#sessions tbody tr")
    assert len(rows) == 2
    cells = [[td.get_text(" ", strip=True) for td in row.find_all(["th", "td"])] for row in rows]
    current = [c for c in cells if "This browser" in " ".join(c)]
    other = [c for c in cells if "This browser" not in " ".join(c)]
    assert len(current) == 1
    assert "Firefox on Windows" in " ".join(current[0])
    assert "198.51.100.10" in " ".join(current[0])
    assert "Safari on iPhone" in " ".join(other[0])
    assert "203.0.113.20" in " ".join(other[0])
    assert page.select("#sessions time")  # started and last seen
    # The session ids (the cookies' values) are never shown, nor their hashes.
    for row in session_rows(app):
        assert row.session_hash not in page.decode()
    assert laptop.get_cookie("partner.sid").value not in page.decode()


def session_rows(app) -> list[PartnerSession]:
    with app.app_context():
        rows = db.session.scalars(select(PartnerSession).order_by(PartnerSession.id)).all()
        for row in rows:
            db.session.expunge(row)
        return list(rows)


def test_ending_another_session_signs_it_out_on_its_next_request(app, laptop, phone):
    phone_row = next(r for r in session_rows(app) if r.ip_address == "203.0.113.20")
    action = f"/partner/account/sessions/{phone_row.id}/end"
    response = submit(laptop, "/partner/account", action)
    assert response.status_code == 303
    assert flashes(laptop.get("/partner/account")) == [messages.SESSION_ENDED]
    assert phone.get("/partner/dashboard").status_code == 302
    assert laptop.get("/partner/dashboard").status_code == 200
    assert "partner.session.ended" in actions(app)


def test_the_current_session_has_no_end_button_only_sign_out(app, laptop, phone):
    page = soup(laptop.get("/partner/account"))
    current = next(r for r in page.select("#sessions tbody tr") if "This browser" in r.get_text())
    assert current.find("form") is None


def test_sign_out_everywhere_else(app, smtp, laptop, phone):
    third = browser(app, "192.0.2.30")
    sign_in(third, smtp, "alice@acme.example")
    response = submit(laptop, "/partner/account", "/partner/account/sessions/end-others")
    assert response.status_code == 303
    assert flashes(laptop.get("/partner/account")) == [messages.OTHER_SESSIONS_ENDED]
    assert phone.get("/partner/dashboard").status_code == 302
    assert third.get("/partner/dashboard").status_code == 302
    assert laptop.get("/partner/dashboard").status_code == 200
    assert session_count(app) == 1
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "partner.sessions.ended_others")
        )
        assert event.details["sessions_ended"] == 2


def request_change(client, new_email: str):  # noqa: ANN001, ANN201
    return submit(client, "/partner/account", "/partner/account/email", {"new_email": new_email})


def test_changing_email_takes_a_link_to_the_new_address_and_a_notice_to_the_old(
    app, smtp, laptop, phone
):
    before = len(smtp.delivered())
    response = request_change(laptop, "Alice.Martin@Acme.example")
    assert response.status_code == 303
    assert flashes(laptop.get("/partner/account")) == [
        messages.EMAIL_CHANGE_SENT.format(email="alice.martin@acme.example")
    ]
    link_mail, notice = sorted(smtp.wait_for(before + 2)[before:], key=lambda m: m["To"])
    assert notice["To"] == "alice@acme.example"
    assert link_mail["To"] == "alice.martin@acme.example"
    assert "alice.martin@acme.example" in text_of(notice)
    assert "198.51.100.10" in text_of(notice)  # where the request came from
    assert "verify/" not in text_of(notice)  # no link that makes the change (only one to cancel it)
    # Nothing has changed yet.
    with app.app_context():
        assert db.session.get(Partner, 1).email == "alice@acme.example"

    path = link_path_from(link_mail)
    assert path.startswith("/partner/account/email/verify/")
    opened = laptop.get(path)
    assert opened.status_code == 303
    assert opened.location == "/partner/account/email/confirm"
    assert opened.headers["Referrer-Policy"] == "no-referrer"
    page = laptop.get("/partner/account/email/confirm")
    text = page.get_data(as_text=True)
    assert "alice@acme.example" in text
    assert "alice.martin@acme.example" in text
    with app.app_context():
        assert db.session.get(Partner, 1).email == "alice@acme.example"  # GET never acts

    response = submit(laptop, "/partner/account/email/confirm", "/partner/account/email/confirm")
    assert response.status_code == 303
    assert response.location == "/partner/account"
    assert flashes(laptop.get("/partner/account")) == [
        messages.EMAIL_CHANGED.format(email="alice.martin@acme.example")
    ]
    with app.app_context():
        assert db.session.get(Partner, 1).email == "alice.martin@acme.example"
    assert phone.get("/partner/dashboard").status_code == 302  # other sessions end
    assert laptop.get("/partner/dashboard").status_code == 200  # this one goes on
    assert [a for a in actions(app) if a.startswith("partner.email")] == [
        "partner.email.change_requested",
        "partner.email.changed",
    ]
    done = smtp.wait_for(before + 3)[-1]  # and the old address hears that it happened
    assert done["To"] == "alice@acme.example"
    assert done["Subject"] == "Partner Portal - Your sign-in address has been changed"
    assert "alice.martin@acme.example" in text_of(done)


def test_after_the_change_only_the_new_address_signs_in(app, smtp, laptop):
    old_link_client = browser(app, "192.0.2.40")
    request_link(old_link_client, "alice@acme.example")
    old_login = token_from(smtp.wait_for(2)[-1])  # sent to the old address before the change
    change_email(laptop, smtp, "alice@new.example")
    response = old_login_attempt(old_link_client, old_login)
    assert flashes(response) == [messages.LINK_REVOKED]

    fresh = browser(app, "192.0.2.41")
    before = len(smtp.delivered())
    request_link(fresh, "alice@acme.example")
    assert len(smtp.delivered()) == before  # the old address is nobody's now
    sign_in(fresh, smtp, "alice@new.example")
    assert fresh.get("/partner/dashboard").status_code == 200


def old_login_attempt(client, token: str):  # noqa: ANN001, ANN201
    client.get(f"/partner/verify/{token}")
    return client.get("/partner/login")


def change_email(client, smtp, new_email: str) -> None:  # noqa: ANN001
    before = len(smtp.delivered())
    request_change(client, new_email)
    mails = smtp.wait_for(before + 2)[before:]
    link_mail = next(m for m in mails if m["To"] == new_email)
    client.get(link_path_from(link_mail))
    response = submit(client, "/partner/account/email/confirm", "/partner/account/email/confirm")
    assert response.location == "/partner/account", flashes(client.get("/partner/account"))


@pytest.mark.parametrize(
    ("new_email", "error"),
    [
        ("alice@acme.example", messages.EMAIL_UNCHANGED),
        (" ALICE@acme.example ", messages.EMAIL_UNCHANGED),
        ("not-an-address", messages.INVALID_EMAIL),
        ("", messages.INVALID_EMAIL),
        ("jürgen@acme.example", messages.EMAIL_NOT_ASCII),
        ("a@acme.example\r\nBcc: x@evil.example", messages.INVALID_EMAIL),
    ],
)
def test_a_new_address_that_cannot_be_used_is_explained(app, smtp, laptop, new_email, error):
    before = len(smtp.delivered())
    response = request_change(laptop, new_email)
    assert response.status_code == 400
    assert field_errors(response) == [error]
    assert len(smtp.delivered()) == before


def test_an_address_of_another_partner_gets_the_same_answer_but_no_link(app, smtp, laptop):
    add_partner(app, "bob@globex.example", name="Bob")
    before = len(smtp.delivered())
    response = request_change(laptop, "bob@globex.example")
    assert response.status_code == 303
    assert flashes(laptop.get("/partner/account")) == [
        messages.EMAIL_CHANGE_SENT.format(email="bob@globex.example")
    ]
    received = smtp.wait_for(before + 1)[before:]
    assert [m["To"] for m in received] == ["alice@acme.example"]  # the notice only
    assert len(smtp.delivered()) == before + 1


def test_changing_email_needs_a_recent_sign_in(app, smtp, laptop, clock):
    clock.advance(minutes=16)
    page = laptop.get("/partner/account")
    assert soup(page).find("input", attrs={"name": "new_email"}) is None
    csrf = form_data(page, "/partner/account/sign-in-again")["csrf_token"]
    refused = laptop.post(
        "/partner/account/email", data={"csrf_token": csrf, "new_email": "a2@acme.example"}
    )
    assert refused.status_code == 303
    assert flashes(laptop.get("/partner/account")) == [messages.SIGN_IN_AGAIN]
    response = submit(laptop, "/partner/account", "/partner/account/sign-in-again")
    assert response.location == "/partner/login?next=/partner/account"
    assert laptop.get("/partner/dashboard").status_code == 302
    before = len(smtp.delivered())
    submit(laptop, response.location, "/partner/login", {"email": "alice@acme.example"})
    from .helpers import confirm

    landed = confirm(laptop, token_from(smtp.wait_for(before + 1)[-1]))
    assert landed.location == "/partner/account"
    assert soup(laptop.get("/partner/account")).find("input", attrs={"name": "new_email"})


def request_deletion(client, smtp):  # noqa: ANN001, ANN201 - (EmailMessage, [str])
    """Ask for the deletion link; return it and the note the account page then shows."""
    before = len(smtp.delivered())
    response = submit(client, "/partner/account", "/partner/account/delete")
    assert response.status_code == 303
    return smtp.wait_for(before + 1)[-1], flashes(client.get("/partner/account"))


def test_deleting_the_account(app, smtp, laptop, phone):
    add_page(app, "payments-api")
    grant(app, "alice@acme.example", "payments-api")
    message, notes = request_deletion(laptop, smtp)
    assert message["To"] == "alice@acme.example"
    assert "1 hour" in text_of(message)
    assert notes == [messages.DELETION_SENT.format(email="alice@acme.example", lifetime="1 hour")]
    path = link_path_from(message)
    assert path.startswith("/partner/account/delete/verify/")
    assert laptop.get(path).location == "/partner/account/delete/confirm"
    page = laptop.get("/partner/account/delete/confirm")
    assert page.status_code == 200
    with app.app_context():
        assert db.session.get(Partner, 1).deleted_at is None  # GET never acts

    response = submit(laptop, "/partner/account/delete/confirm", "/partner/account/delete/confirm")
    assert response.status_code == 303
    assert response.location == "/partner/login"
    assert flashes(laptop.get("/partner/login")) == [messages.ACCOUNT_DELETED]
    assert laptop.get("/partner/dashboard").status_code == 302
    assert phone.get("/partner/dashboard").status_code == 302
    assert session_count(app) == 0
    with app.app_context():
        partner = db.session.get(Partner, 1)
        assert partner.deleted_at is not None
        assert partner.is_active is False
        assert "alice" not in (partner.email + partner.name + (partner.company or "")).lower()
        assert db.session.scalars(select(MagicLinkToken)).all() == []
        assert db.session.scalars(select(AccessGrant)).all() == []
        history = db.session.scalars(select(AuditEvent).where(AuditEvent.partner_id == 1)).all()
        assert "partner.login" in [e.action for e in history]  # the history stays
        deleted = next(e for e in history if e.action == "partner.deleted")
        assert deleted.email == "alice@acme.example"
    before = len(smtp.delivered())
    request_link(browser(app, "192.0.2.50"), "alice@acme.example")
    assert len(smtp.delivered()) == before  # nobody to send to


def test_a_deletion_link_expires_after_an_hour(app, smtp, laptop, clock):
    message, _ = request_deletion(laptop, smtp)
    clock.advance(hours=1, seconds=1)
    response = laptop.get(link_path_from(message))
    assert response.location == "/partner/account"
    assert flashes(laptop.get("/partner/account")) == [messages.ACCOUNT_LINK_INVALID]


def test_recent_sign_in_activity(app, smtp, laptop, phone):
    request_link(browser(app, "192.0.2.60"), "alice@acme.example")
    junk = browser(app, "192.0.2.61")
    add_partner(app, "bob@globex.example", name="Bob")
    sign_in(junk, smtp, "bob@globex.example")  # someone else's activity
    page = soup(laptop.get("/partner/account"))
    rows = [r.get_text(" ", strip=True) for r in page.select("#activity tbody tr")]
    assert len(rows) == 2
    assert "Safari on iPhone" in rows[0]  # newest first
    assert "203.0.113.20" in rows[0]
    assert "Firefox on Windows" in rows[1]
    assert all("Signed in" in row for row in rows)
    assert not any("192.0.2.61" in row for row in rows)


def test_every_account_action_is_audited_with_who_and_where(app, smtp, laptop, phone):
    phone_row = next(r for r in session_rows(app) if r.ip_address == "203.0.113.20")
    submit(laptop, "/partner/account", f"/partner/account/sessions/{phone_row.id}/end")
    submit(laptop, "/partner/account", "/partner/account/sessions/end-others")
    change_email(laptop, smtp, "alice@new.example")
    message, _ = request_deletion(laptop, smtp)
    laptop.get(link_path_from(message))
    submit(laptop, "/partner/account/delete/confirm", "/partner/account/delete/confirm")
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.notin_(["partner.login", "partner.login.requested"]))
            .where(AuditEvent.action.startswith("partner."))
            .order_by(AuditEvent.id)
        ).all()
        assert [e.action for e in events] == [
            "partner.session.ended",
            "partner.sessions.ended_others",
            "partner.email.change_requested",
            "partner.email.changed",
            "partner.deletion.requested",
            "partner.deleted",
        ]
        assert {e.partner_id for e in events} == {1}
        assert {e.ip_address for e in events} == {"198.51.100.10"}
        assert all(e.user_agent == FIREFOX for e in events)
