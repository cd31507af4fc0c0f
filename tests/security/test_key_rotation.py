"""Attack surface: a leaked SECRET_KEY that cannot be rotated (issue 10, finding 2, the key part).

Rotating the key used to sign every anonymous visitor out mid-sign-in (their
pre-session cookie, the form's CSRF token and the emailed code all died),
which made operators reluctant to rotate a key they suspected was leaked.

Defence: ``SECRET_KEY_FALLBACKS`` (Flask's setting). Everything signed or
keyed with the secret (the pre-session and device cookies, CSRF tokens,
one-time codes) is signed with ``SECRET_KEY`` and accepted under it or any
fallback; a key in neither is refused.
"""

from __future__ import annotations

import pytest
from flask import Flask
from itsdangerous import BadSignature, URLSafeTimedSerializer

from partner_portal import create_app
from partner_portal.config import ConfigError
from partner_portal.security.sessions import devices

from ..conftest import run_outbox
from ..helpers import add_partner, code_from, form_data, request_link

OLD = "o" * 48
NEW = "n" * 48


@pytest.fixture
def deploy(app: Flask):  # noqa: ANN201
    """Return a function that starts the same deployment with other keys."""

    def start(secret: str, fallbacks: list[str] | None = None) -> Flask:
        return create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "PORTAL_BASE_URL": app.config["PORTAL_BASE_URL"],
                "MAIL_SERVER": app.config["MAIL_SERVER"],
                "MAIL_PORT": app.config["MAIL_PORT"],
                "MAIL_TO_DEV_MAILBOX": False,
                "MAIL_SUPPRESS_SEND": False,
                "SECRET_KEY": secret,
                "SECRET_KEY_FALLBACKS": fallbacks or [],
            }
        )

    return start


def move_cookies(source, target) -> None:  # noqa: ANN001
    """The same browser, now talking to the restarted deployment."""
    for name in ("partner.pre", "partner.device", "partner.sid"):
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def test_a_sign_in_under_way_survives_a_key_rotation(app, deploy, smtp):
    add_partner(app, "alice@acme.example")
    before = deploy(OLD)
    browser = before.test_client()
    request_link(browser, "alice@acme.example")
    run_outbox(before)
    code = code_from(smtp.wait_for(1)[0])
    # The code form, with its CSRF token, was rendered under the old key.
    data = form_data(browser.get("/partner/login/sent"), "/partner/login/code")

    after = deploy(NEW, fallbacks=[OLD])
    same_browser = after.test_client()
    move_cookies(browser, same_browser)
    response = same_browser.post("/partner/login/code", data={**data, "code": code})

    assert response.status_code == 303
    assert response.location == "/partner/dashboard"
    # What the new deployment signs, it signs with the new key only.
    device = same_browser.get_cookie("partner.device").value
    URLSafeTimedSerializer(NEW, salt="partner-portal.partner.device").loads(device)
    with pytest.raises(BadSignature):
        URLSafeTimedSerializer(OLD, salt="partner-portal.partner.device").loads(device)


def test_without_the_fallback_the_old_cookies_are_refused(app, deploy, smtp):
    add_partner(app, "alice@acme.example")
    before = deploy(OLD)
    browser = before.test_client()
    request_link(browser, "alice@acme.example")
    run_outbox(before)
    code = code_from(smtp.wait_for(1)[0])
    data = form_data(browser.get("/partner/login/sent"), "/partner/login/code")

    after = deploy(NEW)
    same_browser = after.test_client()
    move_cookies(browser, same_browser)
    response = same_browser.post("/partner/login/code", data={**data, "code": code})
    assert response.location != "/partner/dashboard"
    assert same_browser.get_cookie("partner.sid") is None


def test_device_cookies_outlive_a_rotation_with_the_fallback_only(app, deploy):
    before = deploy(OLD)
    with before.app_context():
        cookie = devices.issue(before, "partner", 7)
    rotated, forgotten = deploy(NEW, fallbacks=[OLD]), deploy(NEW)
    with rotated.app_context():
        assert devices.read(rotated, "partner", cookie) == devices.DeviceClaim(
            7, devices.read(before, "partner", cookie).device_id
        )
    with forgotten.app_context():
        assert devices.read(forgotten, "partner", cookie) is None


@pytest.mark.parametrize("fallback", ["short", "dev-only-not-a-secret"])
def test_a_fallback_must_be_a_real_key(deploy, fallback):
    with pytest.raises(ConfigError, match="SECRET_KEY_FALLBACKS"):
        deploy(NEW, fallbacks=[fallback])


def test_fallbacks_are_read_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", f"{OLD}, {'x' * 40}")
    assert create_app({"TESTING": True}).config["SECRET_KEY_FALLBACKS"] == [OLD, "x" * 40]
