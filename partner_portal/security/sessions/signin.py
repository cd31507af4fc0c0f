"""What views do with a session: sign in, sign out, check the lifetime, end sessions elsewhere.

Views hold Flask's ``session`` proxy; these functions take it as Flask types
it (:class:`~flask.sessions.SessionMixin`) and refuse anything but a portal
session, so a misconfigured app fails loudly instead of signing nobody out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

from flask import current_app
from flask.sessions import SessionMixin
from sqlalchemy import CursorResult, delete
from sqlalchemy.orm import InstrumentedAttribute

from ... import clock
from ...extensions import db
from . import devices
from .devices import DeviceClaim
from .realm import EXPIRES_AT, PortalSession
from .store import SessionModel, store_key

# How stale "last seen" may get before a request refreshes it (one write).
LAST_SEEN_RESOLUTION = timedelta(minutes=5)

SIGNED_IN_AT = "_signed_in_at"
SEEN_AT = "_seen_at"


def _portal(session: SessionMixin) -> PortalSession:
    if not isinstance(session, PortalSession) or session.realm is None:
        raise TypeError("not a portal session: is SessionRouter the app's session interface?")
    return session


def begin(session: SessionMixin, *, identity_key: str, identity: int, lifetime: timedelta) -> None:
    """Sign ``identity`` in: drop the anonymous state (CSRF token included) and rotate the id.

    The identity is written before the rotation, because an empty session has
    nothing to rotate.
    """
    portal = _portal(session)
    now = clock.now()
    portal.clear()
    portal.pop("_permanent", None)
    portal[identity_key] = identity
    portal[SIGNED_IN_AT] = int(now.timestamp())
    portal[EXPIRES_AT] = int((now + lifetime).timestamp())
    portal[SEEN_AT] = int(now.timestamp())
    portal.ended = False
    assert portal.realm is not None
    portal.realm.regenerate(portal)


def end(session: SessionMixin) -> None:
    """Sign out: the row goes, the cookie is deleted and the browser told to clear its data.

    All of it happens when the response is saved, so every way of signing out
    (pages, API, an expired or deactivated session) gets the same.
    """
    portal = _portal(session)
    portal.clear()
    portal.pop("_permanent", None)
    portal.ended = True


def has_expired(session: SessionMixin) -> bool:
    """Return whether a signed-in session is past its absolute lifetime."""
    expires_at = session.get(EXPIRES_AT)
    return not isinstance(expires_at, int) or expires_at <= clock.now().timestamp()


def touch(session: SessionMixin) -> None:
    """Refresh "last seen" at most once per ``LAST_SEEN_RESOLUTION`` (one write then)."""
    now = clock.now().timestamp()
    if now - session.get(SEEN_AT, 0) >= LAST_SEEN_RESOLUTION.total_seconds():
        session[SEEN_AT] = int(now)


def signed_in_at(session: SessionMixin) -> datetime | None:
    """Return when a signed-in session's sign-in happened (None if anonymous)."""
    stamp = session.get(SIGNED_IN_AT)
    return datetime.fromtimestamp(stamp, UTC) if isinstance(stamp, int) else None


def device_claim(session: SessionMixin) -> DeviceClaim | None:
    """Return what this browser's device cookie claims (it signed in as whom), if it is valid."""
    portal = _portal(session)
    if portal.device_cookie is None or portal.realm is None:
        return None
    return devices.read(current_app, portal.realm.realm.name, portal.device_cookie)


def current_sid(session: SessionMixin) -> str | None:
    """Return this session's raw id (None while anonymous): what its cookie holds."""
    sid = getattr(session, "sid", None)
    return sid if isinstance(sid, str) else None


def current_store_key(session: SessionMixin) -> str | None:
    """Return the key this session's row is stored under (None while anonymous).

    Compare it with a row's ``session_hash`` to tell "this session" apart.
    """
    sid = current_sid(session)
    return store_key(sid) if sid is not None else None


def end_all(
    model: SessionModel,
    identity_column: InstrumentedAttribute[int],
    identity: int,
    *,
    keep: str | None = None,
) -> int:
    """Delete every stored session of one identity, in the caller's transaction.

    ``keep`` is the raw id (the cookie value) of a session to spare: the
    current one, when a partner ends their other sessions.
    """
    statement = delete(model).where(identity_column == identity)
    if keep is not None:
        statement = statement.where(model.session_hash != store_key(keep))
    return cast("CursorResult[object]", db.session.execute(statement)).rowcount
