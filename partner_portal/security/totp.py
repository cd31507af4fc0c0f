"""Second factors for staff: TOTP (RFC 6238) and single-use recovery codes.

**TOTP**: 30-second steps, 6 digits, SHA-1 (what every authenticator app
reads from an ``otpauth://`` URI). A code is accepted for the current step and
the one either side (clock drift, a code typed as it changed), and only for a
step later than the last one accepted on the same credential, so a code, or
an older one seen over a shoulder, works once (:func:`matching_step` finds the
step; the caller spends it with a conditional UPDATE).

**Secrets at rest** are encrypted (Fernet: AES-128-CBC and HMAC-SHA256) under
a key derived from ``SECRET_KEY`` with HKDF, so a copy of the database alone
computes nobody's codes. ``SECRET_KEY_FALLBACKS`` still decrypt, and a secret
sealed under a fallback is sealed again under the current key when next used
(:func:`needs_reseal`); ``flask admin reseal-secrets`` does all of them at once
before a fallback is dropped.

**Recovery codes**: ten per enrolment, 10 characters from 32 unambiguous ones
(50 bits), shown once and stored as Argon2id hashes (ASVS 5.0 6.5.2: fewer than
112 bits must be stored with a salted password hash).

Nothing here reads the request.
"""

from __future__ import annotations

import base64
import hmac
import html
import secrets
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from . import codes

DIGITS = 6
STEP_SECONDS = 30
# Steps either side of now that are still accepted.
DRIFT_STEPS = 1
SECRET_BYTES = 20  # RFC 4226's recommended 160 bits
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 10
_KEY_INFO = b"partner-portal.staff-totp-secret.v1"


class SecretUnreadable(Exception):
    """A stored secret that no configured key opens (its key was dropped from the fallbacks)."""


def new_secret() -> str:
    """Return a fresh random TOTP secret, base32 as authenticator apps take it."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def display_secret(secret: str) -> str:
    """Return the secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """Return the ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def qr_svg(uri: str, label: str) -> str:
    """Return the QR code of ``uri`` as an inline SVG element (no script, no style attribute)."""
    svg: str = segno.make(uri, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", title=label, svgclass="qr"
    )
    return svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(label)}" ', 1)


def step_at(moment: datetime) -> int:
    """Return the TOTP time step ``moment`` falls in."""
    return int(moment.timestamp()) // STEP_SECONDS


def normalize_code(typed: str) -> str:
    """Return a typed TOTP code without the spaces apps show in the middle."""
    return "".join(ch for ch in (typed or "") if ch not in " \t-")


def is_totp_shaped(typed: str) -> bool:
    """Return whether ``typed`` looks like a TOTP code (six digits)."""
    code = normalize_code(typed)
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def matching_step(secret: str, typed: str, moment: datetime, after: int | None) -> int | None:
    """Return the time step whose code ``typed`` is (near ``moment``, later than ``after``).

    Every candidate step is compared, in constant time, whatever matched:
    the time taken says nothing about which step (or whether one) matched.
    """
    if not is_totp_shaped(typed):
        return None
    code = normalize_code(typed)
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    now = step_at(moment)
    found: int | None = None
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        expected = totp.generate_otp(step)
        if hmac.compare_digest(expected, code) and (after is None or step > after):
            found = step
    return found


# -- secrets at rest -----------------------------------------------------------


@lru_cache(maxsize=8)
def _fernet(secret_key: str | bytes) -> Fernet:
    raw = secret_key.encode("utf-8") if isinstance(secret_key, str) else secret_key
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_INFO).derive(raw)
    return Fernet(base64.urlsafe_b64encode(key))


def _box(keys: Sequence[str | bytes]) -> MultiFernet:
    return MultiFernet([_fernet(key) for key in keys])


def seal(secret: str, keys: Sequence[str | bytes]) -> str:
    """Encrypt a TOTP secret under the first of ``keys`` (``SECRET_KEY``, then fallbacks)."""
    return _box(keys).encrypt(secret.encode("ascii")).decode("ascii")


def unseal(ciphertext: str, keys: Sequence[str | bytes]) -> str:
    """Decrypt a stored TOTP secret with any of ``keys``; raise :class:`SecretUnreadable`."""
    try:
        return _box(keys).decrypt(ciphertext.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError, UnicodeError):
        raise SecretUnreadable() from None


def needs_reseal(ciphertext: str, keys: Sequence[str | bytes]) -> bool:
    """Return whether a stored secret was sealed under a fallback key (not the current one)."""
    try:
        _fernet(keys[0]).decrypt(ciphertext.encode("ascii"))
    except (InvalidToken, ValueError):
        return True
    return False


# -- recovery codes ------------------------------------------------------------


def new_recovery_codes() -> list[str]:
    """Return a fresh set of recovery codes (shown once, then stored only as hashes)."""
    return [
        "".join(secrets.choice(codes.ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]


def display_recovery_code(code: str) -> str:
    """Return a recovery code as people read it: ``ABCDE-FGHJK``."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def normalize_recovery_code(typed: str) -> str:
    """Return a typed recovery code in canonical form (upper case, no spaces or hyphens)."""
    return codes.normalize(typed)


def is_recovery_code_shaped(typed: str) -> bool:
    """Return whether ``typed`` could be a recovery code we issued (shape only)."""
    code = normalize_recovery_code(typed)
    return len(code) == RECOVERY_CODE_LENGTH and all(ch in codes.ALPHABET for ch in code)
