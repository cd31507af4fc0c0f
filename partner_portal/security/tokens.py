"""Magic link tokens: mint, look up without consuming, redeem once, revoke.

A token is 32 random bytes, URL-safe encoded. Only its SHA-256 is stored, so
a copy of the database holds no working link. Redemption is one conditional
UPDATE, so two requests racing with the same link can never both win.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from .. import clock
from ..extensions import db
from ..models import MagicLinkToken, Partner
from .purposes import Purpose

__all__ = ["Purpose"]

TOKEN_BYTES = 32
# 32 bytes in unpadded URL-safe base64 are exactly 43 characters.
_WELL_FORMED = re.compile(r"[A-Za-z0-9_-]{43}")


class MagicLinkError(Exception):
    """Base of every reason a magic link cannot be used.

    ``token`` is the row concerned when there is one, so a view can offer a
    fresh link to the same address.
    """

    reason = "invalid"

    def __init__(self, token: MagicLinkToken | None = None) -> None:
        super().__init__(self.reason)
        self.token = token


class LinkNotFound(MagicLinkError):
    reason = "not_found"


class LinkExpired(MagicLinkError):
    reason = "expired"


class LinkAlreadyUsed(MagicLinkError):
    reason = "already_used"


class LinkRevoked(MagicLinkError):
    reason = "revoked"


class LinkWrongPurpose(MagicLinkError):
    reason = "wrong_purpose"


class UserNotFound(MagicLinkError):
    """The link's partner no longer exists or is not active."""

    reason = "user_not_found"


class RateLimited(MagicLinkError):
    reason = "rate_limited"

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__()
        self.retry_after = retry_after


class EmailFailed(MagicLinkError):
    reason = "email_failed"


@dataclass(frozen=True)
class MintedToken:
    """A freshly minted link: the raw value to email, and the stored row."""

    raw: str
    token: MagicLinkToken


def hash_token(raw: str) -> str:
    """Return the hex SHA-256 under which a raw token is stored."""
    return hashlib.sha256(raw.encode("ascii")).hexdigest()


def is_well_formed(raw: str) -> bool:
    """Return whether ``raw`` could be a token we minted (shape only)."""
    return bool(_WELL_FORMED.fullmatch(raw))


def mint_token(
    *,
    email: str,
    purpose: Purpose,
    lifetime: timedelta,
    partner_id: int | None = None,
    redirect_to: str | None = None,
    details: dict[str, Any] | None = None,
    ip_address: str | None = None,
    user_agent: str | None = None,
) -> MintedToken:
    """Create a link row in the current transaction and return it with its raw token."""
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.now()
    token = MagicLinkToken(
        token_hash=hash_token(raw),
        email=email,
        partner_id=partner_id,
        purpose=purpose.value,
        redirect_to=redirect_to,
        details=details,
        ip_address=ip_address,
        user_agent=user_agent,
        created_at=now,
        expires_at=now + lifetime,
    )
    db.session.add(token)
    db.session.flush()
    return MintedToken(raw=raw, token=token)


def check_usable(token: MagicLinkToken, purpose: Purpose, now: datetime | None = None) -> None:
    """Raise the :class:`MagicLinkError` that says why ``token`` cannot be used, if any."""
    now = now or clock.now()
    if token.purpose != purpose.value:
        raise LinkWrongPurpose(token)
    if token.revoked_at is not None:
        raise LinkRevoked(token)
    if token.used_at is not None:
        raise LinkAlreadyUsed(token)
    if token.expires_at <= now:
        raise LinkExpired(token)
    if token.partner_id is not None and (token.partner is None or not token.partner.is_active):
        raise UserNotFound(token)


def find_token(raw: str, purpose: Purpose) -> MagicLinkToken:
    """Return the usable token for ``raw`` without consuming it, or raise why not."""
    # Malformed input never reaches the database: no odd bytes in a query,
    # and hashing is only ever done on ASCII.
    if not isinstance(raw, str) or not is_well_formed(raw):
        raise LinkNotFound()
    token = db.session.scalar(
        select(MagicLinkToken).where(MagicLinkToken.token_hash == hash_token(raw))
    )
    if token is None:
        raise LinkNotFound()
    check_usable(token, purpose)
    return token


def get_usable_token(token_id: int, purpose: Purpose) -> MagicLinkToken:
    """Return the usable token with this id (held server-side), or raise why not."""
    token = db.session.get(MagicLinkToken, token_id)
    if token is None:
        raise LinkNotFound()
    check_usable(token, purpose)
    return token


def redeem_token(token_id: int, purpose: Purpose) -> MagicLinkToken:
    """Mark the token used, exactly once, and return it; raise why not otherwise.

    The whole validity check is the WHERE clause of one UPDATE: of any number of
    concurrent redemptions, exactly one sees a changed row.
    """
    now = clock.now()
    # Correlated EXISTS, one primary-key lookup: "partner_id IN (SELECT id FROM
    # partners WHERE is_active)" made SQLite build the whole list of active
    # partners on every redemption (27 ms at 100,000 partners).
    active_partner = (
        select(Partner.id)
        .where(Partner.id == MagicLinkToken.partner_id, Partner.is_active.is_(True))
        .exists()
    )
    result = db.session.execute(
        update(MagicLinkToken)
        .where(
            MagicLinkToken.id == token_id,
            MagicLinkToken.purpose == purpose.value,
            MagicLinkToken.used_at.is_(None),
            MagicLinkToken.revoked_at.is_(None),
            MagicLinkToken.expires_at > now,
            MagicLinkToken.partner_id.is_(None) | active_partner,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    token = db.session.get(MagicLinkToken, token_id, populate_existing=True)
    if result.rowcount != 1:
        if token is None:
            raise LinkNotFound()
        check_usable(token, purpose, now)
        # Lost a race that finished between our UPDATE and this read.
        raise LinkAlreadyUsed(token)
    assert token is not None
    return token


def revoke_tokens(*, partner_id: int, purpose: Purpose | None = None) -> int:
    """Revoke every outstanding link of a partner (of one purpose, if given); return how many."""
    statement = (
        update(MagicLinkToken)
        .where(
            MagicLinkToken.partner_id == partner_id,
            MagicLinkToken.used_at.is_(None),
            MagicLinkToken.revoked_at.is_(None),
        )
        .values(revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if purpose is not None:
        statement = statement.where(MagicLinkToken.purpose == purpose.value)
    return db.session.execute(statement).rowcount
