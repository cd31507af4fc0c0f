"""Gunicorn's logs never contain a sign-in token, however the URL is spelt."""

from __future__ import annotations

import io
import logging
import os
import secrets
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from partner_portal.access_log import TokenScrubbingLogger, scrub

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKEN = secrets.token_urlsafe(32)
CUT = "/partner/verify/[redacted]"
NEXT = "/partner/login?next="


@pytest.mark.parametrize(
    ("logged", "expected"),
    [
        (f"/partner/verify/{TOKEN}", CUT),
        (f"/api/partner/auth/verify/{TOKEN}", "/api/partner/auth/verify/[redacted]"),
        (f"GET /partner/verify/{TOKEN}?x=1 HTTP/1.1", f"GET {CUT} HTTP/1.1"),
        (f"https://portal.example/partner/verify/{TOKEN}", f"https://portal.example{CUT}"),
        (f"/partner//verify/{TOKEN}", CUT),
        (f"/partner/verif%79/{TOKEN}", CUT),
        (f"/PARTNER/VERIFY/{TOKEN}", CUT),
        (f"{NEXT}%2Fpartner%2Fverify%2F{TOKEN}", f"{NEXT}{CUT}"),
        (f"{NEXT}%252Fpartner%252Fverify%252F{TOKEN}", f"{NEXT}{CUT}"),
    ],
)
def test_scrub_cuts_every_spelling_of_a_verify_url(logged, expected):
    assert scrub(logged) == expected
    assert TOKEN not in scrub(logged)


@pytest.mark.parametrize(
    "line",
    [
        "GET /partner/verify HTTP/1.1",
        "POST /api/partner/auth/verify HTTP/1.1",
        "GET /partner/status/payments-api HTTP/1.1",
        '127.0.0.1 "GET /partner/dashboard HTTP/1.1" 200 1234 3ms "-" "curl/8"',
    ],
)
def test_scrub_leaves_other_lines_alone(line):
    assert scrub(line) == line


def gunicorn_logger(stream: io.StringIO) -> TokenScrubbingLogger:
    """The logger gunicorn builds from the repository's gunicorn.conf.py, writing to ``stream``."""
    config = Config()
    settings: dict[str, object] = {}
    with open(os.path.join(ROOT, "gunicorn.conf.py")) as source:
        exec(compile(source.read(), "gunicorn.conf.py", "exec"), settings)  # noqa: S102
    for name in ("access_log_format", "logger_class"):
        config.set(name, settings[name])
    config.set("accesslog", "-")
    logger = config.logger_class(config)
    for log in (logger.access_log, logger.error_log):
        for handler in log.handlers:
            handler.setStream(stream)
    return logger


def test_access_and_error_logs_redact_tokens():
    stream = io.StringIO()
    logger = gunicorn_logger(stream)
    assert isinstance(logger, TokenScrubbingLogger)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/partner/verify/{TOKEN}",
        "PATH_INFO": f"/partner/verify/{TOKEN}",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": f"https://mail.example/?u=https%3A%2F%2Fportal.example{CUT[:-10]}{TOKEN}",
        "HTTP_USER_AGENT": "Mozilla/5.0",
    }
    response = SimpleNamespace(status="303 SEE OTHER", headers=[], sent=0)
    request = SimpleNamespace(headers=[])

    logger.access(response, request, environ, timedelta(milliseconds=4))
    logger.error("Error handling request %s", f"/api/partner/auth/verify/{TOKEN}")

    written = stream.getvalue()
    assert TOKEN not in written
    assert '"GET /partner/verify/[redacted] HTTP/1.1" 303' in written
    assert "Error handling request /api/partner/auth/verify/[redacted]" in written
    assert "203.0.113.9" in written


def test_logger_setup_twice_adds_one_filter():
    logger = gunicorn_logger(io.StringIO())
    logger.setup(logger.cfg)
    assert len(logger.access_log.filters) == 1
    assert logging.getLogger("gunicorn.access") is logger.access_log
