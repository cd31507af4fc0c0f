"""The safe formatting of incident and maintenance updates: a small Markdown, sanitised.

Staff write updates; partners read them. The text is parsed by markdown-it-py
with only paragraphs, line breaks, emphasis, lists, inline code and links
enabled and raw HTML off (any ``<tag>`` is shown as text), then cleaned by
nh3 (the Ammonia sanitiser) with an allow-list of those few tags, ``href`` as
the only attribute and ``http``, ``https`` and ``mailto`` as the only link
schemes. Either layer alone stops the classic payloads; both must fail for
script to reach a page, and the page's CSP (no script at all) is a third.

Rendering costs about 0.1 ms for a short update; the result is kept per text
(``lru_cache``), and status pages are cached whole besides, so an update is
rendered about once per worker, not once per view.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = frozenset({"p", "br", "em", "strong", "ul", "ol", "li", "code", "a"})
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})

# "zero" is markdown-it's preset with every rule off; these are the ones we allow.
_PARSER = (
    MarkdownIt("zero", {"html": False, "linkify": False, "typographer": False, "breaks": True})
    .enable(["paragraph", "newline", "emphasis", "list", "backticks", "link", "escape"])
    .enable(["text", "text_join", "balance_pairs", "fragments_join"])
)


# Relative links are refused too: a link in an update leaves the portal or mails someone.
_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(ALLOWED_SCHEMES),
    url_relative="deny",
    link_rel="nofollow noopener noreferrer",
    strip_comments=True,
)


@lru_cache(maxsize=2048)
def render(text: str) -> Markup:
    """Return an update's text as safe HTML: the allowed Markdown, nothing else."""
    cleaned = _CLEANER.clean(_PARSER.render(text or ""))
    # nh3 returned HTML holding only the tags, attributes and schemes above.
    return Markup(cleaned)  # noqa: S704
