"""Partner sign-in by magic link: request, open, confirm, sign out."""

from .views import bp

__all__ = ["bp"]
