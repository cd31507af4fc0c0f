"""Telling partners about incidents and maintenance: the seam issue 13 fills.

The domain functions in ``incidents.py`` and ``maintenance.py`` call these
hooks, in the transaction of the change, whenever the change should be
announced (their ``notify`` argument, True by default, lets whoever posts
untick "notify partners" for a small update). Today they do nothing; the
notifications work writes one notification row here (never one per
recipient) for the mail worker to expand, and decides who may hear at send
time with ``visibility``.
"""

from __future__ import annotations

from .models import Incident, IncidentUpdate, MaintenanceWindow


def incident_changed(incident: Incident, update: IncidentUpdate | None, event: str) -> None:
    """Announce an incident opened, updated or resolved (``event``); a no-op for now."""


def maintenance_changed(window: MaintenanceWindow, event: str) -> None:
    """Announce a window scheduled, started, extended, completed or cancelled; a no-op for now."""
