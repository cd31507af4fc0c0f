"""Emailed links, the one way: a registry of link kinds and the three steps every link takes.

Every emailed link (sign-in, invitation, change of address, its "this was not
me" cancel link, account deletion, staff password reset) is a :class:`LinkKind`
in :data:`KINDS`, and every one goes the same way:

1. **Open** (``GET <landing><token>``): the link is checked, never spent (mail
   scanners open links). Its reference (row id *and* token hash, see
   ``tokens.LinkRef``) goes into the session, and a 303 with
   ``Referrer-Policy: no-referrer`` takes the token out of the address bar.
   Nothing is counted against the IP here: a cross-site ``<img>`` can make a
   browser open any URL, and must not be able to lock an office out.
2. **Confirm page** (``GET <confirm>``): says what the link does, with one
   button (a form with a CSRF token).
3. **Redeem** (``POST <confirm>``): the kind's action spends the link with one
   conditional UPDATE that needs the hash, so a session forged with
   ``SECRET_KEY`` alone redeems nothing. A failure here is audited and counted
   against the IP (the POST needs the session and its CSRF token: only the
   holder's own browser can send it).

Adding a kind of link is one entry here (with its action, which calls one
domain function), one confirm-page template with its email templates, and one
test file. The routes, the URL in the email (built from ``PORTAL_BASE_URL``,
never the Host header), the log redaction, the refusal as a ``next`` target,
failure messages, audit and counting all follow from the entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response

from . import invitations, messages
from .account import service as account_service
from .admin.staff import accounts as staff_accounts
from .admin.staff.forms import NewPasswordForm
from .auth import service as auth_service
from .auth.forms import ConfirmLinkForm
from .auth.identity import FRESH_LINK_FOR, begin_partner_session, partner_login_required
from .extensions import db
from .mail import content
from .mail.transport import Composed
from .models import Admin, MagicLinkToken, OutboxJob, Partner
from .partners import find_partner
from .security import limits, sessions, tokens
from .security.audit import Severity, record
from .security.purposes import Purpose
from .web import ADMIN_PREFIX, no_referrer, requester, safe_next


class Audience(StrEnum):
    """Who may open and redeem a kind of link."""

    # Whoever holds the link: it was emailed to them, and the link is the proof.
    ANYONE = "anyone"
    # Only a signed-in session of the partner the link was minted for: a link
    # forwarded to someone else (or planted in someone else's browser) does nothing.
    OWNER = "owner"


@dataclass(frozen=True)
class LinkMessages:
    """What a person is told when a link of this kind cannot be used."""

    invalid: str
    no_pending: str
    expired: str | None = None
    used: str | None = None
    revoked: str | None = None

    def for_error(self, error: tokens.MagicLinkError) -> str:
        """Return the sentence for ``error`` (the generic one when nothing more useful)."""
        specific = {
            tokens.LinkExpired: self.expired,
            tokens.LinkAlreadyUsed: self.used,
            tokens.LinkRevoked: self.revoked,
        }.get(type(error))
        return specific or self.invalid


Redeem = Callable[[tokens.LinkRef, FlaskForm], Response]
Compose = Callable[[OutboxJob], Composed | None]
PageContext = Callable[[MagicLinkToken], dict[str, Any]]


@dataclass(frozen=True)
class LinkKind:
    """One kind of emailed link: everything the portal does with it follows from this."""

    name: str
    purpose: Purpose
    # The emailed URL is ``landing`` + token; the confirm page (GET) and its
    # button (POST) live at ``confirm``.
    landing: str
    confirm: str
    audience: Audience
    template: str
    page_context: PageContext
    redeem: Redeem
    messages: LinkMessages
    # Where an unusable link lands, with its sentence.
    failed_endpoint: str
    failure_action: str
    # The outbox job kinds whose messages carry this kind's link, and how each is composed.
    composers: Mapping[str, Compose]
    form: type[FlaskForm] = ConfirmLinkForm
    # Other URLs that land the same link (the JSON API's, for sign-in links).
    also_lands_at: tuple[str, ...] = field(default=())
    # Whether a dead link offers its owner a fresh one (without naming them).
    offers_fresh_link: bool = False

    @property
    def session_key(self) -> str:
        """Return the session key that holds the opened link's reference."""
        return f"link.{self.name}"

    @property
    def open_endpoint(self) -> str:
        """Return the endpoint of the emailed URL."""
        return f"links.open_{self.name}"

    @property
    def confirm_endpoint(self) -> str:
        """Return the endpoint of the confirm page (GET)."""
        return f"links.confirm_{self.name}"

    @property
    def redeem_endpoint(self) -> str:
        """Return the endpoint of the confirm page's button (POST)."""
        return f"links.redeem_{self.name}"

    def lifetime(self) -> timedelta:
        """Return how long a link of this kind lives (configured per purpose)."""
        lifetime: timedelta = current_app.config["MAGIC_LINK_LIFETIMES"][self.purpose]
        return lifetime


# -- the three steps -----------------------------------------------------------


def open_link(kind: LinkKind, raw_token: str) -> Response:
    """Check an emailed link without spending it, keep its reference, go on to its confirm page."""
    if kind.audience is Audience.OWNER and g.partner is None:
        # No lookup for strangers, and no ?next= that would carry the token around.
        flash(messages.ACCOUNT_LINK_SIGN_IN_FIRST, "info")
        return no_referrer(redirect(url_for("auth.login"), 303))
    try:
        link = tokens.find_token(raw_token, kind.purpose)
        _check_audience(kind, link)
    except tokens.MagicLinkError as error:
        # Audited, never counted: a GET needs no state, so anyone's page could send it.
        return failed(kind, error, count=False)
    session[kind.session_key] = tokens.LinkRef.of(link).to_session()
    # The token leaves the address bar (and so history and Referer) here.
    return no_referrer(redirect(url_for(kind.confirm_endpoint), 303))


def confirm_page(kind: LinkKind, form: FlaskForm | None = None, status: int = 200) -> Response:
    """Show what the opened link does, with the one button that does it."""
    ref = pending(kind)
    if ref is None:
        flash(kind.messages.no_pending, "info")
        return redirect(url_for(kind.failed_endpoint), 303)
    try:
        link = tokens.get_usable_token(ref, kind.purpose)
        _check_audience(kind, link)
    except tokens.MagicLinkError as error:
        session.pop(kind.session_key, None)
        return failed(kind, error, count=False)
    page = render_template(
        kind.template,
        form=form or kind.form(),
        action=url_for(kind.redeem_endpoint),
        **kind.page_context(link),
    )
    return current_app.make_response((page, status))


def redeem_link(kind: LinkKind) -> Response:
    """Spend the opened link with the kind's action; audit and count a failure."""
    ref = pending(kind)
    if ref is None:
        flash(kind.messages.no_pending, "info")
        return redirect(url_for(kind.failed_endpoint), 303)
    form = kind.form()
    if not form.validate():
        # A form to correct (a staff password too short): nothing is spent or counted.
        return confirm_page(kind, form, 400)
    session.pop(kind.session_key, None)
    try:
        return kind.redeem(ref, form)
    except tokens.MagicLinkError as error:
        return failed(kind, error, count=True)


def pending(kind: LinkKind) -> tokens.LinkRef | None:
    """Return the reference of the link of ``kind`` this browser opened, if any."""
    return tokens.LinkRef.from_session(session.get(kind.session_key))


def failed(kind: LinkKind, error: tokens.MagicLinkError, *, count: bool) -> Response:
    """Audit an unusable link (counting it when the request needed state), land with a sentence."""
    db.session.rollback()
    _record_failure(kind, error)
    if count:
        limits.count_failure(requester().ip_address)
    db.session.commit()
    flash(kind.messages.for_error(error), "error")
    if kind.offers_fresh_link and error.token is not None and error.token.partner_id is not None:
        # A reference, not the address: the login page offers "send me a fresh
        # link" without showing whose the link was.
        session[FRESH_LINK_FOR] = tokens.LinkRef.of(error.token).to_session()
    return no_referrer(redirect(url_for(kind.failed_endpoint), 303))


def _check_audience(kind: LinkKind, link: MagicLinkToken) -> None:
    if kind.audience is Audience.OWNER and link.partner_id != g.partner.id:
        raise account_service.OtherPartnersLink(link)
    if kind.purpose is Purpose.PASSWORD_RESET and link.admin_id is None:
        raise tokens.LinkWrongPurpose(link)


def _record_failure(kind: LinkKind, error: tokens.MagicLinkError) -> None:
    token = error.token
    partner = g.get("partner") if kind.audience is Audience.OWNER else None
    record(
        kind.failure_action,
        requester(),
        severity=Severity.WARNING,
        partner_id=partner.id if partner else token.partner_id if token else None,
        admin_id=token.admin_id if token else None,
        email=partner.email if partner else token.email if token else None,
        details={
            "reason": error.reason,
            "token_id": token.id if token else None,
            "purpose": kind.purpose.value,
        },
    )


# -- minting (at send time, in the mail worker) --------------------------------


@dataclass(frozen=True)
class MintedLink:
    """A link minted for a job's message: the token (row and raw), its URL and lifetime."""

    minted: tokens.MintedToken
    url: str
    lifetime: timedelta


def public_url(endpoint: str, **values: Any) -> str:
    """Return the public URL of ``endpoint``, built from ``PORTAL_BASE_URL``, never the request.

    A link built from the Host header would let whoever sends the request
    choose where the emailed token goes (host header poisoning).
    """
    base = urlsplit(current_app.config["PORTAL_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def mint(
    kind: LinkKind,
    job: OutboxJob,
    *,
    email: str,
    details: dict[str, Any] | None = None,
    **owner: Any,
) -> MintedLink:
    """Mint, now at send time, the link of ``kind`` a job's message carries."""
    lifetime = kind.lifetime()
    asked = job.details or {}
    minted = tokens.mint_token(
        email=email,
        purpose=kind.purpose,
        lifetime=lifetime,
        ip_address=asked.get("ip_address"),
        user_agent=asked.get("user_agent"),
        details={"outbox_job_id": job.id, **(details or {})},
        **owner,
    )
    return MintedLink(minted, public_url(kind.open_endpoint, token=minted.raw), lifetime)


def _active_partner(job: OutboxJob) -> Partner | None:
    partner = db.session.get(Partner, job.partner_id) if job.partner_id is not None else None
    return partner if partner is not None and partner.is_active else None


# -- sign-in -------------------------------------------------------------------


def _sign_in(ref: tokens.LinkRef, form: FlaskForm) -> Response:
    signed_in = auth_service.confirm_login(ref, requester())
    begin_partner_session(signed_in.partner_id)
    return redirect(safe_next(signed_in.next_path) or url_for("portal.dashboard"), 303)


def _compose_login_link(job: OutboxJob) -> Composed | None:
    """Mint a login link for the job's address, if it (still) belongs to an active partner.

    Unknown and inactive addresses are enqueued exactly like registered ones,
    so the request does the same work either way; they end here, unsent.
    """
    partner = find_partner(job.recipient)
    if partner is None or not partner.is_active:
        return None
    request_id = (job.details or {}).get("request_id")
    if request_id:
        # This browser's newer request replaces its earlier codes (a stranger's
        # request has another id and kills nothing). Links keep working.
        tokens.kill_codes(email=partner.email, purpose=Purpose.LOGIN, request_id=request_id)
    link = mint(
        LOGIN,
        job,
        email=partner.email,
        partner_id=partner.id,
        redirect_to=job.redirect_to,
        request_id=request_id,
    )
    context = content.login_link_context(
        partner, link.url, link.lifetime, link.minted.code, content.who_asked(job)
    )
    return content.compose(
        partner.email, "login_link", context, link=link.url, token_id=link.minted.token.id
    )


LOGIN = LinkKind(
    name="login",
    purpose=Purpose.LOGIN,
    landing="/partner/verify/",
    confirm="/partner/verify",
    also_lands_at=("/api/partner/auth/verify/",),
    audience=Audience.ANYONE,
    template="auth/confirm.html",
    page_context=lambda link: {"partner": link.partner},
    redeem=_sign_in,
    messages=LinkMessages(
        invalid=messages.LINK_INVALID,
        expired=messages.LINK_EXPIRED,
        used=messages.LINK_USED,
        revoked=messages.LINK_REVOKED,
        no_pending=messages.LINK_NO_PENDING,
    ),
    failed_endpoint="auth.login",
    failure_action="partner.login.failed",
    composers={"login_link": _compose_login_link},
    offers_fresh_link=True,
)


# -- invitation ----------------------------------------------------------------


def _accept_invitation(ref: tokens.LinkRef, form: FlaskForm) -> Response:
    partner = invitations.accept(ref, requester())
    begin_partner_session(partner.id)
    flash(messages.WELCOME, "success")
    return redirect(url_for("portal.dashboard"), 303)


def _compose_invitation(job: OutboxJob) -> Composed | None:
    """Mint the invitation (signup) link for a partner who has not accepted yet.

    Earlier invitations are revoked as this one is minted, so only the newest
    link works, whatever order the jobs were queued in. A deleted account is
    never invited back by a job queued before it was deleted.
    """
    partner = db.session.get(Partner, job.partner_id) if job.partner_id else None
    if partner is None or partner.is_active or partner.deleted_at is not None:
        return None
    tokens.revoke_tokens(partner_id=partner.id, purpose=Purpose.SIGNUP)
    link = mint(SIGNUP, job, email=partner.email, partner_id=partner.id)
    context = content.invitation_context(partner, link.url, link.lifetime)
    return content.compose(
        partner.email, "invitation", context, link=link.url, token_id=link.minted.token.id
    )


SIGNUP = LinkKind(
    name="signup",
    purpose=Purpose.SIGNUP,
    landing="/partner/signup/",
    confirm="/partner/signup",
    audience=Audience.ANYONE,
    template="auth/signup.html",
    page_context=lambda link: {"partner": link.partner},
    redeem=_accept_invitation,
    messages=LinkMessages(
        invalid=messages.INVITATION_INVALID,
        expired=messages.INVITATION_EXPIRED,
        used=messages.INVITATION_USED,
        revoked=messages.INVITATION_REVOKED,
        no_pending=messages.INVITATION_NO_PENDING,
    ),
    failed_endpoint="auth.login",
    failure_action="partner.signup.failed",
    composers={"invitation": _compose_invitation},
)


# -- change of sign-in address -------------------------------------------------


def _change_email(ref: tokens.LinkRef, form: FlaskForm) -> Response:
    try:
        new_email = account_service.confirm_email_change(
            g.partner, ref, getattr(session, "sid", None), requester()
        )
    except account_service.EmailUnavailable as error:
        flash(str(error), "error")
        return redirect(url_for("account.overview"), 303)
    flash(messages.EMAIL_CHANGED.format(email=new_email), "success")
    return redirect(url_for("account.overview"), 303)


def _compose_email_change_link(job: OutboxJob) -> Composed | None:
    """Mint the link that moves a partner to a new address; it goes to that new address.

    Nothing is sent when the partner is gone or inactive, has changed address
    since asking, or when the new address already belongs to a partner: the
    requester was told the same either way, so the page reveals nothing.
    """
    partner = _active_partner(job)
    details = job.details or {}
    if partner is None or partner.email != details.get("old_email"):
        return None
    # Only the latest request can complete, whoever the new address belongs
    # to: revoking only for a free address would let the partner learn, from
    # their own earlier link living or dying, whether an address is registered.
    tokens.revoke_tokens(partner_id=partner.id, purpose=Purpose.EMAIL_LINK)
    if find_partner(job.recipient) is not None:
        return None
    link = mint(
        EMAIL_CHANGE,
        job,
        email=job.recipient,
        partner_id=partner.id,
        details={"old_email": partner.email},
    )
    context = content.email_change_link_context(
        partner, link.url, link.lifetime, job.recipient, content.who_asked(job)
    )
    return content.compose(
        job.recipient, "email_change_link", context, link=link.url, token_id=link.minted.token.id
    )


EMAIL_CHANGE = LinkKind(
    name="email_change",
    purpose=Purpose.EMAIL_LINK,
    landing="/partner/account/email/verify/",
    confirm="/partner/account/email/confirm",
    audience=Audience.OWNER,
    template="account/confirm_email.html",
    page_context=lambda link: {"new_email": link.email},
    redeem=_change_email,
    messages=LinkMessages(
        invalid=messages.ACCOUNT_LINK_INVALID, no_pending=messages.ACCOUNT_LINK_NO_PENDING
    ),
    failed_endpoint="account.overview",
    failure_action="partner.account_link.failed",
    composers={"email_change_link": _compose_email_change_link},
)


# -- "this was not me": cancelling a change of address, from the old mailbox ------


def _cancel_email_change(ref: tokens.LinkRef, form: FlaskForm) -> Response:
    account_service.cancel_email_change(ref, requester())
    # Whoever is signed in on this browser is signed out too: every session ended.
    sessions.end(session)
    flash(messages.EMAIL_CHANGE_CANCELLED, "success")
    return redirect(url_for("auth.login"), 303)


def _compose_email_change_notice(job: OutboxJob) -> Composed | None:
    """Tell the old address that a change was asked for (with a cancel link), or made."""
    partner = _active_partner(job)
    if partner is None:
        return None
    cancel = None
    if not (job.details or {}).get("is_done"):
        # The same notice, link and all, whether or not the new address is
        # registered: the old mailbox learns nothing about the directory.
        cancel = mint(
            EMAIL_CHANGE_CANCEL,
            job,
            email=job.recipient,
            partner_id=partner.id,
            details={"new_email": (job.details or {}).get("new_email")},
        )
    context = content.email_change_notice_context(
        partner, job, cancel.url if cancel else None, cancel.lifetime if cancel else None
    )
    return content.compose(
        job.recipient,
        "email_change_notice",
        context,
        link=cancel.url if cancel else None,
        token_id=cancel.minted.token.id if cancel else None,
    )


EMAIL_CHANGE_CANCEL = LinkKind(
    name="email_change_cancel",
    purpose=Purpose.EMAIL_CHANGE_CANCEL,
    landing="/partner/account/email/cancel/",
    confirm="/partner/account/email/cancel",
    # The old mailbox's owner may well be signed out (or signed out by the thief).
    audience=Audience.ANYONE,
    template="account/cancel_email_change.html",
    page_context=lambda link: {
        "partner": link.partner,
        "new_email": (link.details or {}).get("new_email"),
    },
    redeem=_cancel_email_change,
    messages=LinkMessages(
        invalid=messages.EMAIL_CHANGE_CANCEL_INVALID, no_pending=messages.ACCOUNT_LINK_NO_PENDING
    ),
    failed_endpoint="auth.login",
    failure_action="partner.email.cancel_failed",
    composers={"email_change_notice": _compose_email_change_notice},
)


# -- account deletion ------------------------------------------------------------


def _delete_account(ref: tokens.LinkRef, form: FlaskForm) -> Response:
    account_service.delete_account(g.partner, ref, requester())
    sessions.end(session)
    flash(messages.ACCOUNT_DELETED, "success")
    return redirect(url_for("auth.login"), 303)


def _compose_account_deletion_link(job: OutboxJob) -> Composed | None:
    """Mint the link that confirms deleting the account; it goes to the partner's address."""
    partner = _active_partner(job)
    if partner is None or partner.email != job.recipient:
        return None
    tokens.revoke_tokens(partner_id=partner.id, purpose=Purpose.ACCOUNT_DELETION)
    link = mint(ACCOUNT_DELETION, job, email=partner.email, partner_id=partner.id)
    context = content.account_deletion_link_context(
        partner, link.url, link.lifetime, content.who_asked(job)
    )
    return content.compose(
        partner.email,
        "account_deletion_link",
        context,
        link=link.url,
        token_id=link.minted.token.id,
    )


ACCOUNT_DELETION = LinkKind(
    name="account_deletion",
    purpose=Purpose.ACCOUNT_DELETION,
    landing="/partner/account/delete/verify/",
    confirm="/partner/account/delete/confirm",
    audience=Audience.OWNER,
    template="account/confirm_delete.html",
    page_context=lambda link: {},
    redeem=_delete_account,
    messages=LinkMessages(
        invalid=messages.ACCOUNT_LINK_INVALID, no_pending=messages.ACCOUNT_LINK_NO_PENDING
    ),
    failed_endpoint="account.overview",
    failure_action="partner.account_link.failed",
    composers={"account_deletion_link": _compose_account_deletion_link},
)


# -- staff password reset ------------------------------------------------------------


def _reset_password(ref: tokens.LinkRef, form: FlaskForm) -> Response:
    staff_accounts.reset_password(ref, form.password.data, requester())
    # Signed out here too, whoever was signed in on this browser.
    sessions.end(session)
    flash(messages.ADMIN_RESET_DONE, "success")
    return redirect(url_for("admin.login"), 303)


def _compose_admin_password_reset(job: OutboxJob) -> Composed | None:
    """Mint a password reset link if the address belongs to an active admin."""
    admin = db.session.scalar(select(Admin).where(Admin.email == job.recipient))
    if admin is None or not admin.is_active:
        return None
    link = mint(PASSWORD_RESET, job, email=admin.email, admin_id=admin.id)
    context = content.admin_password_reset_context(
        admin, link.url, link.lifetime, content.who_asked(job)
    )
    return content.compose(
        admin.email, "admin_password_reset", context, link=link.url, token_id=link.minted.token.id
    )


PASSWORD_RESET = LinkKind(
    name="password_reset",
    purpose=Purpose.PASSWORD_RESET,
    # Under /admin: the staff session realm, never the partner one.
    landing=f"{ADMIN_PREFIX}/password-reset/",
    confirm=f"{ADMIN_PREFIX}/password-reset/new",
    audience=Audience.ANYONE,
    template="admin/reset_password.html",
    page_context=lambda link: {"email": link.email},
    redeem=_reset_password,
    form=NewPasswordForm,
    messages=LinkMessages(
        invalid=messages.ADMIN_RESET_INVALID,
        expired=messages.ADMIN_RESET_EXPIRED,
        used=messages.ADMIN_RESET_USED,
        revoked=messages.ADMIN_RESET_REVOKED,
        no_pending=messages.ADMIN_RESET_NO_PENDING,
    ),
    failed_endpoint="admin.request_password_reset",
    failure_action="admin.password_reset.failed",
    composers={"admin_password_reset": _compose_admin_password_reset},
)


KINDS: tuple[LinkKind, ...] = (
    LOGIN,
    SIGNUP,
    EMAIL_CHANGE,
    EMAIL_CHANGE_CANCEL,
    ACCOUNT_DELETION,
    PASSWORD_RESET,
)

# Every path whose next segment is a raw token: the log redaction and
# web.safe_next are configured from this at start.
TOKEN_PATHS: tuple[str, ...] = tuple(
    path for kind in KINDS for path in (kind.landing, *kind.also_lands_at)
)

COMPOSERS: dict[str, Compose] = {
    job_kind: compose for kind in KINDS for job_kind, compose in kind.composers.items()
}


# -- routes ----------------------------------------------------------------------------

bp = Blueprint("links", __name__)


def _routes(kind: LinkKind) -> None:
    """Add the three routes of ``kind`` (and its other landings) to the blueprint."""

    def open_view(token: str) -> Response:
        return open_link(kind, token)

    def confirm_view() -> Response:
        return confirm_page(kind)

    def redeem_view() -> Response:
        return redeem_link(kind)

    open_view.__doc__ = f"Open an emailed {kind.name} link: never spends it."
    confirm_view.__doc__ = f"Show what the opened {kind.name} link does, with its button."
    redeem_view.__doc__ = f"Spend the opened {kind.name} link."
    if kind.audience is Audience.OWNER:
        confirm_view = partner_login_required(confirm_view)
        redeem_view = partner_login_required(redeem_view)
    # ``token`` takes the rest of the path, whatever it holds: a mangled link
    # gets the invalid-link answer, not a 404 (see web.LinkTokenConverter).
    bp.add_url_rule(kind.landing + "<token:token>", f"open_{kind.name}", open_view)
    for number, path in enumerate(kind.also_lands_at):
        bp.add_url_rule(path + "<token:token>", f"open_{kind.name}_{number + 1}", open_view)
    bp.add_url_rule(kind.confirm, f"confirm_{kind.name}", confirm_view, methods=["GET"])
    bp.add_url_rule(kind.confirm, f"redeem_{kind.name}", redeem_view, methods=["POST"])


for _kind in KINDS:
    _routes(_kind)


def init_app(app: Flask) -> None:
    """Mount the links' routes."""
    app.register_blueprint(bp)


__all__ = ["KINDS", "TOKEN_PATHS", "Audience", "LinkKind", "public_url"]
