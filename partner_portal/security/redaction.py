"""Keep tokens out of logs (and out of redirects): a link's path is a credential until used.

An emailed link is ``/partner/verify/<token>`` or another path of the link
registry (``links.TOKEN_PATHS``, given to :func:`configure` at start: this
module knows no link kind; until then it cuts at anything shaped like a
token, failing closed). Whoever can read a log could otherwise use the
link while it is alive, so every URL in every log line that leads to such a
path is cut after the path: ``/partner/verify/[redacted]``. URLs are decoded
first, so percent-encoding, letter case or doubled slashes (which the router
may still accept) hide nothing. :func:`carries_token` answers the same
question for a redirect target (``web.safe_next``).

Linear in the length of the line, whatever it holds: a run of slashes is
consumed once, possessively, and only where it starts, so 8,000 slashes in a
User-Agent cost what 8,000 letters do (a backtracking ``/+`` tried at every
slash of the run made one 16 KB request cost seconds of CPU).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

REDACTED = "[redacted]"
_WORD = re.compile(r"[^\s\"']+")
_DECODE_ROUNDS = 3


@dataclass(frozen=True)
class TokenPaths:
    """The paths whose next segment is a raw token, and the one pattern that finds them."""

    paths: tuple[str, ...]
    pattern: re.Pattern[str] | None

    @classmethod
    def of(cls, paths: Iterable[str]) -> TokenPaths:
        """Compile ``paths`` ("/partner/verify/", ...) into one linear-time pattern."""
        canonical = tuple(dict.fromkeys(path.lower() for path in paths))
        if not canonical:
            return cls((), None)
        tree: _Tree = {}
        for path in canonical:
            node = tree
            for segment in path.strip("/").split("/"):
                node = node.setdefault(segment, {})
            node[""] = {}
        # (?<!/) : a match only starts where a run of slashes starts; /++ : each
        # run is taken whole and never given back; the paths are one tree of
        # segments, so each start tries each segment once. Together: no
        # backtracking over runs of "/", however long, and a bounded amount of
        # work per character.
        return cls(canonical, re.compile(f"(?<!/)/++{_alternatives(tree)}", re.IGNORECASE))

    def search(self, text: str) -> tuple[int, str] | None:
        """Return where in ``text`` the first token path starts, and which one, or None."""
        if self.pattern is None:
            # Not configured (yet): fail closed, cutting at anything shaped like a token.
            shaped = _TOKEN_SHAPED.search(text)
            return (shaped.start("token"), "") if shaped else None
        found = self.pattern.search(text)
        if found is None:
            return None
        # The path in its own spelling: the match without its doubled slashes.
        return found.start(), "/" + "/".join(filter(None, found.group(0).lower().split("/"))) + "/"


_Tree = dict[str, "_Tree"]
# A path segment that could be one of our tokens (43 URL-safe characters).
_TOKEN_SHAPED = re.compile(r"/(?P<token>[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")


def _alternatives(tree: _Tree) -> str:
    branches = [
        "" if segment == "" else f"{re.escape(segment)}/++{_alternatives(child)}"
        for segment, child in tree.items()
    ]
    return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"


_token_paths = TokenPaths.of(())


def configure(paths: Iterable[str]) -> None:
    """Set the token paths (the link registry's) that every redaction looks for."""
    global _token_paths
    _token_paths = TokenPaths.of(paths)


def token_paths() -> tuple[str, ...]:
    """Return the configured token paths."""
    return _token_paths.paths


def _decoded(text: str) -> str:
    for _ in range(_DECODE_ROUNDS):
        text = unquote(text)
    return text


def redact(text: str) -> str:
    """Return ``text`` with the token of every link URL in it replaced by ``[redacted]``."""
    return _WORD.sub(_redact_word, text)


def _redact_word(match: re.Match[str]) -> str:
    word = match.group(0)
    if "/" not in word and "%" not in word:
        return word
    decoded = _decoded(word)
    found = _token_paths.search(decoded)
    if found is None:
        return word
    start, path = found
    return decoded[:start] + path + REDACTED


def carries_token(target: str) -> bool:
    """Return whether ``target`` (a path or URL) leads to a link's token path."""
    return _token_paths.search(_decoded(target)) is not None


class RedactTokens(logging.Filter):
    """A logging filter that formats the record and redacts tokens from the result."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's message with its redacted text; never drop it."""
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
