"""The development mailbox page, registered only in development."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from . import mailbox

bp = Blueprint("dev", __name__, url_prefix="/dev")


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
