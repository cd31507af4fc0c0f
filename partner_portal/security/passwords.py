"""Staff passwords: Argon2id hashes, a length rule, and a verify that never tells who exists.

Only the PHC string (``$argon2id$v=19$m=...``) is stored. The cost
parameters come from the configuration; a hash made with weaker ones than
configured is upgraded at the next successful sign-in (:func:`needs_rehash`).
Nothing in this module logs or returns a password.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import Flask, current_app

from .. import messages

MIN_LENGTH = 12
# Argon2 accepts anything, but hashing megabytes on every attempt is a cheap
# denial of service; no one types a password this long.
MAX_LENGTH = 1024


class WeakPassword(ValueError):
    """A password the portal refuses, with the reason in words."""


@dataclass(frozen=True)
class Passwords:
    """The configured hasher and a hash of nothing, to spend the same time on unknown users."""

    hasher: PasswordHasher
    dummy_hash: str


def init_app(app: Flask) -> None:
    """Build the hasher from the configured Argon2 costs."""
    hasher = PasswordHasher(
        time_cost=app.config["PASSWORD_HASH_TIME_COST"],
        memory_cost=app.config["PASSWORD_HASH_MEMORY_KIB"],
        parallelism=app.config["PASSWORD_HASH_PARALLELISM"],
    )
    app.extensions["passwords"] = Passwords(
        hasher=hasher, dummy_hash=hasher.hash("not the password of anyone")
    )


def _passwords() -> Passwords:
    passwords: Passwords = current_app.extensions["passwords"]
    return passwords


def check_strength(password: str) -> None:
    """Raise :class:`WeakPassword` unless ``password`` is long enough to use."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(messages.PASSWORD_TOO_SHORT)
    if len(password) > MAX_LENGTH:
        raise WeakPassword(messages.PASSWORD_TOO_LONG)


def hash_password(password: str) -> str:
    """Return the Argon2id hash of an acceptable password (raise WeakPassword otherwise)."""
    check_strength(password)
    return _passwords().hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Return whether ``password`` matches ``password_hash``; never raises on a mismatch."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _passwords().hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def spend_verify_time(password: str) -> None:
    """Verify against a hash of nothing, so an unknown email costs as long as a known one.

    Without it, the response time alone would tell an attacker which
    addresses have staff accounts.
    """
    verify_password(_passwords().dummy_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """Return whether a stored hash was made with other costs than the configured ones."""
    try:
        return _passwords().hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
