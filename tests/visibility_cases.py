"""Who sees what, as a table: every partner surface is tested against these same cases.

The page has components A, B and C. A case gives the partner's grants and
whether they are active, an item (incident or maintenance window) affecting
some components (none = the whole page), and what they should see: the
page, the item, and which components.

``needs`` names what the schema must support to set the case up for real:
``components`` (grants naming components) and ``organisation`` (grants to an
organisation) arrive with issue 14; until then the surfaces run the other
cases, and ``test_visibility.py`` runs every case through the rule itself.
Notifications (issue 13) and the API reuse this table: a new surface adds a
test that loops over ``CASES``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

COMPONENTS = ("A", "B", "C")
# What the schema can express today; issue 14 adds "components" and "organisation".
SUPPORTED = frozenset({"direct", "expiry", "revocation", "inactive"})


@dataclass(frozen=True)
class Grant:
    """One grant: to the partner or their organisation, maybe ending, maybe naming components."""

    via: str = "direct"  # or "organisation"
    ends_in: timedelta | None = None  # None: no end; negative: already over
    components: tuple[str, ...] = ()  # none named: every component
    revoked: bool = False


@dataclass(frozen=True)
class Case:
    name: str
    grants: tuple[Grant, ...]
    affected: tuple[str, ...]  # the item's components; () = the whole page
    sees_page: bool
    sees_item: bool
    sees_components: tuple[str, ...] = ()
    is_active: bool = True
    needs: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_supported(self) -> bool:
        return self.needs <= SUPPORTED


DAY = timedelta(days=1)
FULL = Grant()

CASES = [
    Case("direct grant, page-wide item", (FULL,), (), True, True, COMPONENTS),
    Case("direct grant, item on A", (FULL,), ("A",), True, True, COMPONENTS),
    Case("no grant", (), (), False, False),
    Case("no grant, item on A", (), ("A",), False, False),
    Case("grant ended", (Grant(ends_in=-DAY),), (), False, False, needs=frozenset({"expiry"})),
    Case(
        "grant ending tomorrow",
        (Grant(ends_in=DAY),),
        ("B",),
        True,
        True,
        COMPONENTS,
        needs=frozenset({"expiry"}),
    ),
    Case(
        "grant revoked", (Grant(revoked=True),), (), False, False, needs=frozenset({"revocation"})
    ),
    Case(
        "inactive partner with a grant",
        (FULL,),
        (),
        False,
        False,
        is_active=False,
        needs=frozenset({"inactive"}),
    ),
    Case(
        "grant of A, item on A",
        (Grant(components=("A",)),),
        ("A",),
        True,
        True,
        ("A",),
        needs=frozenset({"components"}),
    ),
    Case(
        "grant of A, item on B",
        (Grant(components=("A",)),),
        ("B",),
        True,
        False,
        ("A",),
        needs=frozenset({"components"}),
    ),
    Case(
        "grant of A, page-wide item",
        (Grant(components=("A",)),),
        (),
        True,
        True,
        ("A",),
        needs=frozenset({"components"}),
    ),
    Case(
        "grant of A, item on A and B",
        (Grant(components=("A",)),),
        ("A", "B"),
        True,
        True,
        ("A",),
        needs=frozenset({"components"}),
    ),
    Case(
        "grants of A and of B, item on B",
        (Grant(components=("A",)), Grant(via="organisation", components=("B",))),
        ("B",),
        True,
        True,
        ("A", "B"),
        needs=frozenset({"components", "organisation"}),
    ),
    Case(
        "grant of A and a full grant, item on C",
        (Grant(components=("A",)), Grant(via="organisation")),
        ("C",),
        True,
        True,
        COMPONENTS,
        needs=frozenset({"components", "organisation"}),
    ),
    Case(
        "full grant ended, grant of A live, item on B",
        (Grant(ends_in=-DAY), Grant(via="organisation", components=("A",))),
        ("B",),
        True,
        False,
        ("A",),
        needs=frozenset({"components", "organisation", "expiry"}),
    ),
    Case(
        "organisation grant, page-wide item",
        (Grant(via="organisation"),),
        (),
        True,
        True,
        COMPONENTS,
        needs=frozenset({"organisation"}),
    ),
]
SUPPORTED_CASES = [case for case in CASES if case.is_supported]
