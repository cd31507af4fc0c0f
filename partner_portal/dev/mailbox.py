"""The development mailbox: messages saved as .eml files in the instance folder.

Files, not memory, so the web server and any other process (a mail worker,
the CLI) share one mailbox.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from flask import current_app

from .. import clock

KEEP = 50


@dataclass(frozen=True)
class StoredMessage:
    id: str
    message: EmailMessage

    @property
    def text(self) -> str:
        """Return the plain-text part."""
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @property
    def html(self) -> str:
        """Return the HTML part."""
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""


def _folder() -> str:
    return os.path.join(current_app.instance_path, "dev-mailbox")


def store(raw: bytes) -> str:
    """Save one message and return its id."""
    folder = _folder()
    os.makedirs(folder, exist_ok=True)
    message_id = f"{clock.now():%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}"
    temporary = os.path.join(folder, f".{message_id}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(raw)
    os.replace(temporary, os.path.join(folder, f"{message_id}.eml"))
    for old in sorted(_ids(folder), reverse=True)[KEEP:]:
        os.unlink(os.path.join(folder, f"{old}.eml"))
    return message_id


def _ids(folder: str) -> list[str]:
    if not os.path.isdir(folder):
        return []
    return [name[:-4] for name in os.listdir(folder) if name.endswith(".eml")]


def messages() -> list[StoredMessage]:
    """Return the stored messages, newest first."""
    folder = _folder()
    found = []
    for message_id in sorted(_ids(folder), reverse=True):
        with open(os.path.join(folder, f"{message_id}.eml"), "rb") as handle:
            parsed = BytesParser(policy=policy.default).parse(handle)
        found.append(StoredMessage(id=message_id, message=parsed))
    return found


def get(message_id: str) -> StoredMessage | None:
    """Return one stored message by id."""
    return next((m for m in messages() if m.id == message_id), None)
