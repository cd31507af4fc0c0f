"""Tokens never reach a log line."""

from __future__ import annotations

import logging

import pytest

from partner_portal.security.redaction import RedactTokens, redact

TOKEN = "hwg0QHEKvrV1GpI3pi_1p6xj7IfYhiuXAmShGVMuG4Y"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            f'127.0.0.1 - - "GET /partner/verify/{TOKEN} HTTP/1.1" 303 -',
            '127.0.0.1 - - "GET /partner/verify/[redacted] HTTP/1.1" 303 -',
        ),
        (
            f"GET /api/partner/auth/verify/{TOKEN}?x=1",
            "GET /api/partner/auth/verify/[redacted]",
        ),
        (
            f'"https://p.example/partner/verify/{TOKEN}"',
            '"https://p.example/partner/verify/[redacted]"',
        ),
        ("GET /partner/verify HTTP/1.1", "GET /partner/verify HTTP/1.1"),
    ],
)
def test_redact(app, line, expected):
    assert redact(line) == expected


def test_before_the_registry_is_known_anything_shaped_like_a_token_is_cut(app):
    """A process that logs before create_app configured the paths fails closed."""
    from partner_portal.security import redaction

    configured = redaction.token_paths()
    redaction.configure(())
    try:
        line = f"GET /partner/verify/{TOKEN} HTTP/1.1"
        assert redact(line) == "GET /partner/verify/[redacted] HTTP/1.1"
        assert redact(f"GET /x/{TOKEN}?a=b") == "GET /x/[redacted]"
        assert redaction.carries_token(f"/partner/verify/{TOKEN}")
        assert redact("GET /partner/status/payments-api HTTP/1.1").endswith("HTTP/1.1")
    finally:
        redaction.configure(configured)


def test_the_werkzeug_access_log_is_redacted(app, caplog):
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '%s - - "%s" %s',
        ("127.0.0.1", f"GET /partner/verify/{TOKEN} HTTP/1.1", "303"),
        None,
    )
    assert any(isinstance(f, RedactTokens) for f in logging.getLogger("werkzeug").filters)
    for log_filter in logging.getLogger("werkzeug").filters:
        log_filter.filter(record)
    assert TOKEN not in record.getMessage()
    assert "/partner/verify/[redacted]" in record.getMessage()


def test_nothing_the_app_logs_while_signing_in_contains_the_token(app, client, smtp, caplog):
    from .helpers import add_partner, confirm, request_link, token_from

    caplog.set_level(logging.DEBUG)
    add_partner(app, "alice@acme.example")
    request_link(client, "alice@acme.example")
    token = token_from(smtp.wait_for(1)[0])
    confirm(client, token)
    client.get(f"/partner/verify/{token}")  # reuse: a failure that is logged and audited
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]  # the test SMTP server
    assert not [r.getMessage() for r in ours if token in r.getMessage()]


def test_every_route_that_carries_a_token_is_redacted(app):
    """Built from the URL map: a new kind of emailed link cannot be forgotten."""
    token_rules = [rule for rule in app.url_map.iter_rules() if "token" in rule.arguments]
    assert len(token_rules) >= 6
    with app.test_request_context():
        for rule in token_rules:
            url = rule.build({"token": TOKEN})[1]
            for line in (
                f"GET {url} HTTP/1.1",
                f"GET {url.upper()}",
                f'"http://x{url.replace("/", "//")}"',
            ):
                redacted = redact(line)
                assert TOKEN not in redacted
                assert TOKEN.upper() not in redacted
                assert "[redacted]" in redacted, (rule.rule, redacted)


def test_every_token_route_is_a_kind_of_the_link_registry(app):
    """Routes carrying a token are made from links.KINDS only, so redaction and next know them."""
    from partner_portal.links import TOKEN_PATHS
    from partner_portal.security import redaction

    routes = {
        rule.rule.split("<")[0] for rule in app.url_map.iter_rules() if "token" in rule.arguments
    }
    assert routes == set(TOKEN_PATHS)
    assert set(redaction.token_paths()) == set(TOKEN_PATHS)
