"""Staff sign in to the console with their own session, kept apart from partners'."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from partner_portal import messages
from partner_portal.extensions import db
from partner_portal.models import Admin, PartnerSession, StaffSession

from .helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    add_admin,
    add_partner,
    admin_sign_in,
    audit_events,
    field_errors,
    flashes,
    sign_in,
    soup,
    submit,
)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def set_cookie_header(response, name: str) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "="))


# -- flask admin create ---------------------------------------------------


def test_admin_create_reads_the_password_from_stdin_and_stores_only_an_argon2_hash(app, runner):
    result = runner.invoke(args=["admin", "create", " Ops@Portal.example "], input=ADMIN_PASSWORD)
    assert result.exit_code == 0, result.output
    assert "ops@portal.example" in result.output
    assert ADMIN_PASSWORD not in result.output
    with app.app_context():
        admin = db.session.scalar(select(Admin))
        assert admin.email == "ops@portal.example"
        assert admin.is_active
        assert admin.password_hash.startswith("$argon2id$")
        assert ADMIN_PASSWORD not in admin.password_hash
    (created,) = audit_events(app, "admin.created")
    assert ADMIN_PASSWORD not in repr(created.details)


def test_admin_create_refuses_a_short_password_with_a_clear_message(app, runner):
    result = runner.invoke(args=["admin", "create", ADMIN_EMAIL], input="eleven char\n")
    assert result.exit_code == 1
    assert messages.PASSWORD_TOO_SHORT in result.output
    assert count(app, Admin) == 0


def test_admin_create_refuses_a_second_account_with_the_same_email(app, runner):
    add_admin(app)
    result = runner.invoke(args=["admin", "create", ADMIN_EMAIL.upper()], input=ADMIN_PASSWORD)
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert count(app, Admin) == 1


def test_admin_create_refuses_an_invalid_email(app, runner):
    result = runner.invoke(args=["admin", "create", "not-an-email"], input=ADMIN_PASSWORD)
    assert result.exit_code == 1
    assert messages.INVALID_EMAIL in result.output


# -- signing in -------------------------------------------------------------


def test_login_page_labels_its_fields_and_carries_a_csrf_token(client):
    page = soup(client.get("/admin/login"))
    for name, label in (("email", "Email address"), ("password", "Password")):
        field = page.find("input", attrs={"name": name})
        assert page.find("label", attrs={"for": field["id"]}).get_text(strip=True) == label
    assert page.find("input", attrs={"name": "password"})["type"] == "password"
    assert page.find("input", attrs={"name": "csrf_token"})["value"]


def test_signing_in_opens_a_staff_session_in_its_own_table_and_cookie(app, client):
    admin_id = add_admin(app)
    response = admin_sign_in(client)
    assert response.status_code == 303
    assert response.location == "/admin/"
    header = set_cookie_header(response, "oncall.sid")
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Path=/;" in header or header.endswith("Path=/")
    assert client.get_cookie("partner.sid") is None
    assert count(app, StaffSession) == 1
    assert count(app, PartnerSession) == 0
    assert client.get("/admin/").status_code == 200
    (login,) = audit_events(app, "admin.login")
    assert login.admin_id == admin_id
    assert login.ip_address == "127.0.0.1"


def test_staff_cookie_is_secure_in_production():
    from partner_portal.config import load_config

    config = load_config({"PORTAL_ENV": "production"}, "/tmp")
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["STAFF_SESSION_LIFETIME"].total_seconds() == 12 * 3600


def test_production_refuses_cheap_password_hashing():
    from partner_portal.config import ConfigError, check_config, load_config

    environ = {
        "PORTAL_ENV": "production",
        "SECRET_KEY": "s" * 40,
        "PORTAL_BASE_URL": "https://status.example.com",
        "MAIL_SERVER": "smtp.example.com",
    }
    check_config(load_config(environ, "/tmp"))
    with pytest.raises(ConfigError, match="PASSWORD_HASH_MEMORY_KIB"):
        check_config(load_config({**environ, "PASSWORD_HASH_MEMORY_KIB": "1024"}, "/tmp"))


def test_sign_in_rotates_the_session_id_and_never_adopts_a_planted_one(app, client):
    add_admin(app)
    client.set_cookie("oncall.sid", "planted-by-an-attacker", path="/")
    admin_sign_in(client)
    first = client.get_cookie("oncall.sid").value
    assert first != "planted-by-an-attacker"
    submit(client, "/admin/", "/admin/logout")
    admin_sign_in(client)
    assert client.get_cookie("oncall.sid").value not in (first, "planted-by-an-attacker")


def test_next_is_followed_only_inside_the_console(app, client):
    add_admin(app)
    response = client.get("/admin/partners?q=acme")
    assert response.status_code == 303
    assert response.location.startswith("/admin/login?next=")
    signed_in = submit(
        client,
        response.location,
        "/admin/login",
        {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
    )
    assert signed_in.location == "/admin/partners?q=acme"

    other = app.test_client()
    signed_in = submit(
        other,
        "/admin/login?next=/partner/dashboard",
        "/admin/login",
        {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
    )
    assert signed_in.location == "/admin/"


@pytest.mark.parametrize(
    ("email", "password", "reason"),
    [
        (ADMIN_EMAIL, "wrong password, long enough", "wrong_password"),
        ("nobody@portal.example", ADMIN_PASSWORD, "unknown_email"),
        ("retired@portal.example", ADMIN_PASSWORD, "inactive"),
    ],
)
def test_wrong_email_and_wrong_password_get_the_same_answer(app, client, email, password, reason):
    add_admin(app)
    retired = add_admin(app, "retired@portal.example")
    with app.app_context():
        db.session.get(Admin, retired).is_active = False
        db.session.commit()

    response = admin_sign_in(client, email, password)
    reference = admin_sign_in(app.test_client(), ADMIN_EMAIL, "another wrong password")

    assert response.status_code == reference.status_code == 400
    assert flashes(response) == flashes(reference) == [messages.ADMIN_LOGIN_FAILED]
    assert field_errors(response) == []
    assert client.get_cookie("oncall.sid") is None
    failures = audit_events(app, "admin.login.failed")
    assert failures[0].details == {"reason": reason, "known_device": False}
    assert failures[0].severity == "warning"
    assert password not in repr([(e.details, e.email) for e in failures])


def test_empty_fields_get_field_errors_not_a_crash(app, client):
    add_admin(app)
    response = submit(client, "/admin/login", "/admin/login", {"email": "", "password": ""})
    assert response.status_code == 400
    assert field_errors(response) == [messages.INVALID_EMAIL, messages.REQUIRED]


def test_failed_attempts_are_limited_per_account(app, client, clock):
    add_admin(app)
    for attempt in range(10):
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{attempt}"
        assert admin_sign_in(client, ADMIN_EMAIL, "not the password!").status_code == 400
    client.environ_base["REMOTE_ADDR"] = "10.0.1.1"
    blocked = admin_sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert blocked.status_code == 429
    assert flashes(blocked) == [messages.ADMIN_LOGIN_THROTTLED.format(wait="15 minutes")]
    assert client.get_cookie("oncall.sid") is None
    (refused,) = audit_events(app, "admin.login.throttled")
    assert (refused.email, refused.details["limit"]) == (ADMIN_EMAIL, "account")

    clock.advance(minutes=15)
    assert admin_sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303


def test_failed_attempts_are_limited_per_ip_address(app, client):
    add_admin(app)
    for attempt in range(10):
        admin_sign_in(client, f"guess{attempt}@portal.example", "not the password!")
    assert admin_sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 429

    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert admin_sign_in(elsewhere, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303


def test_a_success_clears_the_account_count(app, client):
    add_admin(app)
    for _ in range(9):
        admin_sign_in(client, ADMIN_EMAIL, "not the password!")
    assert admin_sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.8"
    for _ in range(9):
        assert admin_sign_in(other, ADMIN_EMAIL, "not the password!").status_code == 400
    assert admin_sign_in(other, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303


def test_a_hash_made_with_other_costs_is_upgraded_at_sign_in(app, client):
    admin_id = add_admin(app)
    old = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1).hash(ADMIN_PASSWORD)
    with app.app_context():
        db.session.get(Admin, admin_id).password_hash = old
        db.session.commit()
    assert admin_sign_in(client).status_code == 303
    with app.app_context():
        upgraded = db.session.get(Admin, admin_id).password_hash
    assert upgraded != old
    assert "m=1024,t=1,p=1" in upgraded


# -- the session ------------------------------------------------------------


def test_the_staff_session_ends_twelve_hours_after_sign_in(app, client, clock):
    add_admin(app)
    admin_sign_in(client)
    clock.advance(hours=11, minutes=59)
    assert client.get("/admin/").status_code == 200
    clock.advance(minutes=1)
    response = client.get("/admin/")
    assert response.status_code == 303
    assert response.location.startswith("/admin/login")
    assert count(app, StaffSession) == 1  # expired rows are left for the cleanup job
    assert client.get("/admin/partners").location.startswith("/admin/login")


def test_a_deactivated_admin_is_signed_out_on_the_next_request(app, client):
    admin_id = add_admin(app)
    admin_sign_in(client)
    with app.app_context():
        db.session.get(Admin, admin_id).is_active = False
        db.session.commit()
    assert client.get("/admin/").location.startswith("/admin/login")
    assert count(app, StaffSession) == 0


def test_signing_out_ends_the_staff_session(app, client):
    admin_id = add_admin(app)
    admin_sign_in(client)
    response = submit(client, "/admin/", "/admin/logout")
    assert response.location == "/admin/login"
    assert flashes(client.get("/admin/login")) == [messages.ADMIN_SIGNED_OUT]
    assert client.get_cookie("oncall.sid") is None
    assert count(app, StaffSession) == 0
    assert client.get("/admin/").location.startswith("/admin/login")
    (logout,) = audit_events(app, "admin.logout")
    assert logout.admin_id == admin_id


# -- two realms -------------------------------------------------------------


@pytest.fixture
def both(app, client, smtp):
    """One browser signed in both as a partner and as staff."""
    add_admin(app)
    add_partner(app, "alice@acme.example")
    sign_in(client, smtp, "alice@acme.example")
    admin_sign_in(client)
    return client


def test_one_browser_holds_both_sessions_under_their_own_cookies(app, both):
    assert both.get_cookie("partner.sid").value != both.get_cookie("oncall.sid").value
    assert count(app, PartnerSession) == 1
    assert count(app, StaffSession) == 1
    assert both.get("/partner/dashboard").status_code == 200
    assert both.get("/admin/").status_code == 200


def test_a_partner_session_never_opens_an_admin_page(app, client, smtp):
    add_partner(app, "alice@acme.example")
    sign_in(client, smtp, "alice@acme.example")
    assert client.get("/partner/dashboard").status_code == 200
    response = client.get("/admin/")
    assert response.status_code == 303
    assert response.location.startswith("/admin/login")


def test_a_staff_session_never_opens_a_partner_page(app, client):
    add_admin(app)
    admin_sign_in(client)
    response = client.get("/partner/dashboard")
    assert response.status_code == 302
    assert response.location.startswith("/partner/login")


def test_a_partner_cookie_value_is_not_a_staff_session(app, client, smtp):
    add_partner(app, "alice@acme.example")
    sign_in(client, smtp, "alice@acme.example")
    stolen = client.get_cookie("partner.sid").value
    attacker = app.test_client()
    attacker.set_cookie("oncall.sid", stolen, path="/")
    assert attacker.get("/admin/").location.startswith("/admin/login")


def test_signing_out_of_the_console_leaves_the_partner_session(app, both):
    submit(both, "/admin/", "/admin/logout")
    assert both.get_cookie("oncall.sid") is None
    assert both.get_cookie("partner.sid") is not None
    assert both.get("/partner/dashboard").status_code == 200
    assert count(app, PartnerSession) == 1
    assert count(app, StaffSession) == 0


def test_signing_out_as_a_partner_leaves_the_staff_session(app, both):
    submit(both, "/partner/dashboard", "/partner/logout")
    assert both.get_cookie("partner.sid") is None
    assert both.get("/admin/").status_code == 200
    assert count(app, PartnerSession) == 0
    assert count(app, StaffSession) == 1
