"""Server-side sessions, one store and one cookie per realm.

Partners and staff each get their own realm: their own table and their own
cookie (``partner.sid``, ``oncall.sid``; ``__Host-`` prefixed wherever cookies
are Secure), chosen by the request path, so a cookie of one realm is never
even read on the pages of the other.

The layer is split by job:

* :mod:`.store`: the rows (read with the identity in one statement, insert,
  update, delete), keyed by the SHA-256 of the session id;
* :mod:`.cookies`: cookie names, attributes and signing (with key fallbacks);
* :mod:`.realm`: one realm's Flask session interface, joining the two;
* :mod:`.router`: the app's session interface, picking the realm by path;
* :mod:`.devices`: device cookies, set at every sign-in, so limits can tell a
  user's own browser from a stranger's;
* :mod:`.signin`: what views call (``begin``, ``end``, ``has_expired``, ...).

We own the session interface outright, on Flask's public
:class:`~flask.sessions.SessionInterface` and
:class:`~flask.sessions.SecureCookieSession`, instead of building on
Flask-Session. Every public method Flask-Session offers had to be replaced
(no row for anonymous visitors, an absolute lifetime, a hashed id, a table
owned by the migrations, a one-statement read with the identity), which left
only its private hooks in use, and those change between its releases. What
it still gave us was an id generator and a msgpack call: a few lines here.
"""

from __future__ import annotations

from .devices import DeviceClaim
from .realm import PortalSession, Realm, RealmSessionInterface
from .router import SessionRouter
from .signin import (
    begin,
    current_sid,
    current_store_key,
    device_claim,
    end,
    end_all,
    has_expired,
    signed_in_at,
    touch,
)
from .store import store_key

__all__ = [
    "DeviceClaim",
    "PortalSession",
    "Realm",
    "RealmSessionInterface",
    "SessionRouter",
    "begin",
    "current_sid",
    "current_store_key",
    "device_claim",
    "end",
    "end_all",
    "has_expired",
    "signed_in_at",
    "store_key",
    "touch",
]
