"""Device cookies: a browser's signed word that its user has signed in with it before.

After the OWASP cheat sheet "Slow Down Online Guessing Attacks with Device
Cookies": every sign-in gives the browser a signed cookie naming the identity
(its id, not its address) and a random device id. Limits can then tell the
user's own browser from everyone else's and give it a budget of its own, so
strangers' guesses or requests never lock the user out of it.

The cookie survives sign-out (``Clear-Site-Data`` leaves cookies alone on
purpose) and lasts ``DEVICE_COOKIE_LIFETIME`` from the last sign-in. It proves
nothing by itself: it never signs anyone in, it only chooses which counter an
attempt is charged to. Forging one needs ``SECRET_KEY``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import Flask
from itsdangerous import BadSignature

from . import cookies

DEVICE_ID_BYTES = 16


@dataclass(frozen=True)
class DeviceClaim:
    """What a valid device cookie says: this browser signed in as ``identity`` before."""

    identity: int
    device_id: str

    def for_identity(self, identity: int | None) -> str | None:
        """Return the device id if the claim names ``identity``, else None."""
        return self.device_id if identity is not None and identity == self.identity else None


def _purpose(realm_name: str) -> str:
    return f"{realm_name}.device"


def issue(app: Flask, realm_name: str, identity: int) -> str:
    """Return a fresh device cookie value for a browser that just signed in as ``identity``."""
    payload = {"i": identity, "d": secrets.token_urlsafe(DEVICE_ID_BYTES)}
    return cookies.serializer(app, _purpose(realm_name)).dumps(payload)


def read(app: Flask, realm_name: str, raw: str | None) -> DeviceClaim | None:
    """Return the claim of a device cookie that we signed and that has not expired, else None."""
    if not raw or len(raw) > 256:
        return None
    max_age = int(app.config["DEVICE_COOKIE_LIFETIME"].total_seconds())
    try:
        payload = cookies.serializer(app, _purpose(realm_name)).loads(raw, max_age=max_age)
    except BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    identity, device_id = payload.get("i"), payload.get("d")
    if not isinstance(identity, int) or not isinstance(device_id, str) or not device_id:
        return None
    return DeviceClaim(identity=identity, device_id=device_id)
