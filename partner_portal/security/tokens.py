"""Magic link tokens: mint, look up without consuming, redeem once, revoke.

A token is 32 random bytes, URL-safe encoded. Only its SHA-256 is stored, so
a copy of the database holds no working link. Redemption is one conditional
UPDATE, so two requests racing with the same link can never both win.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import CursorResult, Executable, Select, Update, bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

from .. import clock
from ..extensions import db
from ..models import Admin, MagicLinkToken, Partner
from . import codes
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
    """The link's partner (or admin) no longer exists or is not active."""

    reason = "user_not_found"


class RateLimited(MagicLinkError):
    reason = "rate_limited"

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__()
        self.retry_after = retry_after


class EmailFailed(MagicLinkError):
    reason = "email_failed"


class CodeInvalid(MagicLinkError):
    """A one-time code that is wrong, dead, expired, spent, or not for this browser.

    It never says which: every case reads the same to the person typing. The
    audit log gets the token's id (and partner) when a live code was tried.
    """

    reason = "code_invalid"

    def __init__(
        self, token_id: int | None = None, partner_id: int | None = None, email: str | None = None
    ) -> None:
        super().__init__()
        self.token_id = token_id
        self.partner_id = partner_id
        self.email = email


@dataclass(frozen=True)
class LinkRef:
    """A link held server-side between opening it and confirming it: its row and its hash.

    The id names the row; the hash proves that whoever holds this reference
    held the link itself. A signed cookie forged with ``SECRET_KEY`` alone can
    name any row, but without the 256-bit token it cannot name its hash, so it
    redeems nothing.
    """

    id: int
    token_hash: str

    @classmethod
    def of(cls, token: MagicLinkToken) -> LinkRef:
        """Return the reference to keep for a link that was just opened."""
        return cls(token.id, token.token_hash)

    def to_session(self) -> list[int | str]:
        """Return the reference as a session value (a signed cookie or a session row)."""
        return [self.id, self.token_hash]

    @classmethod
    def from_session(cls, value: object) -> LinkRef | None:
        """Return the reference a session value holds, or None for anything else."""
        if not isinstance(value, list | tuple) or len(value) != 2:
            return None
        token_id, token_hash = value
        if not isinstance(token_id, int) or isinstance(token_id, bool):
            return None
        if not isinstance(token_hash, str) or len(token_hash) != 64:
            return None
        return cls(token_id, token_hash)


@dataclass(frozen=True)
class MintedToken:
    """A freshly minted link: the raw value to email, and the stored row."""

    raw: str
    token: MagicLinkToken
    code: str | None = None


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
    admin_id: int | None = None,
    redirect_to: str | None = None,
    details: dict[str, object] | None = None,
    ip_address: str | None = None,
    user_agent: str | None = None,
    request_id: str | None = None,
) -> MintedToken:
    """Create a link row in the current transaction and return it with its raw token.

    With a ``request_id`` (the asking browser's), the link also gets a
    one-time code for that browser, returned in clear only here.
    """
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    code = codes.generate() if request_id else None
    now = clock.now()
    token = MagicLinkToken(
        token_hash=hash_token(raw),
        email=email,
        partner_id=partner_id,
        admin_id=admin_id,
        purpose=purpose.value,
        redirect_to=redirect_to,
        details=details,
        ip_address=ip_address,
        user_agent=user_agent,
        created_at=now,
        expires_at=now + lifetime,
        request_id=request_id,
        code_hash=codes.digest(code, request_id) if code and request_id else None,
        code_attempts=0,
    )
    db.session.add(token)
    db.session.flush()
    return MintedToken(raw=raw, token=token, code=code)


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
    if token.partner_id is not None and (
        token.partner is None
        or not (token.partner.is_active or purpose is Purpose.SIGNUP)
        # A deleted account is never brought back, not even by an invitation.
        or token.partner.deleted_at is not None
    ):
        raise UserNotFound(token)
    if token.admin_id is not None and (token.admin is None or not token.admin.is_active):
        raise UserNotFound(token)


@cache
def _find_statement() -> Select[MagicLinkToken]:
    return select(MagicLinkToken).where(MagicLinkToken.token_hash == bindparam("token_hash"))


def find_token(raw: str, purpose: Purpose) -> MagicLinkToken:
    """Return the usable token for ``raw`` without consuming it, or raise why not."""
    # Malformed input never reaches the database: no odd bytes in a query,
    # and hashing is only ever done on ASCII.
    if not isinstance(raw, str) or not is_well_formed(raw):
        raise LinkNotFound()
    token: MagicLinkToken | None = db.session.scalar(
        _find_statement(), {"token_hash": hash_token(raw)}
    )
    if token is None:
        raise LinkNotFound()
    check_usable(token, purpose)
    return token


def get_usable_token(ref: LinkRef, purpose: Purpose) -> MagicLinkToken:
    """Return the usable token a reference held server-side names, or raise why not."""
    token: MagicLinkToken | None = db.session.get(MagicLinkToken, ref.id)
    # A reference whose hash is not the row's was not made by opening the link
    # (a forged cookie): it names nothing, and learns nothing about the row.
    if token is None or not hmac.compare_digest(token.token_hash, ref.token_hash):
        raise LinkNotFound()
    check_usable(token, purpose)
    return token


def redeem_token(ref: LinkRef, purpose: Purpose) -> MagicLinkToken:
    """Mark the token used, exactly once, and return it; raise why not otherwise.

    The whole validity check is the WHERE clause of one UPDATE: of any number of
    concurrent redemptions, exactly one sees a changed row. The clause holds
    the token's hash, so only a reference made from the link itself spends it.
    """
    now = clock.now()
    result = _changed(
        _redeem_statement(purpose is Purpose.SIGNUP),
        {
            "token_id": ref.id,
            "link_hash": ref.token_hash,
            "link_purpose": purpose.value,
            "now": now,
        },
    )
    token_id = ref.id
    if result != 1:
        token = db.session.get(MagicLinkToken, token_id, populate_existing=True)
        if token is None or not hmac.compare_digest(token.token_hash, ref.token_hash):
            raise LinkNotFound()
        check_usable(token, purpose, now)
        # Lost a race that finished between our UPDATE and this read.
        raise LinkAlreadyUsed(token)
    # Won: the row is as it was read (if it was) but for used_at, so the copy
    # already loaded serves, told about the UPDATE instead of read again.
    won: MagicLinkToken | None = db.session.get(MagicLinkToken, token_id)
    assert won is not None
    set_committed_value(won, "used_at", now)
    return won


def _changed(statement: Executable, parameters: dict[str, object] | None = None) -> int:
    """Run an UPDATE in the current transaction and return how many rows it changed."""
    result = db.session.execute(statement, parameters)
    assert isinstance(result, CursorResult)
    return result.rowcount


@cache
def _redeem_statement(for_signup: bool) -> Update:
    """The one UPDATE that spends a link, built once per kind (it runs on every sign-in)."""
    # Correlated EXISTS, one primary-key lookup each: "partner_id IN (SELECT id
    # FROM partners WHERE is_active)" made SQLite build the whole list of active
    # partners on every redemption (27 ms at 100,000 partners).
    partner_ok = Partner.id == MagicLinkToken.partner_id
    if for_signup:
        # An invitation is how an invited, not yet active, partner becomes
        # active; never a deleted one.
        partner_ok = partner_ok & Partner.deleted_at.is_(None)
    else:
        partner_ok = partner_ok & Partner.is_active.is_(True)
    active_partner = select(Partner.id).where(partner_ok).exists()
    active_admin = (
        select(Admin.id)
        .where(Admin.id == MagicLinkToken.admin_id, Admin.is_active.is_(True))
        .exists()
    )
    return (
        update(MagicLinkToken)
        .where(
            MagicLinkToken.id == bindparam("token_id"),
            MagicLinkToken.token_hash == bindparam("link_hash"),
            MagicLinkToken.purpose == bindparam("link_purpose"),
            MagicLinkToken.used_at.is_(None),
            MagicLinkToken.revoked_at.is_(None),
            MagicLinkToken.expires_at > bindparam("now"),
            MagicLinkToken.partner_id.is_(None) | active_partner,
            MagicLinkToken.admin_id.is_(None) | active_admin,
        )
        .values(used_at=bindparam("now"))
        .execution_options(synchronize_session=False)
    )


def revoke_tokens(
    *,
    partner_id: int | None = None,
    purpose: Purpose | None = None,
    admin_id: int | None = None,
    token_id: int | None = None,
) -> int:
    """Revoke the outstanding links of a partner or an admin (of one purpose, or one link).

    Return how many were revoked.
    """
    if (partner_id is None) == (admin_id is None):
        raise ValueError("name exactly one owner: partner_id or admin_id")
    owner = (
        MagicLinkToken.partner_id == partner_id
        if partner_id is not None
        else MagicLinkToken.admin_id == admin_id
    )
    statement = (
        update(MagicLinkToken)
        .where(
            owner,
            MagicLinkToken.used_at.is_(None),
            MagicLinkToken.revoked_at.is_(None),
        )
        .values(revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if purpose is not None:
        statement = statement.where(MagicLinkToken.purpose == purpose.value)
    if token_id is not None:
        statement = statement.where(MagicLinkToken.id == token_id)
    return _changed(statement)


def kill_codes(*, email: str, purpose: Purpose, request_id: str) -> int:
    """Make the earlier one-time codes of one browser for ``email`` unusable; return how many.

    Only codes of the same request id (the same browser, whose newer request
    replaces them) die: a stranger's request for the same address must not
    kill the code its owner is typing. Links stay.
    """
    return _changed(
        update(MagicLinkToken)
        .where(
            MagicLinkToken.email == email,
            MagicLinkToken.purpose == purpose.value,
            MagicLinkToken.request_id == request_id,
            MagicLinkToken.code_hash.is_not(None),
        )
        .values(code_hash=None)
        .execution_options(synchronize_session=False)
    )


# Compared against when no live code exists, so that case costs what a wrong code costs.
_NO_CODE = "0" * 64


def redeem_code(request_id: str, typed: str, purpose: Purpose) -> MagicLinkToken:
    """Spend the link whose one-time code ``typed`` is, for the browser of ``request_id``.

    One UPDATE first takes a try from the live code of this request (at most
    ``codes.MAX_ATTEMPTS``, so simultaneous guesses queue on the row and the
    sixth finds it dead), and only then is the code compared, in constant
    time. A match spends the link with :func:`redeem_token`, so a code and its
    link are one credential. Registered and unknown addresses run the same
    statements here; every failure raises :class:`CodeInvalid`.
    """
    now = clock.now()
    tried = db.session.execute(
        update(MagicLinkToken)
        .where(
            MagicLinkToken.request_id == request_id,
            MagicLinkToken.purpose == purpose.value,
            MagicLinkToken.code_hash.is_not(None),
            MagicLinkToken.code_attempts < codes.MAX_ATTEMPTS,
            MagicLinkToken.used_at.is_(None),
            MagicLinkToken.revoked_at.is_(None),
            MagicLinkToken.expires_at > now,
        )
        .values(code_attempts=MagicLinkToken.code_attempts + 1)
        .returning(
            MagicLinkToken.id,
            MagicLinkToken.code_hash,
            MagicLinkToken.partner_id,
            MagicLinkToken.email,
            MagicLinkToken.token_hash,
        )
        .execution_options(synchronize_session=False)
    ).all()
    match = None
    for row in tried:
        if codes.matches(typed, request_id, row.code_hash or _NO_CODE):
            match = row
    if not tried:
        # No live code: compared all the same, so this case costs what a wrong code costs.
        codes.matches(typed, request_id, _NO_CODE)
    if match is None:
        first = tried[0] if tried else None
        raise CodeInvalid(
            token_id=first.id if first else None,
            partner_id=first.partner_id if first else None,
            email=first.email if first else None,
        )
    try:
        # The right code proves the link as well as the link itself would.
        return redeem_token(LinkRef(match.id, match.token_hash), purpose)
    except MagicLinkError as error:
        # Spent by its link a moment ago, or the partner was just deactivated.
        raise CodeInvalid(match.id, match.partner_id, match.email) from error
