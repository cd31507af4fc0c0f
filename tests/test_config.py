"""Configuration: safe in development, strict in production."""

from __future__ import annotations

import pytest

from partner_portal import create_app
from partner_portal.config import ConfigError, load_config

PRODUCTION = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "s" * 48,
    "PORTAL_BASE_URL": "https://partners.example.com",
    "MAIL_SERVER": "smtp.example.com",
}


@pytest.fixture
def environment(monkeypatch, tmp_path):
    def apply(values: dict[str, str]) -> None:
        for name in [*PRODUCTION, "MAIL_PORT", "MAGIC_LINK_LIFETIME_LOGIN"]:
            monkeypatch.delenv(name, raising=False)
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))

    return apply


@pytest.mark.parametrize(
    ("missing", "fragment"),
    [
        ("SECRET_KEY", "SECRET_KEY"),
        ("PORTAL_BASE_URL", "PORTAL_BASE_URL"),
        ("MAIL_SERVER", "MAIL_SERVER"),
    ],
)
def test_production_refuses_to_start_without_its_settings(environment, missing, fragment):
    environment({k: v for k, v in PRODUCTION.items() if k != missing})
    with pytest.raises(ConfigError, match=fragment):
        create_app()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECRET_KEY", "short"),
        ("SECRET_KEY", "dev-only-not-a-secret"),
        ("PORTAL_BASE_URL", "http://partners.example.com"),
    ],
)
def test_production_refuses_weak_settings(environment, name, value):
    environment({**PRODUCTION, name: value})
    with pytest.raises(ConfigError):
        create_app()


def test_production_sets_secure_cookies_and_trusts_only_its_host(environment):
    environment(PRODUCTION)
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["TRUSTED_HOSTS"] == ["partners.example.com"]
    assert "dev" not in app.blueprints  # the development mailbox does not exist


def test_production_answers_400_to_a_foreign_host(environment):
    environment(PRODUCTION)
    client = create_app().test_client()
    response = client.get("/partner/login", base_url="https://evil.example")
    assert response.status_code == 400
    response = client.get("/healthz-does-not-matter", base_url="https://partners.example.com")
    assert response.status_code == 404


def test_lifetimes_are_configurable(tmp_path):
    config = load_config(
        {"MAGIC_LINK_LIFETIME_LOGIN": "600", "PARTNER_SESSION_LIFETIME": "3600"}, str(tmp_path)
    )
    from partner_portal.security.purposes import Purpose

    assert config["MAGIC_LINK_LIFETIMES"][Purpose.LOGIN].total_seconds() == 600
    assert config["MAGIC_LINK_LIFETIMES"][Purpose.SIGNUP].total_seconds() == 86400
    assert config["PARTNER_SESSION_LIFETIME"].total_seconds() == 3600


@pytest.mark.parametrize("value", ["abc", "-5", "0"])
def test_bad_numbers_are_explained(tmp_path, value):
    with pytest.raises(ConfigError, match="MAGIC_LINK_LIFETIME_LOGIN"):
        load_config({"MAGIC_LINK_LIFETIME_LOGIN": value}, str(tmp_path))


def test_unknown_environment_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="PORTAL_ENV"):
        load_config({"PORTAL_ENV": "staging"}, str(tmp_path))
