"""Several gunicorn workers writing at once: no "database is locked", no error, on either engine.

On SQLite this is what WAL and the busy timeout are for: a writer waits for
the lock instead of failing.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from partner_portal.extensions import db
from partner_portal.security import tokens
from partner_portal.security.purposes import Purpose

from .conftest import free_port
from .helpers import add_partner, get_partner
from .servers import Browser, gunicorn, server_environment

THREADS = 8
ROUNDS = 12


def mint_links(app, email: str, count: int) -> list[str]:
    partner = get_partner(app, email)
    with app.app_context():
        raws = [
            tokens.mint_token(
                email=email,
                purpose=Purpose.LOGIN,
                lifetime=timedelta(hours=1),
                partner_id=partner.id,
            ).raw
            for _ in range(count)
        ]
        db.session.commit()
    return raws


def test_many_workers_writing_at_once_never_fail(app, smtp, smtp_server, clock, tmp_path):
    clock.set(datetime.now(UTC))  # the servers run on the real clock
    add_partner(app, "alice@acme.example")
    links = mint_links(app, "alice@acme.example", THREADS * ROUNDS)
    controller, _ = smtp_server
    environment = {
        **server_environment(
            app.config["SQLALCHEMY_DATABASE_URI"],
            (controller.hostname, controller.port),
            str(tmp_path / "instance"),
        ),
        # This test is about write contention, not abuse: lift the link limits.
        "RATE_LIMIT_PER_EMAIL": "100000",
        "RATE_LIMIT_PER_IP": "100000",
    }
    statuses: list[int] = []
    lock = threading.Lock()
    port = free_port()

    def partner_session(index: int) -> None:
        browser = Browser(port)
        for round_number in range(ROUNDS):
            requested = browser.post_json(
                "/api/partner/auth/request-login", {"email": "alice@acme.example"}
            )
            link = links[index * ROUNDS + round_number]
            confirmed = Browser(port).post_json("/api/partner/auth/verify", {"token": link})
            with lock:
                statuses.extend([requested.status, confirmed.status])

    with gunicorn(port, environment, workers=4, log_dir=str(tmp_path)):
        threads = [threading.Thread(target=partner_session, args=(i,)) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert statuses == [200] * (2 * THREADS * ROUNDS)
    errors = Path(tmp_path / f"error-{port}.log").read_text()
    assert "locked" not in errors
    assert "Traceback" not in errors
    # The requests only queued the mail; deliver it (on the real clock the servers used).
    clock.set(datetime.now(UTC))
    assert len(smtp.wait_for(THREADS * ROUNDS, timeout=30)) == THREADS * ROUNDS
