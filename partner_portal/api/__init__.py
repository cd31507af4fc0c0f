"""The seed's JSON API for partner sign-in."""

from .views import bp

__all__ = ["bp"]
