"""Two app servers that share nothing but the PostgreSQL database.

A partner signs in through one server (real SMTP in between) and goes on
using the session on the other; signing out on the second ends it on both.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import free_port
from .helpers import add_page, add_partner, grant, token_from
from .servers import Browser, gunicorn, send_pending, server_environment

pytestmark = pytest.mark.postgresql_only


@pytest.fixture
def environment(app, smtp_server, tmp_path) -> dict[str, str]:
    """What both servers are started with: one database, one secret key, one mail server."""
    controller, _ = smtp_server
    return server_environment(
        app.config["SQLALCHEMY_DATABASE_URI"],
        (controller.hostname, controller.port),
        str(tmp_path / "instance"),
    )


def test_sign_in_on_one_server_and_carry_on_on_the_other(app, smtp, environment, tmp_path):
    add_partner(app, "alice@acme.example", name="Alice Martin")
    add_page(app, "payments-api", "Payments API")
    grant(app, "alice@acme.example", "payments-api")
    port_a, port_b = free_port(), free_port()

    with (
        gunicorn(port_a, environment, workers=2, log_dir=str(tmp_path)) as log_a,
        gunicorn(port_b, environment, workers=2, log_dir=str(tmp_path)) as log_b,
    ):
        first = Browser(port_a)
        sent = first.submit("/partner/login", "/partner/login", {"email": "alice@acme.example"})
        assert sent.status == 303
        # The servers run on the real clock and only queue the mail; a mail
        # worker process (sharing nothing but the database) sends it.
        send_pending(environment)
        token = token_from(smtp.wait_until(lambda messages: messages and messages[0]))
        opened = first.get(f"/partner/verify/{token}")
        assert (opened.status, opened.location) == (303, "/partner/verify")
        confirmed = first.submit("/partner/verify", "/partner/verify")
        assert (confirmed.status, confirmed.location) == (303, "/partner/dashboard")
        assert "partner.sid" in first.cookies

        second = Browser(port_b, cookies={"partner.sid": first.cookies["partner.sid"]})
        dashboard = second.get("/partner/dashboard")
        assert dashboard.status == 200
        assert "Payments API" in dashboard.body
        assert "Alice Martin" in dashboard.body
        me = second.get("/api/partner/auth/me")
        assert me.json()["email"] == "alice@acme.example"

        signed_out = second.post_form("/partner/logout", dashboard.form_fields("/partner/logout"))
        assert signed_out.status == 303
        after = first.get("/partner/dashboard")
        assert after.status == 302
        assert after.location.startswith("/partner/login")

    logs = Path(log_a).read_text() + Path(log_b).read_text()
    assert token not in logs
    assert "/partner/verify/[redacted]" in logs
