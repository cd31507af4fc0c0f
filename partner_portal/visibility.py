"""Who sees what: the one rule every partner surface asks.

Status pages, incident pages, history, the dashboard, the JSON ``me`` and
(next) notifications all ask this module, so they can never disagree:

- A partner sees a page while they are active and hold a live grant to it
  (no end date, or an end still ahead).
- Their visible components of that page are the union over their live
  grants; a grant naming no component shows every component.
- An incident or maintenance window is visible when it affects at least one
  visible component, or affects none (it is about the whole page).

One statement answers "which pages, and which of their components", whatever
the number of grants: it returns one row per (grant, named component), and
:func:`merge` folds them. Today a grant names no components and is made to a
partner; organisation grants and component-limited grants (issue 14) add
rows to the same statement (a UNION with the organisation's grants, an outer
join to the grant's components) without adding a statement, and every
surface follows because it reads a :class:`Scope`. Caches of rendered pages
are keyed by :attr:`Scope.cache_key`, so two audiences never share a render.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Integer, Select, bindparam, literal, null, or_, select

from .extensions import run
from .models import AccessGrant, Partner, StatusPage


@dataclass(frozen=True)
class PageRef:
    """The few columns of a status page that a list of pages shows."""

    id: int
    slug: str
    name: str
    description: str


@dataclass(frozen=True)
class Scope:
    """What one partner may see of one page, now.

    ``components`` is None when every component is visible, else the ids of
    the visible ones. ``version`` is the page's content version (for caches).
    """

    page: PageRef
    version: int = 0
    access_until: datetime | None = None
    components: frozenset[int] | None = None

    def sees_component(self, component_id: int) -> bool:
        """Return whether this component is visible."""
        return self.components is None or component_id in self.components

    def sees(self, affected: Collection[int]) -> bool:
        """Return whether an incident or window affecting ``affected`` is visible."""
        return sees(self.components, affected)

    @property
    def cache_key(self) -> tuple[int, int, frozenset[int] | None]:
        """Return what a render of this page for this audience depends on."""
        return (self.page.id, self.version, self.components)


def sees(visible: frozenset[int] | None, affected: Collection[int]) -> bool:
    """Return whether an item affecting ``affected`` components is visible to an audience
    that sees ``visible`` (None: every component). No component affected = the whole page."""
    if visible is None or not affected:
        return True
    return not visible.isdisjoint(affected)


class GrantRow(NamedTuple):
    """One row of the visibility statement: a page, one live grant, one component it names."""

    page_id: int
    slug: str
    name: str
    description: str
    version: int
    expires_at: datetime | None
    grant_id: int
    component_id: int | None  # None: the grant names no component (it shows them all)


def merge(rows: Iterable[GrantRow | tuple[Any, ...]]) -> list[Scope]:
    """Fold grant rows into one Scope per page, in the order pages first appear.

    Access lasts as long as the longest live grant; the visible components
    are the union over grants, and one grant naming none shows them all.
    """
    pages: dict[int, PageRef] = {}
    versions: dict[int, int] = {}
    until: dict[int, datetime | None] = {}
    named: dict[int, dict[int, set[int]]] = {}
    for row in rows:
        page_id, slug, name, description, version, expires_at, grant_id, component_id = row
        if page_id not in pages:
            pages[page_id] = PageRef(page_id, slug, name, description)
            versions[page_id] = version
            until[page_id] = expires_at
            named[page_id] = {}
        else:
            current = until[page_id]
            if current is not None and (expires_at is None or expires_at > current):
                until[page_id] = expires_at
        components = named[page_id].setdefault(grant_id, set())
        if component_id is not None:
            components.add(component_id)
    scopes = []
    for page_id, page in pages.items():
        grants = named[page_id].values()
        visible: frozenset[int] | None
        if any(not components for components in grants):
            visible = None
        else:
            visible = frozenset().union(*grants)
        scopes.append(Scope(page, versions[page_id], until[page_id], visible))
    return scopes


def _live_grants() -> Select:
    # Today: direct grants, each showing every component (component_id NULL).
    return (
        select(
            StatusPage.id,
            StatusPage.slug,
            StatusPage.name,
            StatusPage.description,
            StatusPage.version,
            AccessGrant.expires_at,
            AccessGrant.id,
            null().cast(Integer).label("component_id"),
        )
        .join(AccessGrant, AccessGrant.page_id == StatusPage.id)
        .join(Partner, Partner.id == AccessGrant.partner_id)
        .where(
            AccessGrant.partner_id == bindparam("partner_id"),
            # An inactive (or deleted) partner sees nothing, whatever they hold.
            Partner.is_active == literal(True),
            or_(AccessGrant.expires_at.is_(None), AccessGrant.expires_at > bindparam("now")),
        )
    )


@cache
def _all_statement() -> Select:
    return _live_grants().order_by(StatusPage.name, StatusPage.id)


@cache
def _by_slug_statement() -> Select:
    return _live_grants().where(StatusPage.slug == bindparam("slug"))


@cache
def _by_id_statement() -> Select:
    return _live_grants().where(StatusPage.id == bindparam("page_id"))


def visible_pages(partner_id: int, now: datetime) -> list[Scope]:
    """Return every page the partner may see now, by name (one statement)."""
    return merge(run(_all_statement(), {"partner_id": partner_id, "now": now}))


def visible_page(partner_id: int, slug: str, now: datetime) -> Scope | None:
    """Return the partner's scope of the page with this slug, or None (one statement).

    A page that does not exist and one the partner may not see are the same None.
    """
    params = {"partner_id": partner_id, "slug": slug, "now": now}
    scopes = merge(run(_by_slug_statement(), params))
    return scopes[0] if scopes else None


def page_scope(partner_id: int, page_id: int, now: datetime) -> Scope | None:
    """Return the partner's scope of a page by id, or None (for notifications: one statement)."""
    params = {"partner_id": partner_id, "page_id": page_id, "now": now}
    scopes = merge(run(_by_id_statement(), params))
    return scopes[0] if scopes else None


def can_see(partner_id: int, page_id: int, affected: Collection[int], now: datetime) -> bool:
    """Return whether the partner may see an item of a page affecting ``affected`` components."""
    scope = page_scope(partner_id, page_id, now)
    return scope is not None and scope.sees(affected)
