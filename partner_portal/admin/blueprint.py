"""The admin blueprint itself; each ``views_*`` module adds its routes to it."""

from __future__ import annotations

from flask import Blueprint

from ..web import ADMIN_PREFIX
from .identity import can, can_open, load_admin

bp = Blueprint("admin", __name__, url_prefix=ADMIN_PREFIX)
bp.before_app_request(load_admin)
# Templates show only the links and buttons the viewer's role can use.
bp.add_app_template_global(can, "admin_can")
bp.add_app_template_global(can_open, "admin_can_open")
