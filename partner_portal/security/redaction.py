"""Keep tokens out of logs: a link's path is a credential until it is used."""

from __future__ import annotations

import logging
import re

# /partner/verify/<token>, /api/partner/auth/verify/<token> and the account
# links (/partner/account/email/verify/<token>, .../delete/verify/<token>),
# wherever they appear in a log line (request line, Referer, an exception).
_TOKEN_PATH = re.compile(
    r"(/(?:api/partner/auth|partner|partner/account/email|partner/account/delete)/verify/)"
    r"[^\s\"'?#]+"
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """Return ``text`` with every link token replaced by ``[redacted]``."""
    return _TOKEN_PATH.sub(rf"\g<1>{REDACTED}", text)


class RedactTokens(logging.Filter):
    """A logging filter that redacts tokens from a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


def install(*logger_names: str) -> None:
    """Add the filter to the named loggers (once each)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
