"""Attack: learn whether an address is registered from what a request does, not what it says.

A signed-in partner asks to change their address to some target. The answer
is the same whether the target belongs to a partner or not, and no link goes
to a registered target. But if the earlier change link died only for a free
target, the partner could probe the directory: ask for a change to a free
address they control, then to the target, then see whether the first link
still works.

Defence: the side effects of asking are the same for every target: the
earlier change links of the partner die in both cases (only the latest
request can complete), and the old address gets the same notice.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from partner_portal.extensions import db
from partner_portal.models import AuditEvent, MagicLinkToken

from ..helpers import add_partner, link_path_from, sign_in, submit, text_of

PROBE = "probe@mallory.example"  # an address the prober reads


@pytest.fixture
def prober(app, smtp):
    add_partner(app, "mallory@acme.example", name="Mallory")
    add_partner(app, "registered@globex.example", name="Somebody")
    client = app.test_client()
    sign_in(client, smtp, "mallory@acme.example")
    return client


def ask_for_change(client, new_email: str):  # noqa: ANN001, ANN201
    return submit(client, "/partner/account", "/partner/account/email", {"new_email": new_email})


def probe(app, smtp, prober, target: str) -> dict[str, object]:
    """Everything the prober can observe about asking for ``target``."""
    before = len(smtp.delivered())
    ask_for_change(prober, PROBE)
    asked = smtp.wait_for(before + 2)[before:]
    probe_link = link_path_from(next(m for m in asked if m["To"] == PROBE))

    before = len(smtp.delivered())
    answer = ask_for_change(prober, target)
    arrived = smtp.wait_for(before + 1)[before:]
    opened = prober.get(probe_link)
    notice = next(m for m in arrived if m["To"] == "mallory@acme.example")
    return {
        "status": answer.status_code,
        "location": answer.location,
        # Does the earlier link to the probe address still open its confirm page?
        "earlier_link_lands_on": opened.location,
        "mail_to_the_old_address": text_of(notice).replace(target, "<target>"),
        "mail_to_the_probe_address": [m for m in arrived if m["To"] == PROBE],
    }


def test_the_earlier_change_link_dies_whoever_the_new_target_is(app, smtp, prober):
    free = probe(app, smtp, prober, "nobody@globex.example")
    registered = probe(app, smtp, prober, "registered@globex.example")

    # The notice holds a fresh cancel link and the time: compare the rest.
    for outcome in (free, registered):
        outcome["mail_to_the_old_address"] = "\n".join(
            line
            for line in str(outcome["mail_to_the_old_address"]).splitlines()
            if "/cancel/" not in line
        )
    assert free == registered
    assert registered["earlier_link_lands_on"] == "/partner/account"  # dead, both times


def test_only_the_latest_change_request_can_complete(app, smtp, prober):
    probe(app, smtp, prober, "registered@globex.example")
    with app.app_context():
        live = db.session.scalars(
            select(MagicLinkToken).where(
                MagicLinkToken.purpose == "email_link",
                MagicLinkToken.used_at.is_(None),
                MagicLinkToken.revoked_at.is_(None),
            )
        ).all()
        assert live == []  # the probe's link is revoked; none went to the registered target
        requested = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "partner.email.change_requested")
        ).all()
        assert [event.details["address_in_use"] for event in requested] == [False, True]
