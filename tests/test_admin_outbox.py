"""The outbox in the admin console: counts, last errors, retry now."""

from __future__ import annotations

from sqlalchemy import select

from partner_portal import messages
from partner_portal.extensions import db
from partner_portal.models import OutboxJob

from .conftest import free_port, run_outbox
from .helpers import (
    add_partner,
    audit_events,
    flashes,
    request_link,
    soup,
    submit,
)


def test_outbox_page_shows_counts_and_the_last_errors_with_retry(app, client, admin, smtp):
    add_partner(app, "alice@acme.example")
    add_partner(app, "bob@globex.example")
    request_link(app.test_client(), "alice@acme.example")
    assert run_outbox(app) == {"sent": 1}
    port = app.extensions["mail"].port
    from aiosmtpd.controller import Controller

    class Refuse:
        async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
            return "550 5.1.1 Mailbox unavailable"

    refusing = Controller(Refuse(), hostname="127.0.0.1", port=free_port())
    refusing.start()
    try:
        app.extensions["mail"].port = refusing.port
        request_link(app.test_client(), "bob@globex.example")
        assert run_outbox(app) == {"failed": 1}
    finally:
        refusing.stop()
        app.extensions["mail"].port = port

    page = soup(client.get("/admin/outbox"))
    counts = {
        stat.dt.get_text(strip=True): stat.dd.get_text(strip=True)
        for stat in page.select(".stat-grid .stat")
    }
    assert counts["Sent"] == "1"
    assert counts["Failed"] == "1"
    (row,) = page.select("table tbody tr")
    assert "bob@globex.example" in row.get_text()
    assert "550" in row.get_text()

    with app.app_context():
        job_id = db.session.scalar(select(OutboxJob.id).where(OutboxJob.status == "failed"))
    response = submit(client, "/admin/outbox", f"/admin/outbox/{job_id}/retry")
    assert response.status_code == 303
    assert flashes(client.get("/admin/outbox")) == [
        messages.OUTBOX_RETRIED.format(email="bob@globex.example")
    ]
    assert run_outbox(app) == {"sent": 1}
    assert len(smtp.delivered()) == 2
    (event,) = audit_events(app, "admin.outbox.retried")
    assert event.details == {"job_id": job_id}


def test_a_sent_job_cannot_be_retried(app, client, admin, smtp):
    add_partner(app, "alice@acme.example")
    request_link(app.test_client(), "alice@acme.example")
    run_outbox(app)
    with app.app_context():
        job_id = db.session.scalar(select(OutboxJob.id))
    from .helpers import form_data

    data = form_data(client.get("/admin/outbox"), None)
    client.post(f"/admin/outbox/{job_id}/retry", data=data)
    assert flashes(client.get("/admin/outbox")) == [messages.OUTBOX_NOT_RETRIABLE]
    assert run_outbox(app) == {}
