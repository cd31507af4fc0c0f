"""One-time codes: the typed alternative to clicking a link, for the browser that asked.

A code is 8 characters from 32 that cannot be mistaken for one another (no
0/O, no 1/I): 40 bits. It is bound to the asking browser's random request id
and stored only as an HMAC-SHA256 keyed with a key derived from SECRET_KEY,
so a copy of the database alone cannot be used to test guesses offline (a
plain hash of 40 bits would fall in minutes). Online guessing is bounded by
:data:`MAX_ATTEMPTS` per code and the per-IP failure limit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 8
MAX_ATTEMPTS = 5
_KEY_LABEL = b"partner-portal.one-time-code.v1"


def generate() -> str:
    """Return a fresh random code (``LENGTH`` characters of ``ALPHABET``)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display(code: str) -> str:
    """Return the code as people read it: ``ABCD-EFGH``."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def normalize(typed: str) -> str:
    """Return what was typed in canonical form: upper case, no spaces or hyphens."""
    return "".join(ch for ch in (typed or "").upper() if ch not in " \t-")


def is_well_formed(typed: str) -> bool:
    """Return whether ``typed`` could be a code we sent (shape only)."""
    code = normalize(typed)
    return len(code) == LENGTH and all(ch in ALPHABET for ch in code)


def _key(secret: str | bytes) -> bytes:
    raw = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(raw, _KEY_LABEL, hashlib.sha256).digest()


def _digest(key: bytes, code: str, request_id: str) -> str:
    message = f"{request_id}\n{normalize(code)}".encode("utf-8", "replace")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def digest(code: str, request_id: str) -> str:
    """Return the keyed hash under which ``code`` for ``request_id`` is stored."""
    return _digest(_key(current_app.secret_key or ""), code, request_id)


def matches(typed: str, request_id: str, stored: str) -> bool:
    """Return whether ``typed`` is the code stored as ``stored``, in constant time.

    Codes minted just before a key rotation still work: ``SECRET_KEY_FALLBACKS``
    are tried after ``SECRET_KEY``.
    """
    secrets_in_use = [current_app.secret_key or "", *current_app.config["SECRET_KEY_FALLBACKS"]]
    # Every key is tried (no early exit), so the time taken says nothing.
    results = [
        hmac.compare_digest(_digest(_key(secret), typed, request_id), stored)
        for secret in secrets_in_use
    ]
    return any(results)
