"""The partner's dashboard and status pages."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template
from werkzeug.wrappers import Response

from .. import clock, status
from ..auth.identity import partner_login_required, redirect_home
from ..web import url_prefix

bp = Blueprint("portal", __name__)


@bp.get("/")
def index() -> Response:
    """Send visitors to where they belong."""
    return redirect_home()


@bp.get("/partner/dashboard")
@partner_login_required
def dashboard() -> str:
    """List exactly the status pages granted to the partner."""
    pages = status.visible_pages(g.partner.id, clock.now())
    return render_template(
        "portal/dashboard.html",
        pages=pages,
        page_url_prefix=url_prefix("portal.status_page"),
    )


@bp.get("/partner/status/<slug>")
@partner_login_required
def status_page(slug: str) -> str:
    """Show one granted page; any other slug is a 404, granted elsewhere or not at all."""
    view = status.visible_page(g.partner.id, slug, clock.now())
    if view is None:
        abort(404)
    return render_template("portal/status.html", view=view)
