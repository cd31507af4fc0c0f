"""The admin blueprint itself; each ``views_*`` module adds its routes to it."""

from __future__ import annotations

from flask import Blueprint

from ..web import ADMIN_PREFIX
from .identity import load_admin

bp = Blueprint("admin", __name__, url_prefix=ADMIN_PREFIX)
bp.before_app_request(load_admin)
