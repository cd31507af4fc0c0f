"""Attack: bring a deactivated or deleted account back through an invitation.

An invitation is how an inactive partner becomes active, so an invitation
that outlives the decision to deactivate (or delete) the account would undo
it: the mail worker would still send a job queued before the deactivation,
and accepting the link would make the partner active again.

Defence: deactivating cancels the partner's queued invitations (and revokes
every link); the invitation composer never writes to a deleted account; and
accepting refuses a deleted account, in the redeeming UPDATE itself.
"""

from __future__ import annotations

from sqlalchemy import select

from partner_portal import messages, partners
from partner_portal.actors import Actor
from partner_portal.admin.partners import directory
from partner_portal.extensions import db
from partner_portal.models import MagicLinkToken, OutboxJob, OutboxStatus, Partner
from partner_portal.security import tokens
from partner_portal.security.audit import SYSTEM
from partner_portal.security.purposes import Purpose

from ..helpers import flashes, form_data

CONSOLE = Actor(admin_id=None, requester=SYSTEM)


def invite_grace(app) -> int:
    """Invite grace@acme.example from the console; the invitation waits in the outbox."""
    with app.app_context():
        partner = directory.invite_partner(CONSOLE, "grace@acme.example", "Grace", None)
        return partner.id


def grace(app) -> Partner:
    with app.app_context():
        partner = db.session.scalar(select(Partner))
        db.session.expunge(partner)
        return partner


def test_deactivating_cancels_the_invitation_still_in_the_outbox(app, smtp):
    partner_id = invite_grace(app)
    with app.app_context():
        partners.deactivate_partner(CONSOLE, db.session.get(Partner, partner_id))

    assert smtp.delivered() == []  # the worker has run: nothing went out
    with app.app_context():
        job = db.session.scalar(select(OutboxJob))
        assert job.status == OutboxStatus.SKIPPED
        assert db.session.scalar(select(MagicLinkToken)) is None
    assert grace(app).is_active is False


def test_a_deleted_account_gets_no_invitation_queued_before_it_was_deleted(app, smtp):
    partner_id = invite_grace(app)
    with app.app_context():
        partners.delete_partner(CONSOLE, db.session.get(Partner, partner_id))
    assert smtp.delivered() == []
    with app.app_context():
        assert db.session.scalar(select(MagicLinkToken)) is None


def test_a_signup_link_of_a_deleted_account_is_refused(app, client):
    """Whatever minted it (an old worker, a race), accepting never brings the account back."""
    with app.app_context():
        partner = Partner(email="grace@acme.example", name="Grace", is_active=False)
        db.session.add(partner)
        db.session.flush()
        minted = tokens.mint_token(
            email=partner.email,
            purpose=Purpose.SIGNUP,
            lifetime=Purpose.SIGNUP.default_lifetime,
            partner_id=partner.id,
        )
        db.session.commit()
        raw = minted.raw
    # Deleted after the link was minted (erase_partner would also delete the link:
    # keep it, as a link minted a moment later by a worker would be).
    with app.app_context():
        partner = db.session.scalar(select(Partner))
        partner.deleted_at = partner.created_at
        db.session.commit()

    opened = client.get(f"/partner/signup/{raw}")
    assert opened.location == "/partner/login"
    assert flashes(client.get("/partner/login")) == [messages.INVITATION_INVALID]

    # And were the confirm page reached anyway, the POST would spend nothing.
    with app.app_context():
        ref = tokens.LinkRef.of(db.session.scalar(select(MagicLinkToken)))
    with client.session_transaction() as session:
        session["link.signup"] = ref.to_session()
    csrf = form_data(client.get("/partner/login"), "/partner/login")["csrf_token"]
    client.post("/partner/signup", data={"csrf_token": csrf})
    assert client.get_cookie("partner.sid") is None
    assert grace(app).is_active is False
    with app.app_context():
        assert db.session.scalar(select(MagicLinkToken)).used_at is None
