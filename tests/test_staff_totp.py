"""Second factors for staff: an authenticator app (TOTP) and recovery codes, end to end."""

from __future__ import annotations

import base64
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from partner_portal import messages
from partner_portal.admin.staff import factors, signin
from partner_portal.extensions import db
from partner_portal.models import Admin, RecoveryCode, StaffSession, TotpCredential
from partner_portal.security import totp
from partner_portal.security.sessions import cookies

from .helpers import (
    ADMIN_EMAIL,
    add_admin,
    admin_sign_in,
    audit_events,
    enrol_totp,
    enter_second_factor,
    field_errors,
    flashes,
    form_data,
    soup,
    text_of,
    totp_code,
)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def enrolled(app, client, clock):
    """An admin signed in on ``client`` with an authenticator app; returns (secret, codes)."""
    add_admin(app)
    admin_sign_in(client)
    secret, codes = enrol_totp(client, clock.at)
    # Every code of the enrolment's time step is spent: the next sign-in needs a later one.
    clock.advance(seconds=30)
    return secret, codes


def sign_out(client) -> None:
    client.post("/admin/logout", data=form_data(client.get("/admin/"), "/admin/logout"))


# -- enrolment ---------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_as_inline_svg_and_the_secret_as_text(app, client, clock):
    add_admin(app)
    admin_sign_in(client)
    page = client.get("/admin/account/second-factor")
    assert soup(page).select_one("code.secret") is None  # nothing made on a GET
    client.post(
        "/admin/account/second-factor/start",
        data=form_data(page, "/admin/account/second-factor/start"),
    )
    shown = soup(client.get("/admin/account/second-factor"))
    svg = shown.select_one("figure.qr-code svg")
    assert svg is not None
    assert svg["role"] == "img"
    assert svg["aria-label"]
    assert not shown.select("script")
    assert not svg.select("[style]")
    secret = shown.select_one("code.secret").get_text().replace(" ", "")
    assert len(secret) == 32  # 160 bits, base32
    with app.app_context():
        (credential,) = db.session.scalars(select(TotpCredential)).all()
        # At rest, the secret is encrypted under a key derived from SECRET_KEY.
        assert secret not in credential.secret_ciphertext
        assert credential.confirmed_at is None


def test_the_first_code_confirms_and_ten_recovery_codes_are_shown_once(app, client, clock):
    add_admin(app)
    admin_sign_in(client)
    secret, codes = enrol_totp(client, clock.at)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(totp.is_recovery_code_shaped(code) for code in codes)
    with app.app_context():
        stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
        assert len(stored) == 10
        assert all(h.startswith("$argon2id$") for h in stored)
        assert not any(code.replace("-", "") in h for code in codes for h in stored)
        assert db.session.scalar(select(TotpCredential.confirmed_at)) is not None
    assert "Authenticator app" in soup(client.get("/admin/account")).get_text()
    assert audit_events(app, "admin.second_factor.enrolled")[0].details["kind"] == "totp"


def test_a_wrong_first_code_does_not_turn_the_app_on(app, client, clock):
    add_admin(app)
    admin_sign_in(client)
    page = client.get("/admin/account/second-factor")
    client.post(
        "/admin/account/second-factor/start",
        data=form_data(page, "/admin/account/second-factor/start"),
    )
    shown = client.get("/admin/account/second-factor")
    data = form_data(shown, "/admin/account/second-factor/confirm")
    data["code"] = "000000"
    response = client.post("/admin/account/second-factor/confirm", data=data, follow_redirects=True)
    assert messages.TOTP_CONFIRM_REFUSED in flashes(response)
    with app.app_context():
        assert db.session.scalar(select(TotpCredential.confirmed_at)) is None


# -- signing in ------------------------------------------------------------------------


def test_with_an_app_sign_in_is_password_then_code_and_no_session_exists_between(
    app, client, clock, enrolled
):
    secret, _ = enrolled
    sign_out(client)
    response = admin_sign_in(client)
    assert response.location == "/admin/login/second-factor"
    # Password alone: no session row, no session cookie, nothing of the console opens.
    assert count(app, StaffSession) == 0
    assert client.get_cookie("oncall.sid") is None
    assert client.get("/admin/").location.startswith("/admin/login")
    assert [e.action for e in audit_events(app)][-1] == "admin.login.password_accepted"

    signed = enter_second_factor(client, totp_code(secret, clock.at))
    assert signed.status_code == 303
    assert signed.location == "/admin/"
    assert count(app, StaffSession) == 1
    assert client.get("/admin/").status_code == 200
    assert audit_events(app, "admin.login")[-1].details == {"second_factor": "totp"}


def test_a_code_is_accepted_once_even_within_its_window(app, client, clock, enrolled):
    secret, _ = enrolled
    sign_out(client)
    code = totp_code(secret, clock.at)
    admin_sign_in(client)
    assert enter_second_factor(client, code).status_code == 303
    sign_out(client)

    clock.advance(seconds=10)  # same 30-second step: the code is still "current"
    other = app.test_client()
    admin_sign_in(other)
    replayed = enter_second_factor(other, code)
    assert replayed.status_code == 400
    assert field_errors(replayed) == [messages.SECOND_FACTOR_REFUSED]
    assert other.get_cookie("oncall.sid") is None
    # ...and so is an older one still inside the drift window.
    older = totp_code(secret, clock.at - timedelta(seconds=30))
    assert enter_second_factor(other, older).status_code == 400
    assert (
        enter_second_factor(other, totp_code(secret, clock.at + timedelta(seconds=30))).status_code
        == 303
    )


def test_two_simultaneous_uses_of_one_code_cannot_both_win(app, clock, enrolled):
    secret, _ = enrolled
    step = totp.step_at(clock.at)
    with app.app_context():
        credential_id = db.session.scalar(select(TotpCredential.id))
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def use() -> None:
        with app.app_context():
            barrier.wait()
            results.append(factors._spend_step(credential_id, step))
            db.session.remove()

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


def test_a_recovery_code_signs_in_once(app, client, clock, enrolled):
    _, codes = enrolled
    sign_out(client)
    admin_sign_in(client)
    used = enter_second_factor(client, codes[0].lower())
    assert used.status_code == 303
    assert messages.RECOVERY_CODE_USED.format(left=9) in flashes(client.get("/admin/"))
    sign_out(client)
    admin_sign_in(client)
    again = enter_second_factor(client, codes[0])
    assert again.status_code == 400
    assert enter_second_factor(client, codes[1]).status_code == 303
    assert [
        e.details["left"] for e in audit_events(app, "admin.second_factor.recovery_code_used")
    ] == [9, 8]


def test_new_recovery_codes_replace_the_old_ones(app, client, clock, enrolled):
    _, old = enrolled
    page = client.get("/admin/account")
    response = client.post(
        "/admin/account/recovery-codes", data=form_data(page, "/admin/account/recovery-codes")
    )
    new = [li.get_text(strip=True) for li in soup(response).select(".recovery-codes code")]
    assert len(new) == 10
    assert not set(new) & set(old)
    sign_out(client)
    admin_sign_in(client)
    assert enter_second_factor(client, old[2]).status_code == 400
    assert enter_second_factor(client, new[2]).status_code == 303


def test_wrong_codes_are_limited_per_account_counting_first(app, client, clock, enrolled):
    secret, _ = enrolled
    sign_out(client)
    admin_sign_in(client)
    for _ in range(10):
        assert enter_second_factor(client, "123456").status_code == 400
    refused = enter_second_factor(client, totp_code(secret, clock.at))
    assert refused.status_code == 429
    assert client.get_cookie("oncall.sid") is None
    (throttled,) = audit_events(app, "admin.second_factor.throttled")
    assert throttled.details["limit"] == "account"
    clock.advance(minutes=15)
    admin_sign_in(client)
    assert enter_second_factor(client, totp_code(secret, clock.at)).status_code == 303


def test_the_half_way_state_expires(app, client, clock, enrolled):
    secret, _ = enrolled
    sign_out(client)
    admin_sign_in(client)
    data = form_data(client.get("/admin/login/second-factor"), "/admin/login/second-factor")
    clock.advance(minutes=16)
    data["code"] = totp_code(secret, clock.at)
    response = client.post("/admin/login/second-factor", data=data)
    assert response.status_code == 303
    assert response.location == "/admin/login"
    assert client.get_cookie("oncall.sid") is None


def test_the_secret_key_alone_cannot_forge_the_half_way_state(app, client, clock, enrolled):
    """A pre-session signed with SECRET_KEY naming the admin, without the tag, is nobody."""
    secret, _ = enrolled
    sign_out(client)
    with app.app_context():
        admin_id = db.session.scalar(select(Admin.id))
        serializer = cookies.serializer(app, "staff.pre-session")
        forged = serializer.dumps(
            {
                signin.HALF_WAY: {
                    "id": admin_id,
                    "tag": "0" * 64,
                    "at": int(clock.at.timestamp()),
                    "enrol": False,
                    "next": None,
                }
            }
        )
    attacker = app.test_client()
    attacker.set_cookie("oncall.pre", forged, path="/")
    page = attacker.get("/admin/login/second-factor")
    assert page.status_code == 303
    assert page.location == "/admin/login"
    assert attacker.get_cookie("oncall.sid") is None


def test_a_password_change_kills_a_half_way_sign_in(app, client, clock, enrolled):
    secret, _ = enrolled
    sign_out(client)
    admin_sign_in(client)
    data = form_data(client.get("/admin/login/second-factor"), "/admin/login/second-factor")
    with app.app_context():
        admin = db.session.scalar(select(Admin))
        admin.password_hash = "$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$changed"
        db.session.commit()
    data["code"] = totp_code(secret, clock.at)
    response = client.post("/admin/login/second-factor", data=data)
    assert response.location == "/admin/login"


# -- STAFF_REQUIRE_MFA ------------------------------------------------------------------


def test_mfa_is_required_by_default_in_production_only():
    from partner_portal.config import load_config

    assert load_config({"PORTAL_ENV": "production"}, "/tmp")["STAFF_REQUIRE_MFA"] is True
    assert load_config({}, "/tmp")["STAFF_REQUIRE_MFA"] is False
    assert load_config({"STAFF_REQUIRE_MFA": "on"}, "/tmp")["STAFF_REQUIRE_MFA"] is True


def test_required_mfa_sends_an_account_without_one_to_enrolment_and_opens_nothing_else(
    app, client, clock
):
    app.config["STAFF_REQUIRE_MFA"] = True
    add_admin(app)
    response = admin_sign_in(client)
    assert response.location == "/admin/account/second-factor"
    assert count(app, StaffSession) == 0
    for path in ("/admin/", "/admin/partners", "/admin/audit", "/admin/account"):
        assert client.get(path).location.startswith("/admin/login"), path
    # The enrolment pages work half-way; confirming signs in.
    secret, codes = enrol_totp(client, clock.at)
    assert len(codes) == 10
    assert count(app, StaffSession) == 1
    assert client.get("/admin/partners").status_code == 200
    assert audit_events(app, "admin.login")[-1].details == {"second_factor": "totp"}


def test_required_mfa_catches_sessions_that_began_without_it(app, client, clock):
    add_admin(app)
    admin_sign_in(client)  # MFA not required yet: signed in with the password alone
    app.config["STAFF_REQUIRE_MFA"] = True
    response = client.get("/admin/partners")
    assert response.location == "/admin/account/second-factor"
    enrol_totp(client, clock.at)
    assert client.get("/admin/partners").status_code == 200


def test_required_mfa_forbids_removing_the_only_factor(app, client, clock, enrolled):
    app.config["STAFF_REQUIRE_MFA"] = True
    page = client.get("/admin/account")
    assert soup(page).find("form", action="/admin/account/second-factor/remove") is None
    token = form_data(page, "/admin/account/recovery-codes")["csrf_token"]
    response = client.post("/admin/account/second-factor/remove", data={"csrf_token": token})
    assert messages.SECOND_FACTOR_REQUIRED_CANNOT_REMOVE in flashes(client.get(response.location))
    assert count(app, TotpCredential) == 1


# -- a change of second factor ends other sessions and tells the address -------------------------


def test_a_change_of_second_factor_ends_other_sessions_and_sends_a_notice(app, client, smtp, clock):
    add_admin(app)
    other = app.test_client()
    admin_sign_in(other)
    admin_sign_in(client)
    assert count(app, StaffSession) == 2
    enrol_totp(client, clock.at)
    assert count(app, StaffSession) == 1
    assert client.get("/admin/").status_code == 200
    assert other.get("/admin/").location.startswith("/admin/login")
    notice = smtp.wait_for(1)[-1]
    assert notice["To"] == ADMIN_EMAIL
    assert "authenticator app was set up" in text_of(notice)
    assert "127.0.0.1" in text_of(notice)


def test_secrets_sealed_under_a_fallback_key_still_work_and_are_resealed(
    app, client, clock, enrolled
):
    secret, _ = enrolled
    sign_out(client)
    old_key = app.secret_key
    app.config["SECRET_KEY"] = app.secret_key = "a brand new key, long enough to be real " * 2
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    with app.app_context():
        before = db.session.scalar(select(TotpCredential.secret_ciphertext))
        assert totp.needs_reseal(before, [app.secret_key, old_key])
    admin_sign_in(client)
    assert enter_second_factor(client, totp_code(secret, clock.at)).status_code == 303
    with app.app_context():
        after = db.session.scalar(select(TotpCredential.secret_ciphertext))
        assert not totp.needs_reseal(after, [app.secret_key])
        # Without the old key the old ciphertext opens no more: the reseal mattered.
        with pytest.raises(totp.SecretUnreadable):
            totp.unseal(before, [app.secret_key])


def test_the_matching_step_is_rfc_6238():
    # RFC 6238 appendix B, SHA-1, 59 s: 94287082 (8 digits); six digits are its last six.
    secret = base64.b32encode(b"12345678901234567890").decode()
    moment = datetime.fromtimestamp(59, UTC)
    assert totp.matching_step(secret, "287082", moment, None) == 1
    assert totp.matching_step(secret, "287082", moment, 1) is None
    assert totp.matching_step(secret, "28708", moment, None) is None


def test_the_operator_resets_a_lost_second_factor_from_the_command_line(
    app, client, clock, runner, enrolled
):
    app.config["STAFF_REQUIRE_MFA"] = True
    result = runner.invoke(args=["admin", "reset-second-factor", ADMIN_EMAIL])
    assert result.exit_code == 0, result.output
    assert count(app, TotpCredential) == 0
    assert count(app, RecoveryCode) == 0
    assert client.get("/admin/").location.startswith("/admin/login")  # its sessions ended
    # The next sign-in sets a new app up first.
    assert admin_sign_in(client).location == "/admin/account/second-factor"
    (event,) = audit_events(app, "admin.second_factor.reset")
    assert event.details["via"] == "cli"
