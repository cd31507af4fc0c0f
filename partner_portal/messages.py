"""Every sentence the portal says to a person, in one place.

Tests import these instead of copying literals, so wording can change here
without breaking them, and the same situation always reads the same.
"""

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

SIGNED_IN = "You are signed in."
SIGNED_OUT = "You have been signed out."
LOGIN_REQUIRED = "Please sign in to see that page."
SESSION_EXPIRED = "Your session has ended. Please sign in again."
FORM_EXPIRED = "This form had expired, so nothing was done. Please try again."

API_INVALID_EMAIL = "Invalid email address"
API_AUTH_REQUIRED = "Partner authentication required"
API_CROSS_SITE = "Cross-site request refused"
API_JSON_REQUIRED = "Send a JSON body with Content-Type: application/json"
API_LINK_INVALID = "Invalid or expired link"

NOT_FOUND = "We could not find that page."
BAD_REQUEST = "That request could not be understood."
TOO_LARGE = "That request was too large."
UNAVAILABLE = "The portal is briefly unavailable. Please try again shortly."
SERVER_ERROR = "Something went wrong on our side. Please try again in a moment."
