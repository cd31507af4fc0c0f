"""Gunicorn's logger, with link tokens redacted from its access and error logs.

Named in ``gunicorn.conf.py`` (``logger_class``); the redaction itself lives
in :mod:`partner_portal.security.redaction`, shared with the app's own logs.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from .links import TOKEN_PATHS
from .security.redaction import add_to, configure, redact

scrub = redact  # the name the gunicorn tests use

__all__ = ["TokenScrubbingLogger", "scrub"]


class TokenScrubbingLogger(Logger):
    """Gunicorn's logger, with tokens redacted from the access and error logs."""

    def setup(self, cfg: Any) -> None:
        """Set gunicorn's logs up, each with the filter that redacts the registry's token paths."""
        super().setup(cfg)
        configure(TOKEN_PATHS)
        for log in (self.error_log, self.access_log):
            add_to(log)
