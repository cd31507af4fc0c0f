"""Staff passwords: Argon2id hashes, NIST 800-63B rules, and a verify that never tells who exists.

Only the PHC string (``$argon2id$v=19$m=...``) is stored. The cost
parameters come from the configuration; a hash made with weaker ones than
configured is upgraded at the next successful sign-in (:func:`needs_rehash`).
Nothing in this module logs or returns a password.

The rules (NIST SP 800-63B 3.1.1.2, ASVS 5.0 6.2): at least 12 characters,
none of the 100,000 most common passwords, not the account's own address nor
the portal's name, compared without regard to case; no composition rules.

The list is SecLists' ``Passwords/Common-Credentials/10-million-password-list-
top-100000.txt`` (MIT licence; commit 4f84b3c of danielmiessler/SecLists),
lower-cased, de-duplicated and sorted by bytes into ``common_passwords.txt``
(96,518 lines, 755 KB). It is searched in place: the file is memory-mapped and
bisected, so no process holds it in its heap (a ``set`` of it would cost every
web worker about 10 MB and 40 ms at start) and a look-up reads a few pages.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass
from pathlib import Path

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


COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


class CommonPasswords:
    """A sorted file of lower-cased passwords, one a line, searched by bisection in place."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._map: mmap.mmap | None = None

    def _data(self) -> mmap.mmap:
        if self._map is None:
            with self.path.open("rb") as file:
                # Read-only and file-backed: the pages are the OS's page cache,
                # shared by every process on the machine.
                self._map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        return self._map

    def __contains__(self, password: object) -> bool:
        if not isinstance(password, str):
            return False
        key = password.lower().encode("utf-8", "replace")
        data = self._data()
        low, high = 0, len(data)
        while low < high:
            middle = (low + high) // 2
            start = data.rfind(b"\n", 0, middle) + 1
            end = data.find(b"\n", start)
            end = len(data) if end == -1 else end
            line = data[start:end]
            if line == key:
                return True
            if line < key:
                low = end + 1
            else:
                high = start
        return False


COMMON_PASSWORDS = CommonPasswords(COMMON_PASSWORDS_FILE)


def _folded(text: str) -> str:
    """Return ``text`` lower-cased without white space: 'Partner Portal' is 'partnerportal'."""
    return "".join(text.lower().split())


def check_strength(password: str, *, email: str | None = None) -> None:
    """Raise :class:`WeakPassword` unless ``password`` may be used (for the account ``email``).

    Length first, then the context (the address, the portal's name), then the
    list of common passwords; every comparison ignores case.
    """
    if len(password) < MIN_LENGTH:
        raise WeakPassword(messages.PASSWORD_TOO_SHORT)
    if len(password) > MAX_LENGTH:
        raise WeakPassword(messages.PASSWORD_TOO_LONG)
    folded = _folded(password)
    if email and folded in (_folded(email), _folded(email.partition("@")[0])):
        raise WeakPassword(messages.PASSWORD_IS_EMAIL)
    app_name: str = current_app.config.get("APP_NAME", "")
    if app_name and _folded(app_name) in folded and len(folded) - len(_folded(app_name)) < 6:
        # The portal's name with a year or a "!" added is no better than the name.
        raise WeakPassword(messages.PASSWORD_IS_APP_NAME)
    if password in COMMON_PASSWORDS or password.strip() in COMMON_PASSWORDS:
        raise WeakPassword(messages.PASSWORD_TOO_COMMON)


def hash_password(password: str, *, email: str | None = None) -> str:
    """Return the Argon2id hash of an acceptable password (raise WeakPassword otherwise)."""
    check_strength(password, email=email)
    return _passwords().hasher.hash(password)


def rehash(password: str) -> str:
    """Return a fresh hash of a password that was just verified (to upgrade its costs).

    The rules are not applied again: a password chosen under older rules
    still signs in; the rules apply whenever a password is chosen.
    """
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
