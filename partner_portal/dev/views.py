"""The development mailbox page: registered only in development on a loopback base URL.

It shows every sign-in link the portal sends, so it answers only requests from
this machine, judged by the socket's peer address. A reverse proxy makes
every request look local: so the mailbox also refuses any request that came
through one (``TRUSTED_PROXY_COUNT`` > 0, or any forwarding header). A proxy
on the same host that adds no such header cannot be told from a local browser;
SECURITY.md says never to put a development portal behind a proxy (and the
configuration refuses the public development key behind a declared one).
"""

from __future__ import annotations

import ipaddress

from flask import Blueprint, abort, current_app, render_template, request

from . import mailbox

bp = Blueprint("dev", __name__, url_prefix="/dev")

FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-IP")


def is_loopback_address(address: str | None) -> bool:
    """Return whether ``address`` is this machine (127.0.0.0/8, ::1, IPv4-mapped loopback)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


@bp.before_request
def refuse_unless_local() -> None:
    """Answer 404 to anyone but a browser on this machine, talking to us directly."""
    # The socket's peer, before ProxyFix (if any) replaced it with a header's value.
    peer = request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR")
    peer = peer or request.environ.get("REMOTE_ADDR")
    through_proxy = current_app.config["TRUSTED_PROXY_COUNT"] > 0 or any(
        name in request.headers for name in FORWARDING_HEADERS
    )
    if through_proxy or not is_loopback_address(peer):
        abort(404)


@bp.get("/mailbox")
def list_messages() -> str:
    """List the messages the portal has sent, newest first."""
    return render_template("dev/mailbox.html", messages=mailbox.messages())


@bp.get("/mailbox/<message_id>")
def show_message(message_id: str) -> str:
    """Show one message, text and HTML."""
    message = mailbox.get(message_id)
    if message is None:
        abort(404)
    return render_template("dev/message.html", message=message)
