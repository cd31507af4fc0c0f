"""Attack: harvest working links (or codes) from logs, audit entries or the outbox.

Defence: a link's path is redacted from the werkzeug and gunicorn access logs
and from the app's own log (``security.redaction``); audit entries and
outbox jobs name a token's id, never the token; codes travel only in the
email and a POST body, and are stored as an HMAC.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.request

from sqlalchemy import select
from werkzeug.serving import make_server

from partner_portal.extensions import db
from partner_portal.models import AuditEvent, MagicLinkToken, OutboxJob

from ..conftest import free_port
from ..helpers import (
    add_partner,
    code_from,
    confirm,
    enter_code,
    link_path_from,
    request_link,
    submit,
    token_from,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PATHS = [
    "/partner/verify/{t}",
    "/api/partner/auth/verify/{t}",
    "/partner/account/email/verify/{t}",
    "/partner/account/delete/verify/{t}",
]


def secrets_of_a_full_story(app, smtp) -> list[str]:  # noqa: ANN001
    """Sign in by link and by code, change address, ask for deletion; return every secret sent."""
    add_partner(app, "alice@acme.example")
    secrets: list[str] = []
    laptop, phone = app.test_client(), app.test_client()
    request_link(laptop, "alice@acme.example")
    message = smtp.wait_for(1)[-1]
    secrets += [token_from(message), code_from(message).replace("-", "")]
    confirm(laptop, token_from(message))
    request_link(phone, "alice@acme.example")
    message = smtp.wait_for(2)[-1]
    secrets += [token_from(message), code_from(message).replace("-", "")]
    enter_code(phone, "2222-2222")  # a wrong try, logged and audited
    enter_code(phone, code_from(message))
    phone.get(f"/partner/verify/{token_from(message)}")  # reuse: a failure
    submit(laptop, "/partner/account", "/partner/account/email", {"new_email": "a2@acme.example"})
    mails = smtp.wait_for(4)
    change = link_path_from(next(m for m in mails if m["To"] == "a2@acme.example"))
    secrets.append(change.rsplit("/", 1)[1])
    laptop.get(change)
    submit(laptop, "/partner/account/email/confirm", "/partner/account/email/confirm")
    submit(laptop, "/partner/account", "/partner/account/delete")
    deletion = link_path_from(smtp.wait_for(5)[-1])
    secrets.append(deletion.rsplit("/", 1)[1])
    laptop.get(deletion)
    return secrets


def test_no_secret_reaches_the_apps_log_the_audit_trail_or_the_outbox(app, smtp, caplog):
    caplog.set_level(logging.DEBUG)
    secrets = secrets_of_a_full_story(app, smtp)
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")]
    with app.app_context():
        audit = repr(
            [
                (e.action, e.email, e.details, e.user_agent)
                for e in db.session.scalars(select(AuditEvent))
            ]
        )
        jobs = repr(
            [(j.recipient, j.details, j.last_error) for j in db.session.scalars(select(OutboxJob))]
        )
        rows = repr(
            [
                (t.token_hash, t.code_hash, t.details, t.redirect_to)
                for t in db.session.scalars(select(MagicLinkToken))
            ]
        )
        token_ids = {
            e.details.get("token_id")
            for e in db.session.scalars(select(AuditEvent))
            if e.details and e.details.get("token_id")
        }
    for secret in secrets:
        assert not [line for line in ours if secret in line], secret
        assert secret not in audit
        assert secret not in jobs
        assert secret not in rows
    assert token_ids  # the audit trail names links by id


def test_the_development_servers_access_log_is_redacted(app, caplog):
    """A real werkzeug server on a socket, as `flask run` serves: its request lines are scrubbed."""
    caplog.set_level(logging.INFO, logger="werkzeug")
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    token = "hwg0QHEKvrV1GpI3pi_1p6xj7IfYhiuXAmShGVMuG4Y"
    try:
        for path in PATHS:
            request = urllib.request.Request(
                f"http://127.0.0.1:{server.server_port}{path.format(t=token)}",
                headers={"Referer": f"http://127.0.0.1/partner/verify/{token}"},
            )
            opener = urllib.request.build_opener(NoRedirect)
            with contextlib.suppress(urllib.error.HTTPError):
                opener.open(request, timeout=5)
    finally:
        server.shutdown()
        thread.join(timeout=5)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    requests = [line for line in lines if "GET " in line]
    assert len(requests) == len(PATHS)
    assert all("[redacted]" in line for line in requests)
    assert not [line for line in lines if token in line]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return None


def test_gunicorns_access_log_is_redacted(app, tmp_path):
    """The production server, with its default access log format (which includes the Referer)."""
    port = free_port()
    log = tmp_path / "access.log"
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PORTAL_BASE_URL": "http://localhost",
        "PORTAL_INSTANCE_PATH": app.instance_path,
    }
    command = [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
        "--access-logfile", str(log), "app:app",
    ]  # fmt: skip
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    token = "hwg0QHEKvrV1GpI3pi_1p6xj7IfYhiuXAmShGVMuG4Y"
    try:
        deadline = time.monotonic() + 20
        opener = urllib.request.build_opener(NoRedirect)
        for path in PATHS:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{path.format(t=token)}",
                headers={
                    "Host": "localhost",
                    "Referer": f"http://localhost/partner/verify/{token}",
                },
            )
            while True:
                try:
                    opener.open(request, timeout=5)
                    break
                except urllib.error.HTTPError:
                    break
                except OSError:
                    assert time.monotonic() < deadline, "gunicorn did not start"
                    time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=10)
    lines = log.read_text().splitlines()
    assert len([line for line in lines if "GET " in line]) == len(PATHS)
    assert not [line for line in lines if token in line]
    assert all("[redacted]" in line for line in lines if "GET " in line)


def test_a_signed_in_partners_pages_carry_no_token(app, client, smtp):
    add_partner(app, "alice@acme.example")
    request_link(client, "alice@acme.example")
    token = token_from(smtp.wait_for(1)[0])
    client.get(f"/partner/verify/{token}")
    page = client.get("/partner/verify")
    assert token not in page.get_data(as_text=True)
    assert token not in client.get_cookie("partner.pre").value
