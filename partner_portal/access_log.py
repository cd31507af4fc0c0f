"""Gunicorn logging that never writes down a sign-in token.

An emailed link is ``/partner/verify/<token>`` (or the API's
``/api/partner/auth/verify/<token>``). Whoever can read the access log could
otherwise sign in as the partner while the link is alive, so every URL in
every gunicorn log line that leads to a verify path is cut after the path:
``/partner/verify/[redacted]``. URLs are decoded first, so percent-encoding
or doubled slashes (which the router still accepts) hide nothing.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote

from gunicorn.glogging import Logger

REDACTED = "[redacted]"
_WORD = re.compile(r"[^\s\"']+")
_VERIFY_PATH = re.compile(r"/+(?:(api)/+partner/+auth/+verify|partner/+verify)/", re.IGNORECASE)
_DECODE_ROUNDS = 3


def scrub(text: str) -> str:
    """Return ``text`` with the token of every verify URL in it replaced by ``[redacted]``."""
    return _WORD.sub(_scrub_word, text)


def _scrub_word(match: re.Match[str]) -> str:
    word = match.group(0)
    decoded = word
    for _ in range(_DECODE_ROUNDS):
        decoded = unquote(decoded)
    found = _VERIFY_PATH.search(decoded)
    if found is None:
        return word
    prefix = "/api/partner/auth/verify/" if found.group(1) else "/partner/verify/"
    return decoded[: found.start()] + prefix + REDACTED


class ScrubTokens(logging.Filter):
    """A logging filter that formats the record and scrubs tokens out of the result."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        return True


class TokenScrubbingLogger(Logger):
    """Gunicorn's logger, with tokens scrubbed from the access and error logs."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(existing, ScrubTokens) for existing in log.filters):
                log.addFilter(ScrubTokens())
