"""Set up the peer's database and mint its sign-in links (run with bench/peer/.venv/bin/python).

    python manage.py create USERS_TSV     # tables + one user per line "email<TAB>0|1" (active)
    python manage.py links OUT_FILE       # one magic-link path per active user, in id order

``links`` mints what each mode mails: unified sign-in a ``/us-verify-link`` with
a TOTP code (valid for SECURITY_US_TOKEN_VALIDITY, 120 s, around now: mint it
right before it is used), passwordless a ``/login/<token>`` (valid a day).
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from flask_security import url_for_security
from flask_security.passwordless import generate_login_token
from peer_app import MODE, User, app, db, security, user_datastore

# Decrypting or encrypting a TOTP secret is a PBKDF2 (2**14 rounds, ~9 ms) that
# releases the GIL: two threads halve the wait between benchmark runs.
THREADS = 2


def create(users_file: Path) -> None:
    """Create the tables and the users, each with the unified sign-in email method set up."""
    rows = [line.split("\t") for line in users_file.read_text().splitlines() if line]
    with ThreadPoolExecutor(THREADS) as pool:
        secrets = list(pool.map(lambda _: security.totp_factory.generate_totp_secret(), rows))
    with app.app_context():
        db.drop_all()
        db.create_all()
        for (email, active), secret in zip(rows, secrets, strict=True):
            user = user_datastore.create_user(email=email, active=active.strip() == "1")
            # What /us-setup would store after the user confirmed the email method.
            user_datastore.us_set(user, "email", totp_secret=secret)
        db.session.commit()
    print(f"peer: {len(rows)} users")


def links(out_file: Path) -> None:
    """Write the path of a fresh magic link for every active user, one a line."""
    with app.app_context():
        users = db.session.scalars(db.select(User).filter_by(active=True).order_by(User.id)).all()
        if MODE == "unified":
            secrets = [user_datastore.us_get_totp_secrets(user)["email"] for user in users]
            with ThreadPoolExecutor(THREADS) as pool:
                codes = list(pool.map(security.totp_factory.generate_totp_password, secrets))
        with app.test_request_context():
            if MODE == "unified":
                paths = [
                    url_for_security("us_verify_link", id=user.fs_uniquifier, code=code)
                    for user, code in zip(users, codes, strict=True)
                ]
            else:
                paths = [
                    url_for_security("token_login", token=generate_login_token(user))
                    for user in users
                ]
    out_file.write_text("\n".join(paths) + "\n")


if __name__ == "__main__":
    command, argument = sys.argv[1:3]
    {"create": create, "links": links}[command](Path(argument))
