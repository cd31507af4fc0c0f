"""HTML fragments the partner pages repeat many times, drawn in Python.

The 90-day history bar: a bar is ninety spans, and a status page has one per component. Drawn by a
Jinja loop (a date format, two lookups and escaping per span) the bars were
most of what a status page cost; here each span is built once per (day,
status), and a bar once per (first day, statuses).

The status badge: one per card on a dashboard of fifty pages, one per
component; a Jinja macro call each cost more than the rest of the card.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache, lru_cache

from markupsafe import Markup

from ..models import ComponentStatus
from ..status import History

_BADGE = Markup(
    '<span class="badge status-{}"><span class="dot" aria-hidden="true"></span>{}</span>'
)
_SPAN = Markup('<span class="day {}" title="{}: {}"></span>')


@lru_cache(maxsize=4096)
def _day(first_day: date, offset: int, status: ComponentStatus | None) -> Markup:
    day = first_day + timedelta(days=offset)
    css = f"status-{status.value}" if status is not None else "no-data"
    label = status.label if status is not None else "No data"
    return _SPAN.format(css, f"{day:%d %b %Y}", label)


@lru_cache(maxsize=256)
def history_bar(history: History) -> Markup:
    """Return the spans of one bar, oldest day first, each naming its date and status.

    A component's bar changes when its status does or the day turns, so the
    same bar is asked for again and again: the last few hundred are kept.
    """
    first_day = history.first_day
    spans = [_day(first_day, offset, status) for offset, status in enumerate(history.statuses)]
    # Every span is Markup, built by Markup.format from escaped values.
    return Markup("".join(spans))  # noqa: S704


@cache
def status_badge(status: ComponentStatus) -> Markup:
    """Return a component status as a badge: a coloured dot and, always, its name in words."""
    return _BADGE.format(status.value, status.label)
