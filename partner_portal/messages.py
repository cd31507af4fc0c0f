"""Every sentence the portal says to a person, in one place.

Tests import these instead of copying literals, so wording can change here
without breaking them, and the same situation always reads the same.
"""

import math
from datetime import timedelta

LOGIN_LINK_REQUESTED = "If this email is registered, you will receive a login link."
INVALID_EMAIL = "Enter a valid email address, like name@example.com."
EMAIL_NOT_ASCII = (
    "Addresses with accented or non-Latin letters before the @ are not supported yet. "
    "Please use another address."
)
EMAIL_TOO_LONG = "That email address is too long."

LINK_INVALID = "That sign-in link is not valid. Request a new one below."
LINK_EXPIRED = "That sign-in link has expired. Request a new one below."
LINK_USED = "That sign-in link has already been used. Request a new one below."
LINK_REVOKED = "That sign-in link has been cancelled. Request a new one below."
LINK_NO_PENDING = "Open the sign-in link from your email to continue."
CODE_REQUIRED = "Enter the code from the email."
CODE_INVALID = (
    "That code is not valid. Check the latest email, or open its link instead. "
    "Codes expire with the link and stop working after 5 wrong tries."
)
CODE_WRONG_BROWSER = (
    "A code only works in the browser where you asked for the email. "
    "Open the link in the email instead, or ask for a new one here."
)

SIGNED_IN = "You are signed in."
SIGNED_OUT = "You have been signed out."
LOGIN_REQUIRED = "Please sign in to see that page."
SESSION_EXPIRED = "Your session has ended. Please sign in again."
FORM_EXPIRED = "This form had expired, so nothing was done. Please try again."

# The account page. Placeholders are filled with str.format.
SESSION_ENDED = "That session has been signed out."
SESSION_NOT_FOUND = "That session had already ended."
OTHER_SESSIONS_ENDED = "You have been signed out everywhere else."
EMAIL_UNCHANGED = "That is already your email address."
EMAIL_CHANGE_SENT = (
    "We sent a confirmation link to {email}. Open it in this browser to finish the change; "
    "until then, nothing changes."
)
EMAIL_CHANGED = "Your sign-in address is now {email}. You were signed out everywhere else."
EMAIL_UNAVAILABLE = "That email address cannot be used for your account. Nothing was changed."
SIGN_IN_AGAIN = "For your security, sign in again before changing your email address."
SIGN_IN_AGAIN_PROMPT = "Sign in again to continue."
DELETION_SENT = (
    "We sent a link to {email} to confirm deleting your account. It expires in {lifetime}."
)
ACCOUNT_DELETED = "Your account has been deleted. Thank you for using the portal."
ACCOUNT_LINK_INVALID = "That link is not valid, has expired or has already been used."
ACCOUNT_LINK_NO_PENDING = "Open the link in the email to continue."
ACCOUNT_LINK_SIGN_IN_FIRST = "Sign in first, then open the link in the email again."

API_INVALID_EMAIL = "Invalid email address"
API_AUTH_REQUIRED = "Partner authentication required"
API_CROSS_SITE = "Cross-site request refused"
API_JSON_REQUIRED = "Send a JSON body with Content-Type: application/json"
API_LINK_INVALID = "Invalid or expired link"

NOT_FOUND = "We could not find that page."
BAD_REQUEST = "That request could not be understood."
TOO_LARGE = "That request was too large."
SERVER_ERROR = "Something went wrong on our side. Please try again in a moment."


def too_many_requests(wait: timedelta) -> str:
    """Return the throttling sentence, with the wait in whole minutes (rounded up)."""
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return f"Too many requests. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
