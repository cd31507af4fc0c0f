"""Step-up: sensitive changes need a recent proof of who is at the keyboard.

A step-up POST from a session that has not signed in or passed a second
factor within ``STAFF_STEP_UP_WINDOW`` does not run. Its form is kept in the
session (never its CSRF token), the console asks for the second factor (or
the password, for an account without one), and then shows a page that
re-sends the kept form, with a fresh CSRF token, to where it was going: the
action is finished by the person's own press of a button, never replayed by
the server.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, flash, redirect, request, session, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ... import clock, messages
from ...web import is_admin_path

KEPT = "staff.step_up"
# A kept form bigger than this is not kept (the session row is not a file store).
MAX_KEPT_BYTES = 8192


@dataclass(frozen=True)
class KeptRequest:
    """The POST that waited for a step-up: where it went and what it carried."""

    path: str
    fields: list[tuple[str, str]]
    endpoint: str

    @property
    def description(self) -> str:
        """Return what the action does, in words (the first line of its view's docstring)."""
        view = current_app.view_functions.get(self.endpoint)
        doc = (view.__doc__ or "").strip().splitlines() if view else []
        return doc[0] if doc else self.path


def ask_again() -> Response:
    """Keep this POST aside and send the browser to prove who it is."""
    fields = [
        (name, value) for name, value in request.form.items(multi=True) if name != "csrf_token"
    ]
    if sum(len(name) + len(value) for name, value in fields) <= MAX_KEPT_BYTES:
        session[KEPT] = {"path": request.path, "fields": fields, "at": int(clock.now().timestamp())}
    flash(messages.STEP_UP_NEEDED, "info")
    return redirect(url_for("admin.step_up"), 303)


def kept() -> KeptRequest | None:
    """Return the POST waiting for this session's step-up, if any (and still a console action)."""
    state = session.get(KEPT)
    if not isinstance(state, dict):
        return None
    path, fields = state.get("path"), state.get("fields")
    if not isinstance(path, str) or not is_admin_path(path) or not isinstance(fields, list):
        return None
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(path, method="POST")
    except HTTPException:
        return None
    pairs = [
        (str(pair[0]), str(pair[1]))
        for pair in fields
        if isinstance(pair, list | tuple) and len(pair) == 2
    ]
    return KeptRequest(path, pairs, endpoint)


def done() -> None:
    """Forget the kept POST (it ran, or was dropped)."""
    session.pop(KEPT, None)
