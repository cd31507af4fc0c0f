"""The app's session interface: hands each request to the realm that owns its path."""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SessionInterface, SessionMixin
from flask.wrappers import Response

from .realm import PortalSession, RealmSessionInterface


class SessionRouter(SessionInterface):
    """Route ``/admin…`` to the staff realm, everything else to the partner realm."""

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

    def realms(self) -> list[RealmSessionInterface]:
        """Return every realm this router serves (the default first)."""
        return [self.default, *(interface for _, interface in self.by_prefix)]

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
        if isinstance(session, PortalSession) and session.realm is not None:
            session.realm.save_session(app, session, response)
