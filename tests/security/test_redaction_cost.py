"""Attack: one request whose log line costs the worker seconds of CPU (a cheap DoS).

Every access-log line goes through the token redaction, even for /healthz. A
backtracking pattern (``/+partner/+verify/`` tried at every slash of a run)
made a 16 KB request with 8,000 slashes in its User-Agent and Referer cost
about 5 s: the worker served nobody meanwhile.

Defence: the pattern starts only where a run of slashes starts and takes the
run possessively (never giving it back), and the paths are one tree of
segments: the work is linear in the line, whatever it holds. Checked on the
pattern itself (nothing in it can backtrack) and by the clock on the worst
inputs we could build (best of five runs, so a busy machine does not fail it).
"""

from __future__ import annotations

import logging
import re
import time

import pytest

from partner_portal.security import redaction

LINE_BYTES = 16 * 1024
TOKEN = "hwg0QHEKvrV1GpI3pi_1p6xj7IfYhiuXAmShGVMuG4Y"


def fill(unit: str) -> str:
    """Return ``unit`` repeated to half a line (the User-Agent, and again the Referer)."""
    return (unit * (LINE_BYTES // 2 // len(unit) + 1))[: LINE_BYTES // 2]


WORST = {
    "slashes": fill("/"),
    "slashes before a segment": fill("/") + "partner",
    "runs between segments": fill("//partner"),
    "a path prefix, again and again": fill("/partner/account/email/"),
    "the API prefix, again and again": fill("/api/partner/auth/"),
    "percent-encoded slashes": fill("%2F"),
    "double-encoded slashes": fill("%252F"),
    "one-letter segments": fill("/a"),
    "upper case": fill("/PARTNER/VERIFY"),
    "almost a link": fill("/partner/verif"),
    "a link at the very end": fill("/")[: -len(TOKEN) - 20] + "/partner/verify/" + TOKEN,
}


def access_log_line(agent: str) -> str:
    request = '"GET /healthz HTTP/1.1" 200 2'
    return f'203.0.113.5 - - [21/Nov/2026:09:30:00 +0000] {request} "{agent}" "{agent}"'


def best_of(runs: int, work) -> float:  # noqa: ANN001
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return min(timings)


@pytest.mark.parametrize("agent", WORST.values(), ids=WORST.keys())
def test_a_16_kb_line_is_redacted_in_under_10_ms(app, agent):
    line = access_log_line(agent)
    assert LINE_BYTES <= len(line) <= LINE_BYTES + 200
    assert best_of(5, lambda: redaction.redact(line)) < 0.010


def test_a_link_in_a_hostile_line_is_still_redacted(app):
    line = access_log_line(WORST["a link at the very end"])
    assert TOKEN not in redaction.redact(line)
    assert "/partner/verify/[redacted]" in redaction.redact(line)


def test_the_log_filter_on_such_a_request_is_as_quick(app):
    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1, "%s", (access_log_line(fill("/")),), None
    )
    (log_filter,) = [
        f for f in logging.getLogger("werkzeug").filters if isinstance(f, redaction.RedactTokens)
    ]
    assert best_of(5, lambda: log_filter.filter(record)) < 0.010


def test_nothing_in_the_pattern_can_backtrack_over_a_run(app):
    """Structural: every repetition is possessive, and a match starts only at a run's start."""
    pattern = redaction._token_paths.pattern.pattern  # noqa: SLF001
    plain = pattern.replace("(?<!/)", "").replace("(?:", "")
    repetitions = re.findall(r"(?<!\\)[+*?}](\+?)", plain)
    assert repetitions, pattern
    assert all(possessive == "+" for possessive in repetitions), pattern
    assert pattern.startswith("(?<!/)/++")
