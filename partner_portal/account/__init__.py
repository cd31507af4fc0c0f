"""Partner self-service: sessions, sign-in address, account deletion, recent activity."""

from .views import bp

__all__ = ["bp"]
