"""What a magic link is for, and how long each kind lives by default."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum


class Purpose(StrEnum):
    """The purpose a magic link was minted for; a link only works for its own."""

    LOGIN = "login"
    SIGNUP = "signup"
    EMAIL_VERIFICATION = "email_verification"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose, not a password
    ACCOUNT_DELETION = "account_deletion"
    EMAIL_LINK = "email_link"
    # The "this was not me" link in the notice to the old address.
    EMAIL_CHANGE_CANCEL = "email_change_cancel"

    @property
    def default_lifetime(self) -> timedelta:
        """Return how long a link of this purpose lives unless configured otherwise."""
        return _DEFAULT_LIFETIMES[self]


_DEFAULT_LIFETIMES = {
    Purpose.LOGIN: timedelta(minutes=15),
    Purpose.SIGNUP: timedelta(hours=24),
    Purpose.EMAIL_VERIFICATION: timedelta(hours=24),
    Purpose.PASSWORD_RESET: timedelta(hours=1),
    Purpose.ACCOUNT_DELETION: timedelta(hours=1),
    Purpose.EMAIL_LINK: timedelta(hours=24),
    # As long as the change link it can cancel.
    Purpose.EMAIL_CHANGE_CANCEL: timedelta(hours=24),
}
