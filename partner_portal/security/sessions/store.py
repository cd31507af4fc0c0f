"""The session store: one table per realm, each row keyed by the SHA-256 of its session id.

The raw id (256 random bits) lives only in the browser's cookie. The table
holds its hash, as for link tokens, so someone with a copy of the database
cannot replay the sessions in it: a hash is no cookie.

Writes join the caller's transaction; the realm interface commits them when it
saves the session (see :mod:`.realm`).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import msgspec
from sqlalchemy import (
    CursorResult,
    Executable,
    Row,
    Table,
    bindparam,
    delete,
    insert,
    select,
    update,
)

from ... import clock
from ...extensions import db, run
from ...models import Admin, Partner, PartnerSession, StaffSession

SID_BYTES = 32
USER_AGENT_MAX = 512

SessionModel = type[PartnerSession] | type[StaffSession]
IdentityModel = type[Partner] | type[Admin]
Identity = Partner | Admin
SessionData = dict[str, object]

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(dict[str, object])


def new_session_id() -> str:
    """Return a fresh random session id (what the cookie carries)."""
    return secrets.token_urlsafe(SID_BYTES)


def store_key(sid: str) -> str:
    """Return the key a session id is stored under: its SHA-256, in hex."""
    return hashlib.sha256(sid.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class StoredSession:
    """A live stored session: its data and the signed-in identity, read together."""

    data: SessionData
    identity: Identity | None


@dataclass(frozen=True)
class RowValues:
    """What a save writes besides the data: when it expires, when and from where it was seen."""

    expiry: datetime
    seen_at: datetime
    ip_address: str | None


class SessionStore:
    """The rows of one realm's session table."""

    def __init__(
        self, model: SessionModel, identity_key: str, identity_model: IdentityModel | None
    ) -> None:
        self.model = model
        self.identity_key = identity_key
        self.identity_model = identity_model
        # Built once: this read runs on every signed-in request. It reads the
        # identity in the same statement (and round trip), which puts it in the
        # ORM's identity map: the identity loader's ``db.session.get`` then
        # runs no query. A row whose identity is gone is not adopted.
        by_hash = model.session_hash == bindparam("session_hash")
        self._read_statement: Executable
        if identity_model is None:
            self._read_statement = select(model.data, model.expiry).where(by_hash)
        else:
            self._read_statement = (
                select(model.data, model.expiry, identity_model)
                .join(identity_model, identity_model.id == getattr(model, identity_key))
                .where(by_hash)
            )
        # And this one on every sign-in.
        self._insert_statement = insert(cast("Table", model.__table__))

    def read(self, sid: str) -> StoredSession | None:
        """Return the unexpired session stored for ``sid``, or None."""
        parameters = {"session_hash": store_key(sid)}
        row: Row[*tuple[Any, ...]] | None
        if self.identity_model is None:
            row = run(self._read_statement, parameters).first()
        else:
            # Through the ORM, so the identity object joins the identity map.
            row = db.session.execute(self._read_statement, parameters).first()
        if row is None or row[1] <= clock.now():
            return None
        identity = cast("Identity", row[2]) if self.identity_model is not None else None
        return StoredSession(_decoder.decode(row[0]), identity)

    def insert(
        self, sid: str, data: SessionData, values: RowValues, user_agent: str | None
    ) -> None:
        """Add the row of a brand-new session id (in the caller's transaction)."""
        run(
            self._insert_statement,
            {
                "session_hash": store_key(sid),
                "created_at": values.seen_at,
                "user_agent": (user_agent or "")[:USER_AGENT_MAX] or None,
                self.identity_key: data[self.identity_key],
                **self._columns(data, values),
            },
        )

    def update(self, sid: str, data: SessionData, values: RowValues) -> bool:
        """Rewrite the row of ``sid`` (one UPDATE, no read first); return whether it existed."""
        model = self.model
        result = db.session.execute(
            update(model)
            .where(model.session_hash == store_key(sid))
            .values(**self._columns(data, values))
            .execution_options(synchronize_session=False)
        )
        return bool(cast("CursorResult[object]", result).rowcount)

    def delete(self, sid: str) -> None:
        """Delete the row of ``sid`` (in the caller's transaction)."""
        model = self.model
        db.session.execute(delete(model).where(model.session_hash == store_key(sid)))

    def _columns(self, data: SessionData, values: RowValues) -> dict[str, object]:
        return {
            "data": _encoder.encode(data),
            "expiry": values.expiry,
            "last_seen_at": values.seen_at,
            "ip_address": values.ip_address,
        }
