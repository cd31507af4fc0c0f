"""Development with no mail server: the mailbox page stands in for an inbox."""

from __future__ import annotations

import re

import pytest

from .helpers import add_partner, request_link, soup, submit


@pytest.fixture
def dev_app(app):
    app.config["MAIL_TO_DEV_MAILBOX"] = True
    return app


def test_newcomer_signs_in_through_the_development_mailbox(dev_app, smtp, capsys):
    add_partner(dev_app, "alice@acme.example", name="Alice Martin")
    client = dev_app.test_client()

    sent = client.get(request_link(client, "alice@acme.example").location)
    assert smtp.delivered() == []  # the worker ran: to the mailbox, not to SMTP
    mailbox_link = soup(sent).find("a", string="development mailbox")
    assert mailbox_link["href"] == "/dev/mailbox"

    listing = soup(client.get("/dev/mailbox"))
    (row,) = listing.select("table.mailbox tbody tr")
    assert "alice@acme.example" in row.get_text()
    message_page = client.get(row.find("a")["href"])
    link = re.search(
        r"http://localhost(/partner/verify/[A-Za-z0-9_-]{43})", message_page.get_data(as_text=True)
    )
    assert link, "the message page shows the link"
    assert link.group(0) in capsys.readouterr().out  # and the console too

    client.get(link.group(1))
    response = submit(client, "/partner/verify", "/partner/verify")
    assert response.location == "/partner/dashboard"


def test_mailbox_does_not_exist_in_production(monkeypatch, tmp_path):
    from partner_portal import create_app

    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    app = create_app(
        {
            "IS_PRODUCTION": True,
            "PORTAL_ENV": "production",
            "SECRET_KEY": "k" * 40,
            "PORTAL_BASE_URL": "https://p.example",
            "MAIL_SERVER_CONFIGURED": True,
            "TRUSTED_HOSTS": None,
        }
    )
    assert app.test_client().get("/dev/mailbox").status_code == 404


def test_unknown_message_is_a_404(dev_app):
    assert dev_app.test_client().get("/dev/mailbox/nope").status_code == 404
