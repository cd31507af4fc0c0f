"""What a signed-in partner sees: their dashboard and their status pages."""

from .views import bp

__all__ = ["bp"]
