"""Attack: with SECRET_KEY alone (leaked, or a development default), redeem every live link.

Between opening an emailed link and pressing its button, the browser holds
the link in its signed pre-session cookie (``partner.pre``, ``oncall.pre``).
If that were a row id alone, anyone able to sign the cookie could name any
live link (ids are small integers) and redeem it without ever seeing it.

Defence: the cookie holds the link's id *and* its SHA-256, and the redeeming
UPDATE needs both (so does the confirm page, which names the account). The
hash is derived from the 256-bit token in the email: forging the cookie then
also needs the link itself (or the database).

The attacker here does what a real one would: takes a genuine pre-session
cookie from the login page, decodes it with itsdangerous and the app's key,
adds the pending link, and signs it again.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from partner_portal.extensions import db
from partner_portal.models import MagicLinkToken, Partner
from partner_portal.security import tokens
from partner_portal.security.purposes import Purpose

from ..helpers import add_admin, flashes, form_data

PASSWORD = {"password": "the attacker's new password", "confirm": "the attacker's new password"}


@dataclass(frozen=True)
class Kind:
    name: str
    purpose: Purpose
    confirm: str
    realm: str  # the pre-session cookie's realm: "partner" or "staff"
    cookie: str
    csrf_page: str
    fields: dict[str, str]


KINDS = [
    Kind("login", Purpose.LOGIN, "/partner/verify", "partner", "partner.pre", "/partner/login", {}),
    Kind(
        "signup", Purpose.SIGNUP, "/partner/signup", "partner", "partner.pre", "/partner/login", {}
    ),
    Kind(
        "email_change_cancel",
        Purpose.EMAIL_CHANGE_CANCEL,
        "/partner/account/email/cancel",
        "partner",
        "partner.pre",
        "/partner/login",
        {},
    ),
    Kind(
        "password_reset",
        Purpose.PASSWORD_RESET,
        "/admin/password-reset/new",
        "staff",
        "oncall.pre",
        "/admin/login",
        PASSWORD,
    ),
]


def victims_link(app, kind: Kind) -> tokens.LinkRef:
    """Mint the victim's live link of ``kind`` (in their mailbox); return its id and hash."""
    with app.app_context():
        owner: dict[str, int] = {}
        if kind.purpose is Purpose.PASSWORD_RESET:
            owner["admin_id"] = add_admin(app)
            email = "ops@portal.example"
        else:
            partner = Partner(
                email="victim@acme.example",
                name="Victoria Victim",
                is_active=kind.purpose is not Purpose.SIGNUP,
            )
            db.session.add(partner)
            db.session.flush()
            owner["partner_id"] = partner.id
            email = partner.email
        minted = tokens.mint_token(
            email=email, purpose=kind.purpose, lifetime=kind.purpose.default_lifetime, **owner
        )
        ref = tokens.LinkRef.of(minted.token)
        db.session.commit()
        return ref


def forge(app, client, kind: Kind, pending: object) -> dict[str, str]:
    """Put ``pending`` in the client's own pre-session cookie, signed with the app's key.

    Return the form fields (with a CSRF token valid for that session) to post.
    """
    fields = form_data(client.get(kind.csrf_page))
    serializer = URLSafeTimedSerializer(
        app.secret_key, salt=f"partner-portal.{kind.realm}.pre-session"
    )
    data = serializer.loads(client.get_cookie(kind.cookie).value)
    data[f"link.{kind.name}"] = pending
    client.set_cookie(kind.cookie, serializer.dumps(data))
    return {"csrf_token": fields["csrf_token"], **kind.fields}


def is_spent(app, token_id: int) -> bool:
    with app.app_context():
        return db.session.get(MagicLinkToken, token_id).used_at is not None


@pytest.mark.parametrize("kind", KINDS, ids=[kind.name for kind in KINDS])
def test_a_cookie_forged_with_the_key_alone_redeems_nothing(app, kind):
    link = victims_link(app, kind)
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.66"

    for guess in ([link.id, "0" * 64], [link.id, link.token_hash[::-1]], link.id):
        data = forge(app, attacker, kind, guess)
        page = attacker.get(kind.confirm)
        # Not even the confirm page: it would name the victim's account.
        assert page.status_code == 303
        assert "victim" not in attacker.get(page.location).get_data(as_text=True).lower()
        data = forge(app, attacker, kind, guess)
        attacker.post(kind.confirm, data=data)
        assert not is_spent(app, link.id)
    assert attacker.get_cookie("partner.sid") is None
    assert attacker.get_cookie("oncall.sid") is None


@pytest.mark.parametrize("kind", KINDS, ids=[kind.name for kind in KINDS])
def test_the_same_forgery_with_the_links_hash_would_work(app, kind):
    """The control: the forging above is sound, so it is the hash that stops it."""
    link = victims_link(app, kind)
    attacker = app.test_client()
    data = forge(app, attacker, kind, [link.id, link.token_hash])
    assert attacker.get(kind.confirm).status_code == 200
    data = forge(app, attacker, kind, [link.id, link.token_hash])
    response = attacker.post(kind.confirm, data=data)
    assert response.status_code == 303, flashes(attacker.get(response.location))
    assert is_spent(app, link.id)


def test_the_hash_is_checked_by_the_redeeming_update_itself(app):
    """Even code that skipped the page's check could not spend a link by its id alone."""
    link = victims_link(app, KINDS[0])
    with app.app_context():
        with pytest.raises(tokens.LinkNotFound):
            tokens.redeem_token(tokens.LinkRef(link.id, "0" * 64), Purpose.LOGIN)
        db.session.rollback()
        assert db.session.scalar(select(MagicLinkToken.used_at)) is None
        assert db.session.scalar(select(Partner.last_login_at)) is None
