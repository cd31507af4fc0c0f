"""The partner's dashboard, status pages, incident pages and history.

Each asks ``visibility`` what the partner may see (one statement), then
reads the page's content through ``pagecache`` (rendered once per page
version and audience) or, for history, one statement per page of results.
Anything the partner may not see is the same 404 as something that does
not exist.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, g, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from .. import clock, status, visibility
from ..auth.identity import partner_login_required, redirect_home
from ..web import url_prefix
from . import pagecache

bp = Blueprint("portal", __name__)

# Ids are 32-bit on PostgreSQL: a bigger one is a 404, not a database error.
MAX_ID = 2**31 - 1


@bp.get("/")
def index() -> Response:
    """Send visitors to where they belong."""
    return redirect_home()


@bp.get("/partner/dashboard")
@partner_login_required
def dashboard() -> str:
    """List exactly the status pages the partner may see, with their status."""
    now = clock.now()
    scopes = visibility.visible_pages(g.partner.id, now)
    cards = pagecache.dashboard_cards(scopes, now, url_prefix("portal.status_page"))
    return render_template("portal/dashboard.html", cards=cards)


def _scope_or_404(slug: str) -> visibility.Scope:
    scope = visibility.visible_page(g.partner.id, slug, clock.now())
    if scope is None:
        abort(404)
    return scope


@bp.get("/partner/status/<slug>")
@partner_login_required
def status_page(slug: str) -> str:
    """Show one page; any other slug is a 404, granted elsewhere or not at all."""
    now = clock.now()
    scope = _scope_or_404(slug)
    body = pagecache.status_body(scope, now, url_for("portal.status_page", slug=scope.page.slug))
    return render_template("portal/status.html", page=scope.page, body=body)


@bp.get(f"/partner/status/<slug>/incidents/<int(max={MAX_ID}):incident_id>")
@partner_login_required
def show_incident(slug: str, incident_id: int) -> str:
    """Show an incident's permanent page; one the partner may not see is a 404 like a missing id."""
    scope = _scope_or_404(slug)
    body = pagecache.incident_body(scope, incident_id, clock.now())
    if body is None:
        abort(404)
    return render_template(
        "portal/incident.html", page=scope.page, body=body, title=_title_of(body)
    )


def _title_of(body: Markup) -> Markup:
    # The page title repeats the incident's h1 (already escaped text) without reloading it.
    start = body.find("<h1>") + 4
    return Markup(body[start : body.find("</h1>", start)])  # noqa: S704


@bp.get("/partner/status/<slug>/history")
@partner_login_required
def history(slug: str) -> str:
    """List resolved incidents and completed maintenance by month, or one day's incidents."""
    scope = _scope_or_404(slug)
    number = request.args.get("page", "1")
    day_text = request.args.get("day")
    if not number.isdigit() or not 0 < int(number) <= 10_000:
        abort(404)
    day = None
    if day_text is not None:
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            abort(404)
    page = status.history_page(scope, int(number), day)
    if page.number > 1 and not page.months:
        abort(404)
    return render_template("portal/history.html", page=scope.page, history=page)
