"""HTML fragments the partner pages repeat many times, drawn in Python.

The 90-day history bar: ninety days per component, each naming in its
accessible text (``title`` on an image-role span, or on a link) the date,
the worst status and the minutes affected, and linking to that day's
incidents where there were any. Drawn by a Jinja loop (a date format, lookups
and escaping per day) the bars were most of what a status page cost; here
each day is built once per (day, status, minutes, link), and a bar once per
History. Status pages are cached whole besides (``pagecache.py``).

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
_DAY = Markup('<span class="day {}" role="img" title="{}"></span>')
_LINKED_DAY = Markup('<a class="day {}" href="{}" title="{}"></a>')


def day_text(day: date, status: ComponentStatus | None, minutes: int, linked: bool) -> str:
    """Return what one day of a bar says: date, worst status, minutes affected."""
    if status is None:
        text = f"{day:%d %b %Y}: no data"
    else:
        plural = "" if minutes == 1 else "s"
        text = f"{day:%d %b %Y}: {status.label.lower()}, {minutes} minute{plural} affected"
    return text + "; see that day's incidents" if linked else text


@lru_cache(maxsize=8192)
def _day(day: date, status: ComponentStatus | None, minutes: int, link: str | None) -> Markup:
    css = f"status-{status.value}" if status is not None else "no-data"
    text = day_text(day, status, minutes, link is not None)
    if link is not None:
        return _LINKED_DAY.format(css, link, text)
    return _DAY.format(css, text)


@lru_cache(maxsize=512)
def history_bar(history: History, history_url: str | None = None) -> Markup:
    """Return the days of one bar, oldest first; days with incidents link to them
    (``history_url``: the page's history, None for no links)."""
    first_day = history.first_day
    spans = []
    for offset, (status, minutes, linked) in enumerate(
        zip(history.statuses, history.minutes, history.incident_days, strict=True)
    ):
        day = first_day + timedelta(days=offset)
        link = f"{history_url}?day={day.isoformat()}" if linked and history_url else None
        spans.append(_day(day, status, minutes, link))
    # Every span is Markup, built by Markup.format from escaped values.
    return Markup("".join(spans))  # noqa: S704


@cache
def status_badge(status: ComponentStatus) -> Markup:
    """Return a component status as a badge: a coloured dot and, always, its name in words."""
    return _BADGE.format(status.value, status.label)
