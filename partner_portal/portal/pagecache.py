"""Rendered page content, kept per page version and audience, reused across partners.

The partner pages are the most read in the portal, and most of their cost
was drawing the same content for every partner. Here the partner-independent
part of a status page, an incident page and each dashboard card is rendered
once and reused, under a key of:

- the page id and its ``version``, read in the request's own visibility
  statement (``visibility.py``). Every write that changes what a page shows
  bumps the version in its own transaction (``statuspages._bump_versions``),
  and the version is read before the content, so a render can only be newer
  than its key: once a write has committed, no request in any process can
  be served what was there before it;
- the audience's visible components (issue 14 makes them differ between
  partners of one page), and, for a card, the end of the partner's access;
- the current minute: uptime and "minutes affected" move with the clock,
  and a window entering the 7-day horizon needs no write.

Each worker process keeps its own least-recently-used store in memory
(``app.extensions``, so each app, and each test, starts empty). Storing
renders in the database to share them between processes would cost a read
of the same size as the content, and make GETs write; a worker renders a
page once per change instead, which ``make bench`` shows is enough.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime

from flask import current_app, render_template
from markupsafe import Markup

from .. import status
from ..visibility import Scope

MAX_ENTRIES = 2048


class RenderCache:
    """A bounded least-recently-used map of rendered fragments (thread-safe)."""

    def __init__(self, size: int = MAX_ENTRIES) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Markup] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> Markup | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: Hashable, value: Markup) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def cache() -> RenderCache:
    """Return the current app's render cache."""
    found = current_app.extensions.get("page_cache")
    if found is None:
        found = current_app.extensions["page_cache"] = RenderCache()
    return found


def minute(now: datetime) -> datetime:
    """Return ``now`` to the minute: renders are reused within a minute, never across one."""
    return now.replace(second=0, microsecond=0)


def _fragment(template: str, **context: object) -> Markup:
    # An autoescaped template's output: safe to embed as it is.
    return Markup(render_template(template, **context))  # noqa: S704


def _cached(key: Hashable, render: Callable[[], Markup]) -> Markup:
    store = cache()
    found = store.get(key)
    if found is None:
        found = render()
        store.put(key, found)
    return found


def status_body(scope: Scope, now: datetime, links: str | None) -> Markup:
    """Return the content of a status page for this audience (``links``: URL prefix of the
    partner's status pages, or None in the console's preview)."""
    key = ("status", scope.cache_key, minute(now), links)
    return _cached(
        key,
        lambda: _fragment(
            "portal/_status_body.html", view=status.build_page_view(scope, now), links=links
        ),
    )


def incident_body(scope: Scope, incident_id: int, now: datetime) -> Markup | None:
    """Return the content of an incident's page, or None if this audience may not see it."""
    key = ("incident", incident_id, scope.cache_key, minute(now))
    store = cache()
    found = store.get(key)
    if found is None:
        incident = status.incident_view(scope, incident_id, now)
        if incident is None:
            return None  # not cached: random ids must not evict real pages
        found = _fragment("portal/_incident_body.html", incident=incident, page=scope.page, now=now)
        store.put(key, found)
    return found


def dashboard_cards(scopes: list[Scope], now: datetime, prefix: str) -> list[Markup]:
    """Return one card per page, rendering only those whose page changed (one statement then)."""
    store = cache()
    at = minute(now)
    keys = [("card", scope.cache_key, scope.access_until, at, prefix) for scope in scopes]
    cards = [store.get(key) for key in keys]
    missing = [scope for scope, card in zip(scopes, cards, strict=True) if card is None]
    if missing:
        summaries = status.summaries(missing, now)
        for index, (scope, card) in enumerate(zip(scopes, cards, strict=True)):
            if card is None:
                card = _fragment(
                    "portal/_card.html", summary=summaries[scope.page.id], prefix=prefix
                )
                store.put(keys[index], card)
                cards[index] = card
    return [card for card in cards if card is not None]
