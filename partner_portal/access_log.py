"""Gunicorn's logger, with link tokens redacted from its access and error logs.

Named in ``gunicorn.conf.py`` (``logger_class``); the redaction itself lives
in :mod:`partner_portal.security.redaction`, shared with the app's own logs.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from .security.redaction import add_to, redact

scrub = redact  # the name the gunicorn tests use

__all__ = ["TokenScrubbingLogger", "scrub"]


class TokenScrubbingLogger(Logger):
    """Gunicorn's logger, with tokens redacted from the access and error logs."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            add_to(log)
