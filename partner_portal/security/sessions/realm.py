"""One realm's sessions: a signed-in identity in a stored row, an anonymous visitor in a cookie.

:class:`RealmSessionInterface` is a Flask session interface (Flask's public
:class:`~flask.sessions.SessionInterface`) that joins the store
(:mod:`.store`) and the cookies (:mod:`.cookies`):

* A row exists only for a signed-in identity. What an anonymous visitor has
  (the login form's CSRF token, a flash, the link being confirmed) travels in
  a short-lived signed cookie, so a stream of anonymous page loads costs no
  database write and cannot grow the table.
* A cookie value we never issued, or whose row expired or was ended, is never
  adopted: the visitor continues anonymous and a sign-in mints a fresh id
  (that is what stops session fixation).
* The lifetime is absolute, counted from sign-in, and enforced on every read.
* A session ended by :func:`.signin.end` loses its row and its cookie, and the
  response asks the browser to clear its cache and storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SessionInterface
from flask.wrappers import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.exc import SQLAlchemyError

from ... import clock
from ...extensions import db
from . import cookies, devices
from .store import (
    Identity,
    IdentityModel,
    RowValues,
    SessionData,
    SessionModel,
    SessionStore,
    new_session_id,
)

MAX_COOKIE_LENGTH = 128
EXPIRES_AT = "_expires_at"
# Not "cookies": that would also delete the staff device cookie, which is what
# keeps a member of staff from being locked out by someone else's guesses.
CLEAR_SITE_DATA = '"cache", "storage"'


@dataclass(frozen=True)
class Realm:
    """One kind of signed-in user with its own cookies and session table.

    Cookie names are the plain ones (``partner.sid``); wherever cookies are
    Secure they go out as ``__Host-partner.sid`` (see :mod:`.cookies`).
    """

    name: str
    cookie_name: str
    pre_cookie_name: str
    model: SessionModel
    identity_key: str
    path_prefix: str
    # The signed-in identity's model (Partner, Admin), read with the session row.
    identity_model: IdentityModel | None = None
    # Set at every sign-in, kept after sign-out: see devices.py.
    device_cookie_name: str | None = None


class PortalSession(SecureCookieSession):
    """A session that knows its realm, its id (None while anonymous) and the request's origin."""

    def __init__(self, initial: SessionData | None = None, sid: str | None = None) -> None:
        super().__init__(initial)
        self.sid = sid
        self.realm: RealmSessionInterface | None = None
        self.had_sid_cookie = False
        self.had_pre_cookie = False
        self.ip_address: str | None = None
        self.user_agent: str | None = None
        # The signed-in identity's object, read with the row (see Realm.identity_model).
        self.identity: Identity | None = None
        # True when the store could not be read: the request must be refused
        # (see errors.refuse_without_session_store), and nothing is saved.
        self.store_unavailable = False
        # Set by signin.end(): the save deletes the cookie and clears site data.
        self.ended = False
        # The device cookie as the browser sent it (read, and checked, only when asked).
        self.device_cookie: str | None = None


class RealmSessionInterface(SessionInterface):
    """Sessions of one realm, stored in that realm's table."""

    def __init__(self, app: Flask, realm: Realm) -> None:
        self.realm = realm
        self.store = SessionStore(realm.model, realm.identity_key, realm.identity_model)

    # -- opening ---------------------------------------------------------------

    def open_session(self, app: Flask, request: Request) -> PortalSession:
        """Load the signed-in session named by the cookie, or the anonymous pre-session."""
        realm = self.realm
        sid = request.cookies.get(cookies.cookie_name(app, realm.cookie_name))
        session: PortalSession | None = None
        if sid and len(sid) <= MAX_COOKIE_LENGTH:
            try:
                stored = self.store.read(sid)
            except SQLAlchemyError as error:
                # The database is down. Carrying on anonymous would sign the
                # partner out (their cookie deleted) and let anonymous code
                # paths run; instead the request is refused with a 503.
                app.logger.warning("session store unavailable: %s", type(error).__name__)
                db.session.close()
                session = PortalSession()
                session.store_unavailable = True
                session.realm = self
                return session
            if stored is not None and stored.data.get(realm.identity_key) is not None:
                session = PortalSession(stored.data, sid=sid)
                # Held for the request: the ORM's identity map keeps objects
                # only while something refers to them.
                session.identity = stored.identity
        pre_name = cookies.cookie_name(app, realm.pre_cookie_name)
        if session is None:
            session = PortalSession(self._load_pre_session(app, request.cookies.get(pre_name)))
            # A session cookie naming no live session: the session ended (its
            # lifetime, the partner elsewhere, an admin), so the browser is told
            # what a sign-out tells it.
            session.ended = bool(sid)
        session.realm = self
        session.had_sid_cookie = bool(sid)
        session.had_pre_cookie = pre_name in request.cookies
        if realm.device_cookie_name is not None:
            session.device_cookie = request.cookies.get(
                cookies.cookie_name(app, realm.device_cookie_name)
            )
        session.ip_address = request.remote_addr
        session.user_agent = request.user_agent.string
        session.accessed = False
        return session

    def _load_pre_session(self, app: Flask, raw: str | None) -> SessionData:
        if not raw:
            return {}
        max_age = int(app.config["PRE_SESSION_LIFETIME"].total_seconds())
        try:
            data = self._pre_serializer(app).loads(raw, max_age=max_age)
        except BadSignature:
            return {}
        # A pre-session can never carry an identity, whoever signed it.
        if not isinstance(data, dict) or self.realm.identity_key in data:
            return {}
        return data

    def _pre_serializer(self, app: Flask) -> URLSafeTimedSerializer:
        return cookies.serializer(app, f"{self.realm.name}.pre-session")

    # -- rotating --------------------------------------------------------------

    def regenerate(self, session: PortalSession) -> None:
        """Forget the stored session; the next save stores it under a brand-new id.

        The old row is deleted in the current transaction, which the save
        commits together with the new row (and whatever the sign-in wrote).
        """
        if session.sid is not None:
            self.store.delete(session.sid)
            session.sid = None
        session.modified = True

    # -- saving ------------------------------------------------------------------

    def save_session(  # type: ignore[override]
        self, app: Flask, session: PortalSession, response: Response
    ) -> None:
        """Store a signed-in session in its row, an anonymous one in its signed cookie."""
        if session.store_unavailable:
            return
        if session.accessed:
            response.vary.add("Cookie")
        if dict.get(session, self.realm.identity_key) is not None:
            self._save_signed_in(app, session, response)
        else:
            self._save_anonymous(app, session, response)

    def _save_signed_in(self, app: Flask, session: PortalSession, response: Response) -> None:
        realm = self.realm
        if session.sid is None or session.modified:
            data = dict(session)
            expiry = datetime.fromtimestamp(int(session[EXPIRES_AT]), UTC)
            values = RowValues(expiry=expiry, seen_at=clock.now(), ip_address=session.ip_address)
            if session.sid is None:
                # A brand-new id cannot have a row yet: insert straight away.
                session.sid = new_session_id()
                self.store.insert(session.sid, data, values, session.user_agent)
                self._remember_device(app, session, response)
            elif not self.store.update(session.sid, data, values):
                self.store.insert(session.sid, data, values, session.user_agent)
            # The commit also commits what the sign-in wrote (the spent link,
            # its audit event): one transaction, all or nothing.
            db.session.commit()
            cookies.set_cookie(
                app,
                response,
                cookies.cookie_name(app, realm.cookie_name),
                session.sid,
                expires=expiry,
            )
        if session.had_pre_cookie:
            cookies.delete_cookie(app, response, cookies.cookie_name(app, realm.pre_cookie_name))

    def _remember_device(self, app: Flask, session: PortalSession, response: Response) -> None:
        """Give a browser that just signed in its device cookie (whatever the way of signing in)."""
        name = self.realm.device_cookie_name
        identity = dict.get(session, self.realm.identity_key)
        if name is None or not isinstance(identity, int):
            return
        cookies.set_cookie(
            app,
            response,
            cookies.cookie_name(app, name),
            devices.issue(app, self.realm.name, identity),
            max_age=app.config["DEVICE_COOKIE_LIFETIME"],
        )

    def _save_anonymous(self, app: Flask, session: PortalSession, response: Response) -> None:
        realm = self.realm
        if session.sid is not None:
            # Signed out (or ended): the row goes, and so does its cookie.
            self.store.delete(session.sid)
            db.session.commit()
            session.sid = None
        if session.had_sid_cookie or session.ended:
            cookies.delete_cookie(app, response, cookies.cookie_name(app, realm.cookie_name))
        if session.ended:
            # Whatever the pages of the signed-in session left in the browser.
            response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
        if not session.modified:
            return
        pre_name = cookies.cookie_name(app, realm.pre_cookie_name)
        data = {key: value for key, value in session.items() if key != "_permanent"}
        if data:
            value = self._pre_serializer(app).dumps(data)
            max_age = app.config["PRE_SESSION_LIFETIME"]
            cookies.set_cookie(app, response, pre_name, value, max_age=max_age)
        elif session.had_pre_cookie:
            cookies.delete_cookie(app, response, pre_name)
