"""The admin console: staff sign-in and the pages that run the portal, under ``/admin``."""

from . import (  # noqa: F401 - each module adds its routes
    views_audit,
    views_auth,
    views_outbox,
    views_pages,
    views_partners,
)
from .blueprint import bp

__all__ = ["bp"]
