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
LINK_FRESH_OFFER = "Send me a fresh sign-in link"
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
EMAIL_CHANGE_CANCEL_INVALID = (
    "That link is not valid, has expired or has already been used. If your sign-in address "
    "was changed without you, tell your contact at the company."
)
EMAIL_CHANGE_CANCELLED = (
    "The change of your sign-in address is cancelled and every session of your account is "
    "signed out. Sign in again with this address."
)

API_INVALID_EMAIL = "Invalid email address"
API_AUTH_REQUIRED = "Partner authentication required"
API_CROSS_SITE = "Cross-site request refused"
API_JSON_REQUIRED = "Send a JSON body with Content-Type: application/json"
API_LINK_INVALID = "Invalid or expired link"

NOT_FOUND = "We could not find that page."
BAD_REQUEST = "That request could not be understood."
INVALID_CHARACTER = (
    "That request held a character that is never valid here (a NUL byte). Nothing was done."
)
TOO_LARGE = "That request was too large."
UNAVAILABLE = "The portal is briefly unavailable. Please try again shortly."
SERVER_ERROR = "Something went wrong on our side. Please try again in a moment."

# Invitations (the partner's side)
INVITATION_INVALID = "That invitation link is not valid. Ask your contact for a new invitation."
INVITATION_EXPIRED = "That invitation link has expired. Ask your contact for a new invitation."
INVITATION_USED = "That invitation has already been accepted. Sign in below."
INVITATION_REVOKED = (
    "That invitation has been replaced or cancelled. Use the newest invitation you received."
)
INVITATION_NO_PENDING = "Open the invitation link from your email to continue."
WELCOME = "Welcome! Your account is active and you are signed in."

# Staff sign-in
PASSWORD_TOO_SHORT = "Use a password of at least 12 characters."  # noqa: S105 - a sentence
PASSWORD_TOO_LONG = "That password is too long (at most 1024 characters)."  # noqa: S105
PASSWORD_TOO_COMMON = (
    "That password is one of the most common passwords, the first an attacker tries. "  # noqa: S105
    "Choose another: a few unrelated words make a good one."
)
PASSWORD_IS_EMAIL = "Do not use your email address as your password."  # noqa: S105
PASSWORD_IS_APP_NAME = "Do not use the portal's name as your password."  # noqa: S105
PASSWORDS_DIFFER = "The two passwords are not the same."
ADMIN_LOGIN_FAILED = "That email and password do not match a staff account."
ADMIN_LOGIN_THROTTLED = "Too many failed sign-in attempts. Try again in {wait}."
ADMIN_LOGIN_REQUIRED = "Please sign in with your staff account to see that page."
ADMIN_SIGNED_OUT = "You have been signed out of the admin console."
ADMIN_SESSION_EXPIRED = "Your staff session has ended. Please sign in again."
ADMIN_RESET_REQUESTED = (
    "If this email belongs to a staff account, a link to set a new password is on its way."
)
ADMIN_RESET_INVALID = "That password reset link is not valid. Request a new one below."
ADMIN_RESET_EXPIRED = "That password reset link has expired. Request a new one below."
ADMIN_RESET_USED = "That password reset link has already been used. Request a new one below."
ADMIN_RESET_REVOKED = "That password reset link has been cancelled. Request a new one below."
ADMIN_RESET_NO_PENDING = "Open the password reset link from your email to continue."
ADMIN_RESET_DONE = (
    "Your password has been changed and every staff session of your account has ended. "
    "Sign in with the new password."
)

ADMIN_SESSION_IDLE = (
    "Your staff session ended after 30 minutes without activity. Please sign in again."
)
SIGN_IN_STEP_EXPIRED = "That sign-in was not finished in time. Please sign in again."
MFA_REQUIRED = (
    "Staff accounts need a second factor. Set up an authenticator app to continue; "
    "nothing else in the console opens until then."
)
SECOND_FACTOR_CODE_REQUIRED = "Enter the 6-digit code from your authenticator app."
SECOND_FACTOR_REFUSED = (
    "That code did not work. Enter the current code from your authenticator app "
    "(each code works once), or one of your recovery codes."
)
SECOND_FACTOR_THROTTLED = "Too many wrong codes. Try again in {wait}."
SECOND_FACTOR_THROTTLED_SHORT = "Too many wrong codes. Wait a few minutes and try again."
RECOVERY_CODE_USED = (
    "You signed in with a recovery code; it will not work again. You have {left} left: "
    "make new ones on your account page if you are running low."
)
STEP_UP_NEEDED = "This change needs you to confirm it is you first."
STEP_UP_REFUSED = "That did not work. Try again."
TOTP_QR_LABEL = "QR code to scan with your authenticator app"
TOTP_CONFIRM_REFUSED = (
    "That code did not match. Check the app shows this account, wait for the next code "
    "and enter it."
)
TOTP_ENROLLED = "Your authenticator app is set up. Keep the recovery codes below somewhere safe."
TOTP_REMOVED = "Your authenticator app was removed, with its recovery codes."
RECOVERY_CODES_REPLACED = "New recovery codes are below; the old ones no longer work."
SECOND_FACTOR_REQUIRED_CANNOT_REMOVE = (
    "Staff accounts must keep a second factor here. To change apps, set up the new one: "
    "it replaces the old."
)
STAFF_INVITATION_INVALID = "That invitation link is not valid. Ask an owner for a new one."
STAFF_INVITATION_EXPIRED = "That invitation link has expired. Ask an owner for a new one."
STAFF_INVITATION_USED = "That invitation has already been used. Sign in below."
STAFF_INVITATION_REVOKED = "That invitation was replaced or cancelled. Use the newest one."
STAFF_INVITATION_NO_PENDING = "Open the invitation link from your email to continue."
STAFF_WELCOME = (
    "Welcome! Your password is set and you are signed in. Set up an authenticator app "
    "below to protect your account."
)

# Staff accounts (owners)
STAFF_INVITED = "The invitation to {email} is on its way. Its link works for {lifetime}."
STAFF_NOT_INVITED = "That account has a password already; no invitation was sent."
STAFF_ROLE_CHANGED = "{email} is now {role}."
STAFF_DEACTIVATED = (
    "{email} is deactivated: {sessions} session(s) ended and {links} link(s) revoked."
)
STAFF_REACTIVATED = "{email} can sign in again."
LAST_OWNER = (
    "That would leave the console without an active owner, so nothing was changed. "
    "Make someone else an owner first."
)

# Admin console
REQUIRED = "This field is required."
INVALID_DATE = "Enter a date like 2027-03-31."
DATE_IN_PAST = "That date is already past."
PARTNER_CREATED = "Partner {email} created. They can sign in now."
PARTNER_UPDATED = "Partner {email} updated."
PARTNER_DEACTIVATED = (
    "{email} is deactivated: {sessions} session(s) ended and {links} link(s) revoked."
)
PARTNER_REACTIVATED = "{email} is active again."
PARTNER_ALREADY_ACTIVE = "{email} is already active."
PARTNER_IS_DELETED = "That account was deleted; it cannot be reactivated. Invite the person again."
PARTNER_DELETED = "Partner {email} deleted. Their audit history is kept."
PARTNER_INVITED = "The invitation to {email} is on its way. Its link works for {lifetime}."
PARTNER_SESSION_ENDED_BY_STAFF = "Session ended. That browser is signed out on its next request."
SESSIONS_ENDED = "{count} session(s) ended."
LINK_REVOKED_BY_ADMIN = "Link revoked."
LINK_NOT_OUTSTANDING = "That link was already used, expired or revoked."
ACCESS_GRANTED = "{email} can now see {page}{until}."
ACCESS_REVOKED = "{email} can no longer see {page}."
PAGE_CREATED = "Status page {name} created."
PAGE_UPDATED = "Status page {name} updated."
PAGE_DELETED = "Status page {name} deleted."
COMPONENT_ADDED = "Component {name} added."
COMPONENT_UPDATED = "Component {name} updated."
COMPONENT_MOVED = "Component {name} moved."
COMPONENT_DELETED = "Component {name} deleted."
INCIDENT_OPENED = "Incident “{title}” opened. Partners who can see the page see it now."
INCIDENT_UPDATED = "Update posted to “{title}”."
INCIDENT_EDITED = "Incident “{title}” edited."
INCIDENT_RESOLVED = "Incident “{title}” resolved."
INCIDENT_ALREADY_RESOLVED = "That incident is already resolved."
INCIDENT_DELETED = "Incident “{title}” deleted."
INCIDENT_REOPENED = "Incident “{title}” reopened."

# Status pages, components, incidents and maintenance (console, CLI and API alike)
UNKNOWN_PAGE = "No status page has the slug {slug!r}."
DUPLICATE_PAGE = "A status page with the slug {slug} already exists."
INVALID_SLUG = "A slug is lowercase letters, digits and single hyphens, like 'payments-api'."
COMPONENT_STATUS_CHOICES = "Status must be one of: {choices}."
UNKNOWN_COMPONENT = "The page {page} has no component named {name!r}."
COMPONENT_NOT_ON_PAGE = "Choose components of this page only."
UNKNOWN_INCIDENT = "No incident has the id {id}."
INCIDENT_STATUS_CHOICES = "Incident status must be one of: {choices}."
INCIDENT_IMPACT_CHOICES = "Impact must be one of: {choices}."
INCIDENT_CANNOT_START_RESOLVED = "A new incident cannot start resolved."
COMPONENT_STATUS_NEEDS_COMPONENTS = (
    "Name the affected components (--components) to set their status; this incident "
    "affects the whole page."
)
MESSAGE_REQUIRED = "Message is required."
MESSAGE_TOO_LONG = "Message must be at most {limit} characters."
DEFAULT_INCIDENT_MESSAGE = "We are investigating this issue."
DEFAULT_RESOLVED_MESSAGE = "This incident has been resolved."
UNKNOWN_WINDOW = "No maintenance window has the id {id}."
INVALID_TIME = "Give a time like 2027-03-31T22:00 (UTC unless it names its offset)."
WINDOW_END_BEFORE_START = "The end of a maintenance window must come after its start."
WINDOW_START_IN_PAST = "A new maintenance window cannot start in the past."
WINDOW_EXTEND_EARLIER = "The new end must be later than the current end ({end})."
WINDOW_NOT_SCHEDULED = "That maintenance has already started or ended."
WINDOW_NOT_IN_PROGRESS = "That maintenance is not in progress."
WINDOW_FINISHED = "That maintenance is over; it cannot be changed."
MAINTENANCE_SCHEDULED = "Maintenance “{title}” scheduled."
MAINTENANCE_STARTED = "Maintenance “{title}” started: its components are under maintenance."
MAINTENANCE_EXTENDED = "Maintenance “{title}” now ends {end}."
MAINTENANCE_COMPLETED = "Maintenance “{title}” completed: its components are back."
MAINTENANCE_CANCELLED = "Maintenance “{title}” cancelled."
MAINTENANCE_UPDATED = "Update posted to “{title}”."
MARKDOWN_HINT = (
    "Partners see this. You may use *emphasis*, **bold**, `code`, lists and "
    "[links](https://example.com) (http, https and mailto only)."
)
DEFAULT_MAINTENANCE_STARTED = "The maintenance has begun."
DEFAULT_MAINTENANCE_COMPLETED = "The maintenance is complete."
DEFAULT_MAINTENANCE_CANCELLED = "This maintenance has been cancelled."
DEFAULT_MAINTENANCE_EXTENDED = "The maintenance will now end {end}."
IMPORT_DONE = "Imported {count} partner(s)."
IMPORT_FAILED = "Nothing was imported: fix the lines below and upload the file again."
IMPORT_NO_FILE = "Choose a CSV file to upload."

OUTBOX_RETRIED = "The email to {email} is queued again and will be sent in a moment."
OUTBOX_NOT_RETRIABLE = "Only failed or dropped emails can be retried."


def describe_duration(duration: timedelta) -> str:
    """Return a duration in words: '15 minutes', '1 hour', '24 hours'."""
    minutes = int(duration.total_seconds() // 60)
    if minutes % 60 == 0 and minutes >= 60:
        hours = minutes // 60
        return f"{hours} hour" + ("s" if hours != 1 else "")
    return f"{minutes} minute" + ("s" if minutes != 1 else "")


def try_again_in(wait: timedelta) -> str:
    """Return the throttling sentence, with the wait in whole minutes (rounded up)."""
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return f"Too many requests. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
