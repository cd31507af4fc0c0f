"""Keep tokens out of logs: a link's path is a credential until it is used.

An emailed link is ``/partner/verify/<token>`` (or an invitation, a password
reset, an account link: ``TOKEN_PATHS``). Whoever can read a log could
otherwise use the link while it is alive, so every URL in every log line that
leads to such a path is cut after the path: ``/partner/verify/[redacted]``.
URLs are decoded first, so percent-encoding, letter case or doubled slashes
(which the router may still accept) hide nothing.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

REDACTED = "[redacted]"
# Every path whose next segment is a raw token (a test checks this against the
# app's URL map, so a new kind of link cannot be forgotten here).
TOKEN_PATHS = (
    "/api/partner/auth/verify/",
    "/partner/account/email/verify/",
    "/partner/account/delete/verify/",
    "/partner/verify/",
    "/partner/signup/",
    "/admin/password-reset/",
)
_WORD = re.compile(r"[^\s\"']+")
_TOKEN_PATH = re.compile(
    "|".join(
        f"(?P<p{index}>/+{'/+'.join(map(re.escape, path.strip('/').split('/')))}/)"
        for index, path in enumerate(TOKEN_PATHS)
    ),
    re.IGNORECASE,
)
_DECODE_ROUNDS = 3


def redact(text: str) -> str:
    """Return ``text`` with the token of every verify URL in it replaced by ``[redacted]``."""
    return _WORD.sub(_redact_word, text)


def _redact_word(match: re.Match[str]) -> str:
    word = match.group(0)
    decoded = word
    for _ in range(_DECODE_ROUNDS):
        decoded = unquote(decoded)
    found = _TOKEN_PATH.search(decoded)
    if found is None:
        return word
    prefix = TOKEN_PATHS[int(found.lastgroup[1:])]
    return decoded[: found.start()] + prefix + REDACTED


class RedactTokens(logging.Filter):
    """A logging filter that formats the record and redacts tokens from the result."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


def install(*logger_names: str) -> None:
    """Add the filter to the named loggers (once each)."""
    for name in logger_names:
        add_to(logging.getLogger(name))


def add_to(logger: logging.Logger) -> None:
    """Add the filter to ``logger`` unless it has it already."""
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())
