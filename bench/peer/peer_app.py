"""The peer: Flask-Security-Too 5.9.2's magic-link sign-in, as its documentation sets it up.

Not part of the portal and never imported by it: ``make bench`` serves it from
its own virtualenv (bench/peer/.venv, bench/peer/requirements.txt) under the
same gunicorn settings as the portal, on the same 1,000 users. Two modes
(``PEER_MODE``), each its own server:

- ``unified``: unified sign-in (``SECURITY_UNIFIED_SIGNIN``) with only the
  email method: ``/us-signin`` asks for an email address, ``/us-signin/send-code``
  mails a code and a magic link, ``/us-verify-link?id=...&code=...`` signs in.
- ``passwordless``: the legacy passwordless sign-in (deprecated since 5.0):
  ``/login`` asks for an email address and mails a link, ``/login/<token>`` signs in.

Both: the SQLAlchemy user datastore with FST's own models (fsqla_v3), Flask's
signed-cookie session, CSRF on every form (FST's forms are Flask-WTF forms),
mail sent in the request through Flask-Mailman (FST's default), and
``/account``, a signed-in page about the size of the ceiling's page.
"""

from __future__ import annotations

import os
import warnings

from flask import Flask, render_template
from flask_mailman import Mail
from flask_security import Security, SQLAlchemyUserDatastore, auth_required, current_user
from flask_security.models import fsqla_v3 as fsqla
from flask_sqlalchemy import SQLAlchemy

MODE = os.environ.get("PEER_MODE", "unified")
if MODE not in ("unified", "passwordless"):
    raise SystemExit(f"PEER_MODE must be unified or passwordless, not {MODE!r}")

db = SQLAlchemy()
fsqla.FsModels.set_db_info(db)


class Role(db.Model, fsqla.FsRoleMixin):
    """A role (FST's model; the benchmark gives nobody one)."""


class User(db.Model, fsqla.FsUserMixin):
    """A user (FST's model: fs_uniquifier, us_totp_secrets, ...)."""


app = Flask(__name__, template_folder=os.path.join(os.path.dirname(__file__), "templates"))
app.config.update(
    SECRET_KEY=os.environ["SECRET_KEY"],
    SECURITY_PASSWORD_SALT=os.environ["PEER_PASSWORD_SALT"],
    # Encrypts each user's TOTP secret at rest (the unified sign-in codes).
    SECURITY_TOTP_SECRETS={"1": os.environ["PEER_TOTP_SECRET"]},
    SECURITY_TOTP_ISSUER="Peer bench",
    SECURITY_POST_LOGIN_VIEW="/account",
    SECURITY_EMAIL_SENDER="no-reply@bench.example",
    SQLALCHEMY_DATABASE_URI=os.environ["DATABASE_URL"],
    SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
    MAIL_SERVER=os.environ.get("MAIL_SERVER", "127.0.0.1"),
    MAIL_PORT=int(os.environ.get("MAIL_PORT", "25")),
    MAIL_USE_TLS=False,
    SESSION_COOKIE_SECURE=True,
    SESSION_COOKIE_SAMESITE="Lax",
)
if MODE == "unified":
    app.config.update(SECURITY_UNIFIED_SIGNIN=True, SECURITY_US_ENABLED_METHODS=["email"])
else:
    app.config.update(SECURITY_PASSWORDLESS=True)
    warnings.filterwarnings("ignore", "The passwordless feature was deprecated")

db.init_app(app)
Mail(app)
user_datastore = SQLAlchemyUserDatastore(db, User, Role)
security = Security(app, user_datastore)


@app.get("/account")
@auth_required("session")
def account() -> str:
    """Render the signed-in user's page: their email address, one template."""
    return render_template("account.html", user=current_user)
