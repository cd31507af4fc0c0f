"""Attack: lock someone else out (issue 10, findings 6 and 8), and slip guesses past a limit.

Staff: ten wrong passwords from anywhere refused the right password for 15
minutes, renewable forever. Partners: five anonymous requests for an address
refused that partner's own requests for an hour.

Defence: device cookies (OWASP "Slow Down Online Guessing Attacks with Device
Cookies"). Every sign-in gives the browser a signed cookie naming the account
and a random device id; attempts from that browser are charged to its own
budget, everyone else's to the account's (and the IP's). Attempts are counted
before they are judged, so simultaneous guesses never get past a limit.
"""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from partner_portal import actors, messages, partners
from partner_portal.extensions import db
from partner_portal.security import passwords

from ..helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    add_admin,
    add_partner,
    admin_sign_in,
    audit_events,
    flashes,
    form_data,
    request_link,
    sign_in,
    submit,
)

WRONG = "not the password at all"


def browser(app: Flask, ip: str) -> FlaskClient:
    """A browser at ``ip`` (the socket address the server sees)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def sign_out_of_console(client: FlaskClient) -> None:
    submit(client, "/admin/", "/admin/logout")


# -- staff (finding 6) -----------------------------------------------------------


@pytest.fixture
def usual_browser(app) -> FlaskClient:
    """The admin's own browser: signed in there before, so it holds a device cookie."""
    add_admin(app)
    client = browser(app, "198.51.100.10")
    assert admin_sign_in(client).status_code == 303
    assert client.get_cookie("oncall.device") is not None
    sign_out_of_console(client)
    return client


def test_guesses_from_anywhere_never_lock_the_admin_out_of_their_usual_browser(
    app, usual_browser, clock
):
    # An attacker guesses from twenty addresses, over and over.
    refused = 0
    for attempt in range(60):
        response = admin_sign_in(browser(app, f"203.0.113.{attempt % 20}"), ADMIN_EMAIL, WRONG)
        refused += response.status_code == 429
    assert refused >= 50  # the account is closed to unknown browsers...

    response = admin_sign_in(usual_browser, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert response.status_code == 303  # ...but not to the admin's own
    # And the right password from an unknown browser is still refused: the attacker's
    # guesses are what closed the account to strangers, not to the admin.
    stranger = admin_sign_in(browser(app, "192.0.2.99"), ADMIN_EMAIL, ADMIN_PASSWORD)
    assert stranger.status_code == 429


def test_guesses_from_the_admins_own_office_ip_do_not_lock_them_out(app, usual_browser):
    """A colleague behind the same NAT (or anyone sharing the IP) guesses: the IP is refused."""
    for _ in range(15):
        admin_sign_in(browser(app, "198.51.100.10"), ADMIN_EMAIL, WRONG)
    assert admin_sign_in(browser(app, "198.51.100.10")).status_code == 429
    assert admin_sign_in(usual_browser).status_code == 303


def test_a_known_browser_has_a_budget_of_its_own(app, usual_browser, clock):
    for _ in range(10):
        assert admin_sign_in(usual_browser, ADMIN_EMAIL, WRONG).status_code == 400
    refused = admin_sign_in(usual_browser, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert refused.status_code == 429
    assert flashes(refused) == [messages.ADMIN_LOGIN_THROTTLED.format(wait="15 minutes")]
    # Its own guesses closed only itself: another browser of the admin's still gets in.
    assert admin_sign_in(browser(app, "192.0.2.1")).status_code == 303
    clock.advance(minutes=15)
    assert admin_sign_in(usual_browser).status_code == 303


def test_a_device_cookie_of_another_account_buys_no_budget(app, usual_browser):
    add_admin(app, "other@portal.example")
    theirs = browser(app, "203.0.113.1")
    assert admin_sign_in(theirs, "other@portal.example").status_code == 303
    sign_out_of_console(theirs)
    # Ten guesses at ops@ from other browsers close the account to strangers...
    for attempt in range(10):
        admin_sign_in(browser(app, f"203.0.113.{10 + attempt}"), ADMIN_EMAIL, WRONG)
    # ...and a device cookie for other@ is a stranger's browser as far as ops@ goes.
    assert admin_sign_in(theirs, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 429


def test_a_forged_or_copied_device_cookie_is_worthless(app, usual_browser):
    from itsdangerous import URLSafeTimedSerializer

    for attempt in range(10):
        admin_sign_in(browser(app, f"203.0.113.{attempt}"), ADMIN_EMAIL, WRONG)
    forged = URLSafeTimedSerializer("guessed key", salt="partner-portal.staff.device").dumps(
        {"i": 1, "d": "x" * 22}
    )
    attacker = browser(app, "203.0.113.77")
    attacker.set_cookie("oncall.device", forged)
    assert admin_sign_in(attacker, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 429


def test_the_device_cookie_is_signed_httponly_and_long_lived(app, usual_browser):
    admin_sign_in(usual_browser)
    cookie = usual_browser.get_cookie("oncall.device")
    assert cookie.http_only
    assert cookie.path == "/"
    assert cookie.domain in ("localhost", "")
    assert ADMIN_EMAIL not in cookie.value  # it names the account by id, not by address
    assert cookie.expires is not None


def test_a_known_browser_is_recorded_as_such_in_the_audit_trail(app, usual_browser):
    admin_sign_in(usual_browser, ADMIN_EMAIL, WRONG)
    admin_sign_in(browser(app, "203.0.113.5"), ADMIN_EMAIL, WRONG)
    known, unknown = audit_events(app, "admin.login.failed")
    assert known.details["known_device"] is True
    assert unknown.details["known_device"] is False


def simultaneous_sign_ins(app: Flask, attempts: list[tuple[str, str]]) -> list[int]:
    """Post ``(ip, email)`` wrong-password sign-ins all at once; return the status codes."""
    browsers = [browser(app, ip) for ip, _ in attempts]
    forms = [form_data(b.get("/admin/login"), "/admin/login") for b in browsers]
    barrier = threading.Barrier(len(attempts))
    statuses: list[int] = []

    def press(client: FlaskClient, data: dict[str, str], email: str) -> None:
        barrier.wait()
        response = client.post("/admin/login", data={**data, "email": email, "password": WRONG})
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=press, args=(client, data, email))
        for client, data, (_, email) in zip(browsers, forms, attempts, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.parametrize("limit", ["account", "ip"])
def test_simultaneous_guesses_never_get_past_the_limit(app, limit):
    """Thirty guesses at once, on the real database: exactly ten passwords are checked."""
    add_admin(app)
    # A slower hash widens the window between the check and the count, as in production.
    app.config.update(PASSWORD_HASH_TIME_COST=2, PASSWORD_HASH_MEMORY_KIB=8192)
    passwords.init_app(app)
    if limit == "account":  # thirty addresses guess one account
        attempts = [(f"203.0.113.{i}", ADMIN_EMAIL) for i in range(30)]
    else:  # one address guesses thirty accounts
        attempts = [("203.0.113.1", f"guess{i}@portal.example") for i in range(30)]

    statuses = simultaneous_sign_ins(app, attempts)

    assert sorted(statuses) == [400] * 10 + [429] * 20
    assert len(audit_events(app, "admin.login.failed")) == 10
    refusals = audit_events(app, "admin.login.throttled")
    assert sum(event.occurrences for event in refusals) == 20


# -- partners (finding 8) --------------------------------------------------------


@pytest.fixture
def alice_browser(app, smtp) -> FlaskClient:
    """Alice's laptop: she signed in with it before, and signed out since."""
    add_partner(app, "alice@acme.example")
    laptop = browser(app, "198.51.100.20")
    sign_in(laptop, smtp, "alice@acme.example")
    assert laptop.get_cookie("partner.device") is not None
    submit(laptop, "/partner/dashboard", "/partner/logout")
    return laptop


def test_strangers_asking_for_a_partners_address_do_not_lock_the_partner_out(
    app, smtp, alice_browser
):
    for i in range(8):
        request_link(browser(app, f"203.0.113.{i}"), "alice@acme.example")
    assert request_link(browser(app, "203.0.113.99"), "alice@acme.example").status_code == 429

    # Alice's own browser asks, and gets her link: it has its own budget.
    response = request_link(alice_browser, "alice@acme.example")
    assert response.location == "/partner/login/sent"
    # Her first sign-in's link, the four strangers' that fitted in the address's five, hers.
    assert len(smtp.wait_for(1 + 4 + 1)) == 6


def test_the_known_browser_is_limited_too(app, smtp, alice_browser):
    for _ in range(5):
        assert request_link(alice_browser, "alice@acme.example").status_code == 303
    assert request_link(alice_browser, "alice@acme.example").status_code == 429


def test_the_device_cookie_counts_only_for_the_partner_it_names(app, smtp, alice_browser):
    """Alice's browser asking for Bob's address is a stranger to Bob's budget."""
    add_partner(app, "bob@globex.example")
    for i in range(5):
        request_link(browser(app, f"203.0.113.{i}"), "bob@globex.example")
    assert request_link(alice_browser, "bob@globex.example").status_code == 429


def test_the_per_ip_limit_still_applies_to_a_known_browser(app, smtp, alice_browser):
    app.config["RATE_LIMIT_PER_IP"] = 3
    for i in range(3):
        request_link(browser(app, "198.51.100.20"), f"x{i}@acme.example")
    assert request_link(alice_browser, "alice@acme.example").status_code == 429


def test_a_device_cookie_changes_no_statement_only_which_counter_moves(app, smtp, alice_browser):
    """Enumeration by side effects: with alice's device cookie, asking for alice, for an
    unknown address and for an inactive one runs the very same statements."""
    add_partner(app, "gone@acme.example")
    with app.app_context():
        partners.deactivate_partner(actors.SYSTEM, partners.get_partner("gone@acme.example"))
        db.session.commit()
        engine = db.engine

    def statements_for(email: str) -> list[str]:
        data = form_data(alice_browser.get("/partner/login"), "/partner/login")
        seen: list[str] = []

        def capture(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", capture)
        try:
            response = alice_browser.post("/partner/login", data={**data, "email": email})
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        assert response.status_code == 303
        return seen

    assert (
        statements_for("alice@acme.example")
        == statements_for("nobody@acme.example")
        == statements_for("gone@acme.example")
    )


def test_throttled_requests_run_the_same_statements_for_every_kind_of_address(app, smtp):
    """The refusal's audit row (one per window, then a count) is the same work for all."""
    add_partner(app, "alice@acme.example")
    add_partner(app, "gone@acme.example")
    with app.app_context():
        partners.deactivate_partner(actors.SYSTEM, partners.get_partner("gone@acme.example"))
        db.session.commit()
        engine = db.engine

    def statements_for(email: str) -> list[list[str]]:
        for i in range(5):
            request_link(browser(app, f"198.51.100.{i}"), email)
        runs = []
        for _ in range(2):  # the first refusal of the window, then a later one
            client = browser(app, "198.51.100.200")
            data = form_data(client.get("/partner/login"), "/partner/login")
            seen: list[str] = []

            def capture(conn, cursor, statement, *args, seen: list[str] = seen) -> None:  # noqa: ANN001, ANN002
                seen.append(statement)

            event.listen(engine, "before_cursor_execute", capture)
            try:
                response = client.post("/partner/login", data={**data, "email": email})
            finally:
                event.remove(engine, "before_cursor_execute", capture)
            assert response.status_code == 429
            runs.append(seen)
        return runs

    registered = statements_for("alice@acme.example")
    assert registered[0] != registered[1]  # the first refusal inserts, the next one counts
    assert (
        registered == statements_for("nobody@acme.example") == statements_for("gone@acme.example")
    )


def test_signing_out_keeps_the_device_cookie(app, smtp, alice_browser):
    assert alice_browser.get_cookie("partner.device") is not None
    assert alice_browser.get_cookie("partner.sid") is None


def test_a_window_later_strangers_budget_is_back(app, smtp, clock, alice_browser):
    for i in range(6):
        request_link(browser(app, f"203.0.113.{i}"), "alice@acme.example")
    clock.advance(minutes=60)
    assert request_link(browser(app, "203.0.113.50"), "alice@acme.example").status_code == 303
