"""The one-time code: for the browser that asked, when the link opens elsewhere or is eaten.

Attacks: guessing a code (online, or offline from a database copy), using a
code from another browser, racing many guesses at once, reusing a code after
its link, or a link after its code.

Defences: 8 characters from a 32-letter unambiguous alphabet (40 bits), bound
to the asking browser's request id (in its signed cookie); stored as an HMAC
keyed with the server secret; at most 5 tries, counted by one atomic UPDATE
before the comparison; a newer code for the address kills older ones; the
code and the link are one credential, spent together by one conditional UPDATE.
"""

from __future__ import annotations

import hashlib
import re
import threading

import pytest
from sqlalchemy import event, select

from partner_portal import actors, messages, partners
from partner_portal.extensions import db
from partner_portal.models import AuditEvent, MagicLinkToken, OutboxJob

from ..helpers import (
    code_from,
    confirm,
    enter_code,
    field_errors,
    flashes,
    form_data,
    request_link,
    soup,
    submit,
    token_from,
)

ALPHABET = set("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")


def asked(client, smtp, email: str = "alice@acme.example"):  # noqa: ANN201 - EmailMessage
    """Request a link in ``client`` and return the email it brings."""
    before = len(smtp.delivered())
    assert request_link(client, email).location == "/partner/login/sent"
    return smtp.wait_for(before + 1)[-1]


def wrong(code: str) -> str:
    """Return a different, well-formed code."""
    swap = "2" if code[0] != "2" else "3"
    return swap + code[1:]


def token_row(app) -> MagicLinkToken:
    with app.app_context():
        row = db.session.scalars(select(MagicLinkToken).order_by(MagicLinkToken.id.desc())).first()
        db.session.expunge(row)
        return row


def test_the_email_carries_a_code_from_an_unambiguous_alphabet(app, client, smtp, alice):
    message = asked(client, smtp)
    code = code_from(message)
    assert set(code.replace("-", "")) <= ALPHABET
    assert len(code.replace("-", "")) == 8
    html = message.get_body(preferencelist=("html",)).get_content()
    assert code in html
    page = soup(client.get("/partner/login/sent"))
    field = page.find("input", attrs={"name": "code"})
    assert field["autocomplete"] == "one-time-code"
    assert page.find("label", attrs={"for": field["id"]})


@pytest.mark.parametrize("typed", ["as shown", "lower case", "no hyphen", "spaces"])
def test_the_browser_that_asked_signs_in_with_the_code(app, client, smtp, alice, typed):
    code = code_from(asked(client, smtp))
    variants = {
        "as shown": code,
        "lower case": code.lower(),
        "no hyphen": code.replace("-", ""),
        "spaces": f"  {code.replace('-', ' ')} ",
    }
    response = enter_code(client, variants[typed])
    assert response.status_code == 303
    assert response.location == "/partner/dashboard"
    assert client.get("/partner/dashboard").status_code == 200
    assert token_row(app).used_at is not None
    with app.app_context():
        login = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "partner.login"))
        assert login.details["method"] == "code"


def test_a_code_follows_the_redirect_stored_with_the_request(app, client, smtp, alice):
    submit(
        client,
        "/partner/login?next=/partner/status/payments-api",
        "/partner/login",
        {"email": "alice@acme.example"},
    )
    code = code_from(smtp.wait_for(1)[0])
    assert enter_code(client, code).location == "/partner/status/payments-api"


def test_the_code_is_useless_in_any_other_browser(app, client, smtp, alice):
    code = code_from(asked(client, smtp))

    stranger = app.test_client()  # never asked for anything: no code form is even shown
    assert soup(stranger.get("/partner/login/sent")).find("input", attrs={"name": "code"}) is None
    csrf = form_data(stranger.get("/partner/login"), "/partner/login")["csrf_token"]
    response = stranger.post("/partner/login/code", data={"csrf_token": csrf, "code": code})
    assert response.location == "/partner/login"
    assert flashes(stranger.get("/partner/login")) == [messages.CODE_WRONG_BROWSER]

    # An attacker who asks for a link to the same address has a request of
    # their own, but the code in the victim's email is not bound to it.
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.66"
    request_link(attacker, "alice@acme.example")
    response = enter_code(attacker, code)
    assert response.status_code == 400
    assert field_errors(response) == [messages.CODE_INVALID]
    assert client.get_cookie("partner.sid") is None
    assert attacker.get_cookie("partner.sid") is None


def test_five_wrong_tries_kill_the_code(app, client, smtp, alice):
    code = code_from(asked(client, smtp))
    for _ in range(5):
        response = enter_code(client, wrong(code))
        assert response.status_code == 400
        assert field_errors(response) == [messages.CODE_INVALID]
    response = enter_code(client, code)  # the right one, too late
    assert response.status_code == 400
    assert field_errors(response) == [messages.CODE_INVALID]
    assert client.get_cookie("partner.sid") is None
    # The link itself still works: only the code is dead.
    assert confirm(client, token_from(smtp.delivered()[0])).location == "/partner/dashboard"


def test_four_wrong_tries_then_the_right_one_signs_in(app, client, smtp, alice):
    code = code_from(asked(client, smtp))
    for _ in range(4):
        enter_code(client, wrong(code))
    assert enter_code(client, code).location == "/partner/dashboard"


def test_simultaneous_guesses_cannot_exceed_five_tries(app, client, smtp, alice):
    """Thirty guesses fired at once from copies of the asking browser: five are counted."""
    code = code_from(asked(client, smtp))
    page = client.get("/partner/login/sent")
    data = form_data(page, "/partner/login/code")
    pre = client.get_cookie("partner.pre").value
    guessers = []
    for _ in range(30):
        guesser = app.test_client()
        guesser.set_cookie("partner.pre", pre)
        guessers.append(guesser)
    barrier = threading.Barrier(30)
    statuses: list[int] = []

    def guess(guesser) -> None:  # noqa: ANN001
        barrier.wait()
        response = guesser.post("/partner/login/code", data={**data, "code": wrong(code)})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=guess, args=(g,)) for g in guessers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [400] * 30
    assert token_row(app).code_attempts == 5
    assert enter_code(client, code).status_code == 400  # dead


def test_a_strangers_request_does_not_kill_the_code_being_typed(app, smtp, alice):
    """Finding 9: anyone may ask for a link for alice's address; her code must live on."""
    alices_browser, strangers_browser = app.test_client(), app.test_client()
    strangers_browser.environ_base["REMOTE_ADDR"] = "203.0.113.66"
    alices_code = code_from(asked(alices_browser, smtp))
    strangers_code = code_from(asked(strangers_browser, smtp))
    assert alices_code != strangers_code
    # Alice's code works only in Alice's browser, as before...
    assert field_errors(enter_code(strangers_browser, alices_code)) == [messages.CODE_INVALID]
    # ...and the stranger's request did not kill it.
    assert enter_code(alices_browser, alices_code).location == "/partner/dashboard"


def test_the_same_browser_asking_again_only_has_the_newest_code(app, client, smtp, alice):
    first = code_from(asked(client, smtp))
    second = code_from(asked(client, smtp))
    assert field_errors(enter_code(client, first)) == [messages.CODE_INVALID]
    assert enter_code(client, second).location == "/partner/dashboard"


def test_the_code_expires_with_the_link(app, client, smtp, alice, clock):
    code = code_from(asked(client, smtp))
    clock.advance(minutes=15, seconds=1)
    assert field_errors(enter_code(client, code)) == [messages.CODE_INVALID]


def test_using_the_code_spends_the_link(app, client, smtp, alice):
    message = asked(client, smtp)
    assert enter_code(client, code_from(message)).location == "/partner/dashboard"
    other = app.test_client()
    other.get(f"/partner/verify/{token_from(message)}")
    assert flashes(other.get("/partner/login")) == [messages.LINK_USED]


def test_using_the_link_spends_the_code(app, client, smtp, alice):
    message = asked(client, smtp)
    confirm(app.test_client(), token_from(message))  # clicked on the phone
    assert field_errors(enter_code(client, code_from(message))) == [messages.CODE_INVALID]
    assert client.get_cookie("partner.sid") is None


def test_a_deactivated_partner_cannot_use_a_code(app, client, smtp, alice):
    code = code_from(asked(client, smtp))
    with app.app_context():
        partners.deactivate_partner(actors.SYSTEM, partners.get_partner("alice@acme.example"))
        db.session.commit()
    assert field_errors(enter_code(client, code)) == [messages.CODE_INVALID]


def test_codes_are_stored_as_a_keyed_hash_and_nowhere_in_clear(app, client, smtp, alice):
    code = code_from(asked(client, smtp)).replace("-", "")
    row = token_row(app)
    assert row.code_hash
    assert code not in repr([getattr(row, c.key) for c in MagicLinkToken.__table__.columns])
    # A copy of the database is not enough to test guesses offline: the hash is keyed.
    assert row.code_hash != hashlib.sha256(code.encode()).hexdigest()
    assert row.code_hash != hashlib.sha256(f"{row.request_id}:{code}".encode()).hexdigest()
    with app.app_context():
        jobs = db.session.scalars(select(OutboxJob)).all()
        events = db.session.scalars(select(AuditEvent)).all()
        assert code not in repr([(j.details, j.recipient) for j in jobs])
        assert code not in repr([e.details for e in events])
    assert code not in client.get_cookie("partner.pre").value


def test_wrong_codes_are_audited_without_the_code(app, client, smtp, alice):
    code = code_from(asked(client, smtp))
    enter_code(client, wrong(code))
    with app.app_context():
        (event_,) = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "partner.login.failed")
        ).all()
        assert event_.severity == "warning"
        assert event_.details["reason"] == "code_invalid"
        assert event_.details["token_id"] == token_row(app).id
        assert wrong(code).replace("-", "") not in repr(event_.details)


def test_an_unknown_address_gets_the_same_code_form_and_the_same_refusal(app, smtp, alice):
    registered, unknown = app.test_client(), app.test_client()
    code = code_from(asked(registered, smtp))
    request_link(unknown, "nobody@acme.example")
    smtp.delivered()  # the outbox runs: nothing is sent to the unknown address

    def page_shape(client) -> list[str]:  # noqa: ANN001
        page = soup(client.get("/partner/login/sent"))
        return [f.get("name") for f in page.find_all("input")]

    assert page_shape(registered) == page_shape(unknown)
    refused = [enter_code(c, wrong(code)) for c in (registered, unknown)]
    assert [r.status_code for r in refused] == [400, 400]
    assert field_errors(refused[0]) == field_errors(refused[1]) == [messages.CODE_INVALID]


def test_a_wrong_code_runs_the_same_sql_for_registered_and_unknown_addresses(app, smtp, alice):
    """Enumeration by time on the code form: the very same statements either way."""
    registered, unknown = app.test_client(), app.test_client()
    code = code_from(asked(registered, smtp))
    request_link(unknown, "nobody@acme.example")
    smtp.delivered()
    with app.app_context():
        engine = db.engine

    def statements(client) -> list[str]:  # noqa: ANN001
        data = form_data(client.get("/partner/login/sent"), "/partner/login/code")
        seen: list[str] = []

        def capture(conn, cursor, statement, *args) -> None:  # noqa: ANN001
            seen.append(re.sub(r"\s+", " ", statement))

        event.listen(engine, "before_cursor_execute", capture)
        try:
            client.post("/partner/login/code", data={**data, "code": wrong(code)})
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        return seen

    assert statements(registered) == statements(unknown)


@pytest.mark.parametrize(
    "typed", ["", "   ", "A" * 5000, "ÄÖÜ-ÉÈÊ1", "' OR 1=1 --", "ABCD\r\nEFGH", "\x00" * 8]
)
def test_malformed_codes_are_refused_plainly(app, client, smtp, alice, typed):
    asked(client, smtp)
    response = enter_code(client, typed)
    assert response.status_code == 400
    if "\x00" in typed:  # refused before any form sees it, in words
        assert messages.INVALID_CHARACTER in response.get_data(as_text=True)
    else:
        assert field_errors(response)
    assert client.get_cookie("partner.sid") is None


def test_the_code_form_needs_the_csrf_token(app, client, smtp, alice):
    code = code_from(asked(client, smtp))
    response = client.post("/partner/login/code", data={"code": code})
    assert response.status_code == 303
    assert client.get_cookie("partner.sid") is None
    assert token_row(app).used_at is None
