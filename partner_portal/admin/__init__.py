"""The admin console: staff sign-in and the pages that run the portal, under ``/admin``."""

from . import views_audit, views_auth, views_pages, views_partners  # noqa: F401 - add the routes
from .blueprint import bp

__all__ = ["bp"]
