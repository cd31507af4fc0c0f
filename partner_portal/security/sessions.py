"""Server-side sessions, one store and one cookie per realm.

Partners and staff each get their own realm: their own table and their own
cookie (``partner.sid``, ``oncall.sid``), chosen by the request path, so a
cookie of one realm is never even read on the pages of the other.

Built on Flask-Session's :class:`ServerSideSessionInterface` (its session
class, id generator and msgpack serializer) with three deliberate changes:

* A row exists only for a signed-in identity. What an anonymous visitor has
  (the login form's CSRF token, a flash, the link being confirmed) travels in
  a short-lived signed cookie, so a stream of anonymous page loads costs no
  database write and cannot grow the table.
* The lifetime is absolute, counted from sign-in, and enforced on every read;
  nothing slides it forward.
* The table is owned by the migrations, not created at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from flask_session.base import ServerSideSession, ServerSideSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from .. import clock
from ..extensions import db, run

SID_BYTES = 32
MAX_COOKIE_LENGTH = 128
USER_AGENT_MAX = 512
# How stale "last seen" may get before a request refreshes it (one write).
LAST_SEEN_RESOLUTION = timedelta(minutes=5)

SIGNED_IN_AT = "_signed_in_at"
EXPIRES_AT = "_expires_at"
SEEN_AT = "_seen_at"


@dataclass(frozen=True)
class Realm:
    """One kind of signed-in user with its own cookie and session table."""

    name: str
    cookie_name: str
    pre_cookie_name: str
    model: Any
    identity_key: str
    path_prefix: str
    # The signed-in identity's model (Partner, Admin), read with the session row.
    identity_model: Any = None


class PortalSession(ServerSideSession):
    """A session that knows its realm and whether it has a stored row."""

    def __init__(
        self,
        initial: dict[str, Any] | None = None,
        sid: str | None = None,
        permanent: bool | None = None,
    ) -> None:
        super().__init__(initial, sid, permanent)
        self.interface: RealmSessionInterface | None = None
        self.had_sid_cookie = False
        self.had_pre_cookie = False
        self.ip_address: str | None = None
        # The signed-in identity's object, read with the row (see Realm.identity_model).
        self.identity: Any = None
        self.user_agent: str | None = None
        # True when the store could not be read: the request must be refused
        # (see errors.refuse_without_session_store), and nothing is saved.
        self.store_unavailable = False


class RealmSessionInterface(ServerSideSessionInterface):
    """Sessions of one realm, stored in that realm's table."""

    session_class = PortalSession

    def __init__(self, app: Flask, realm: Realm) -> None:
        self.realm = realm
        # Built once: this read runs on every signed-in request. It reads the
        # identity in the same statement (and round trip), which puts it in the
        # ORM's identity map: the identity loader's ``db.session.get`` then
        # runs no query. A row whose identity is gone is not adopted.
        model, identity = realm.model, realm.identity_model
        if identity is None:
            statement = select(model.data, model.expiry)
        else:
            statement = select(model.data, model.expiry, identity).join(
                identity, identity.id == getattr(model, realm.identity_key)
            )
        self._read_statement = statement.where(model.session_id == bindparam("session_id"))
        # And this one on every sign-in.
        self._insert_statement = insert(realm.model.__table__)
        super().__init__(
            app,
            key_prefix="",
            use_signer=False,
            permanent=False,
            sid_length=SID_BYTES,
            serialization_format="msgpack",
            cleanup_n_requests=None,
        )

    def _register_cleanup_app_command(self) -> None:
        """Expired rows are removed by ``flask cleanup``, not Flask-Session's own command."""

    # -- the store ---------------------------------------------------------

    def _retrieve_session_data(self, store_id: str) -> dict[str, Any] | None:
        return self._read(store_id)[0]

    def _read(self, store_id: str) -> tuple[dict[str, Any] | None, Any]:
        """Return the stored session's data and its identity object (None, None if none)."""
        parameters = {"session_id": store_id}
        if self.realm.identity_model is None:
            row = run(self._read_statement, parameters).first()
        else:
            row = db.session.execute(self._read_statement, parameters).first()
        if row is None or row.expiry <= clock.now():
            return None, None
        identity = row[2] if self.realm.identity_model is not None else None
        return self.serializer.decode(row.data), identity

    def _delete_session(self, store_id: str) -> None:
        model = self.realm.model
        db.session.execute(delete(model).where(model.session_id == store_id))
        db.session.commit()

    def _upsert_session(self, session_lifetime: timedelta, session: Any, store_id: str) -> None:
        """Update the stored session (one UPDATE, no read first), inserting it if it is new."""
        model = self.realm.model
        values = self._row_values(session)
        updated = db.session.execute(
            update(model)
            .where(model.session_id == store_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not updated:
            self._insert_session(session, store_id, values)
        db.session.commit()

    def _insert_session(self, session: Any, store_id: str, values: dict[str, Any]) -> None:
        run(
            self._insert_statement,
            {
                "session_id": store_id,
                "created_at": values["last_seen_at"],
                "user_agent": (session.user_agent or "")[:USER_AGENT_MAX] or None,
                self.realm.identity_key: session[self.realm.identity_key],
                **values,
            },
        )

    def _row_values(self, session: Any) -> dict[str, Any]:
        return {
            "data": self.serializer.encode(session),
            "expiry": datetime.fromtimestamp(session[EXPIRES_AT], UTC),
            "last_seen_at": clock.now(),
            "ip_address": session.ip_address,
        }

    # -- the signed pre-session cookie --------------------------------------

    def _pre_serializer(self, app: Flask) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(
            app.secret_key or "", salt=f"partner-portal.{self.realm.name}.pre-session"
        )

    def _load_pre_session(self, app: Flask, request: Request) -> dict[str, Any]:
        raw = request.cookies.get(self.realm.pre_cookie_name)
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

    # -- the Flask session interface ----------------------------------------

    def open_session(self, app: Flask, request: Request) -> PortalSession:
        """Load the signed-in session named by the cookie, or the anonymous pre-session."""
        sid = request.cookies.get(self.realm.cookie_name)
        session: PortalSession | None = None
        # A cookie value we never issued (or whose row expired or was ended)
        # is never adopted: the visitor continues anonymous, and a sign-in
        # always mints a fresh id. That is what stops session fixation.
        if sid and len(sid) <= MAX_COOKIE_LENGTH:
            try:
                data, identity = self._read(sid)
            except SQLAlchemyError as error:
                # The database is down. Carrying on anonymous would sign the
                # partner out (their cookie deleted) and let anonymous code
                # paths run; instead the request is refused with a 503.
                app.logger.warning("session store unavailable: %s", type(error).__name__)
                db.session.close()
                session = self.session_class(sid=None)
                session.store_unavailable = True
                session.interface = self
                return session
            if data is not None and data.get(self.realm.identity_key) is not None:
                session = self.session_class(data, sid=sid)
                # Held for the request: the ORM's identity map keeps objects
                # only while something refers to them.
                session.identity = identity
        if session is None:
            session = self.session_class(self._load_pre_session(app, request), sid=None)
        session.interface = self
        session.had_sid_cookie = bool(sid)
        session.had_pre_cookie = self.realm.pre_cookie_name in request.cookies
        session.ip_address = request.remote_addr
        session.user_agent = request.user_agent.string
        session.accessed = False
        return session

    def regenerate(self, session: Any) -> None:
        """Forget the stored session; the next save stores it under a brand-new id.

        The old row is deleted in the current transaction, which the save
        commits together with the new row (and whatever the sign-in wrote).
        """
        if session.sid is not None:
            model = self.realm.model
            db.session.execute(delete(model).where(model.session_id == session.sid))
            session.sid = None
        session.modified = True

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        """Store a signed-in session in its row, an anonymous one in its signed cookie."""
        realm = self.realm
        if session.store_unavailable:
            return
        if session.accessed:
            response.vary.add("Cookie")
        is_signed_in = dict.get(session, realm.identity_key) is not None
        if is_signed_in:
            if session.sid is None or session.modified:
                if session.sid is None:
                    # A brand-new id cannot have a row yet: insert straight away.
                    # The commit also commits what the sign-in wrote (the spent
                    # link, its audit event): one transaction, all or nothing.
                    session.sid = self._generate_sid(self.sid_length)
                    self._insert_session(session, session.sid, self._row_values(session))
                    db.session.commit()
                else:
                    self._upsert_session(app.permanent_session_lifetime, session, session.sid)
                self._set_cookie(
                    app,
                    response,
                    realm.cookie_name,
                    session.sid,
                    expires=datetime.fromtimestamp(session[EXPIRES_AT], UTC),
                )
            if session.had_pre_cookie:
                self._delete_cookie(app, response, realm.pre_cookie_name)
            return

        if session.sid is not None:
            # Signed out (or ended): the row goes, and so does its cookie.
            self._delete_session(session.sid)
            session.sid = None
        if session.had_sid_cookie:
            self._delete_cookie(app, response, realm.cookie_name)
        if not session.modified:
            return
        data = {k: v for k, v in dict(session).items() if k != "_permanent"}
        if data:
            max_age = app.config["PRE_SESSION_LIFETIME"]
            self._set_cookie(
                app,
                response,
                realm.pre_cookie_name,
                self._pre_serializer(app).dumps(data),
                max_age=max_age,
            )
        elif session.had_pre_cookie:
            self._delete_cookie(app, response, realm.pre_cookie_name)

    def _set_cookie(
        self,
        app: Flask,
        response: Response,
        name: str,
        value: str,
        *,
        expires: datetime | None = None,
        max_age: timedelta | None = None,
    ) -> None:
        response.set_cookie(
            name,
            value,
            expires=expires,
            max_age=max_age,
            path="/",
            httponly=True,
            secure=app.config["SESSION_COOKIE_SECURE"],
            samesite=app.config["SESSION_COOKIE_SAMESITE"],
        )
        response.vary.add("Cookie")

    def _delete_cookie(self, app: Flask, response: Response, name: str) -> None:
        response.delete_cookie(
            name,
            path="/",
            httponly=True,
            secure=app.config["SESSION_COOKIE_SECURE"],
            samesite=app.config["SESSION_COOKIE_SAMESITE"],
        )


class SessionRouter(SessionInterface):
    """The app's session interface: hands each request to its realm by path."""

    def __init__(self, default: RealmSessionInterface) -> None:
        self.default = default
        self.by_prefix: list[tuple[str, RealmSessionInterface]] = []
        self.sessionless_paths: set[str] = set()

    def add(self, interface: RealmSessionInterface) -> None:
        """Route paths under the realm's prefix to ``interface``."""
        self.by_prefix.append((interface.realm.path_prefix, interface))

    def skip(self, path: str) -> None:
        """Serve ``path`` with no session at all: no cookie read or set, no database read."""
        self.sessionless_paths.add(path)

    def interface_for(self, path: str) -> RealmSessionInterface:
        """Return the realm interface that owns ``path``."""
        for prefix, interface in self.by_prefix:
            if path == prefix or path.startswith(prefix + "/"):
                return interface
        return self.default

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        """Open the session of the realm that owns this path (none for static files)."""
        static = app.static_url_path or "/static"
        if request.path.startswith(static + "/") or request.path in self.sessionless_paths:
            return self.make_null_session(app)
        return self.interface_for(request.path).open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Save through the realm interface that opened the session."""
        interface = getattr(session, "interface", None)
        if interface is not None:
            interface.save_session(app, session, response)


def begin(session: Any, *, identity_key: str, identity: int, lifetime: timedelta) -> None:
    """Sign ``identity`` in: drop the anonymous state (CSRF token included) and rotate the id.

    The identity is written before the rotation, because an empty session has
    nothing to rotate.
    """
    now = clock.now()
    session.clear()
    session.pop("_permanent", None)
    session[identity_key] = identity
    session[SIGNED_IN_AT] = int(now.timestamp())
    session[EXPIRES_AT] = int((now + lifetime).timestamp())
    session[SEEN_AT] = int(now.timestamp())
    session.interface.regenerate(session)


def end(session: Any) -> None:
    """Sign out: the row and the cookie are deleted when the response is saved."""
    session.clear()
    session.pop("_permanent", None)


def has_expired(session: Any) -> bool:
    """Return whether a signed-in session is past its absolute lifetime."""
    expires_at = session.get(EXPIRES_AT)
    return expires_at is None or expires_at <= clock.now().timestamp()


def touch(session: Any) -> None:
    """Refresh "last seen" at most once per ``LAST_SEEN_RESOLUTION`` (one write then)."""
    now = clock.now().timestamp()
    if now - session.get(SEEN_AT, 0) >= LAST_SEEN_RESOLUTION.total_seconds():
        session[SEEN_AT] = int(now)


def end_all(model: Any, identity_column: Any, identity: int, *, keep: str | None = None) -> int:
    """Delete every stored session of one identity (but ``keep``), in the caller's transaction."""
    statement = delete(model).where(identity_column == identity)
    if keep is not None:
        statement = statement.where(model.session_id != keep)
    return db.session.execute(statement).rowcount


def signed_in_at(session: Any) -> datetime | None:
    """Return when a signed-in session's sign-in happened (None if anonymous)."""
    stamp = session.get(SIGNED_IN_AT)
    return datetime.fromtimestamp(stamp, UTC) if stamp is not None else None
