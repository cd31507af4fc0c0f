"""Stored XSS through incident and maintenance updates: staff text reaches partners as safe HTML.

Updates allow a small Markdown (paragraphs, links, emphasis, lists, inline
code). Each classic payload is posted through the console, as staff would,
and read back on the partner's pages: no element, attribute or URL outside
the allow-list may reach them.
"""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from partner_portal import formatting
from partner_portal.models import ComponentStatus

from ..helpers import (
    add_admin,
    add_page,
    add_partner,
    admin_sign_in,
    get_page,
    grant,
    sign_in,
    soup,
    submit,
)

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript&#58;alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[img](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    "[v](vbscript:msgbox(1))",
    "[rel](/partner/account)",
    "[proto](//evil.example/x)",
    "![x](https://evil.example/pixel.png)",
    "<svg onload=alert(1)>",
    "<iframe src=https://evil.example></iframe>",
    '<p onclick="alert(1)">hi</p>',
    "**unclosed <b onmouseover=alert(1)>bold",
    "<style>body{display:none}</style>",
    "<!-- <script>alert(1)</script> -->",
    "`<script>alert(1)</script>`",
    "<scr<script>ipt>alert(1)</script>",
    '[x](https://ok.example "title" onmouseover=alert(1))',
    "<a href=https://ok.example onmouseover=alert(1)>x</a>",
    '"><script>alert(1)</script>',
]
ALLOWED = {"p", "br", "em", "strong", "ul", "ol", "li", "code", "a"}


def assert_safe(html: str) -> None:
    fragment = BeautifulSoup(html, "html.parser")
    for tag in fragment.find_all(True):
        assert tag.name in ALLOWED, html
        for name in tag.attrs:
            assert name in {"href", "rel"}, html
        if tag.name == "a" and tag.get("href"):
            assert tag["href"].startswith(("http://", "https://", "mailto:")), html


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_formatter_lets_no_payload_through(payload):
    assert_safe(str(formatting.render(payload)))


def test_the_allowed_markdown_is_kept():
    html = str(
        formatting.render(
            "Some *emphasis*, **bold**, `code`, [a link](https://docs.example.com) and "
            "[mail us](mailto:ops@example.com).\n\n- one\n- two\n\n1. first\n2. second"
        )
    )
    page = BeautifulSoup(html, "html.parser")
    assert page.em.get_text() == "emphasis"
    assert page.strong.get_text() == "bold"
    assert page.code.get_text() == "code"
    assert [a["href"] for a in page.find_all("a")] == [
        "https://docs.example.com",
        "mailto:ops@example.com",
    ]
    assert all(a["rel"] == ["nofollow", "noopener", "noreferrer"] for a in page.find_all("a"))
    assert [li.get_text() for li in page.select("ul li")] == ["one", "two"]
    assert [li.get_text() for li in page.select("ol li")] == ["first", "second"]


def test_raw_html_is_shown_as_text_not_dropped():
    # Staff see what they typed; nothing is silently lost.
    assert "&lt;script&gt;" in str(formatting.render("<script>alert(1)</script>"))


@pytest.fixture
def pages(app, client, smtp):
    """An admin signed in on ``client``; Alice signed in on her own browser."""
    add_admin(app)
    admin_sign_in(client)
    add_partner(app, "alice@acme.example")
    add_page(app, "payments-api", "Payments API", [("Cards", ComponentStatus.OPERATIONAL)])
    grant(app, "alice@acme.example", "payments-api")
    alice = app.test_client()
    sign_in(alice, smtp, "alice@acme.example")
    return client, alice


def test_every_payload_posted_as_staff_reaches_partners_harmless(app, pages):
    admin, alice = pages
    page = get_page(app, "payments-api")
    new = f"/admin/pages/{page.id}/incidents/new"
    message = "\n\n".join(PAYLOADS)
    response = submit(admin, new, new, {"title": "XSS", "impact": "minor", "message": message})
    assert response.status_code == 303
    incident_url = response.location
    submit(
        admin, incident_url, f"{incident_url}/updates", {"status": "identified", "message": message}
    )
    maintenance = f"/admin/pages/{page.id}/maintenance/new"
    scheduled = submit(
        admin,
        maintenance,
        maintenance,
        {
            "title": "Upgrade",
            "start": "2026-11-22T02:00",
            "end": "2026-11-22T03:00",
            "message": message,
        },
    )
    assert scheduled.status_code == 303

    incident_id = incident_url.rsplit("/", 1)[-1]
    for url in (
        "/partner/status/payments-api",
        f"/partner/status/payments-api/incidents/{incident_id}",
    ):
        html = soup(alice.get(url))
        for block in html.select(".update-text"):
            assert_safe(block.decode_contents())
        assert not html.find_all(["script", "img", "iframe", "svg", "style"])
        assert not html.select("a[href^=javascript], a[href^=data], a[href^=vbscript]")
        assert not html.select("[onerror], [onload], [onclick], [onmouseover]")
    # The console shows the same safe rendering.
    console = soup(admin.get(incident_url))
    for block in console.select(".update-text"):
        assert_safe(block.decode_contents())
