"""What every console page shares: the front page, confirmation pages, form rendering."""

from __future__ import annotations

from flask import render_template, request
from werkzeug.wrappers import Response

from ..models import Role
from .blueprint import bp
from .forms import ButtonForm
from .identity import requires
from .pages import statuspages
from .partners import directory

Page = Response | tuple[str, int] | str


def confirm(title: str, sentence: str, button: str, cancel: str) -> str:
    """Render the confirmation page of a destructive action (its POST is the same URL)."""
    return render_template(
        "admin/confirm.html",
        form=ButtonForm(),
        title=title,
        sentence=sentence,
        button=button,
        action=request.path,
        cancel=cancel,
    )


def form_failed(template: str, status_code: int = 400, **context: object) -> tuple[str, int]:
    """Render a form again with its field errors."""
    return render_template(template, **context), status_code


def render_form(template: str, form: object, **context: object) -> Page:
    """Render a form page; 400 when a submitted form had errors."""
    status_code = 400 if request.method == "POST" else 200
    return render_template(template, form=form, **context), status_code


@bp.get("/")
@requires(Role.VIEWER)
def index() -> str:
    """The console's front page: where things stand and what happened lately."""
    return render_template(
        "admin/index.html",
        pages=statuspages.list_pages(),
        partners=directory.search_partners(None, 1),
        events=directory.recent_events(),
    )
