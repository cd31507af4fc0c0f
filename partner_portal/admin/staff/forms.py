"""Forms of staff sign-in and password reset."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    PasswordField,
    SubmitField,
)
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from ... import messages
from ...auth.forms import valid_email
from ...security.passwords import WeakPassword, check_strength


def strong_password(form: FlaskForm, field: PasswordField) -> None:
    """Refuse passwords the portal will not hash."""
    try:
        check_strength(field.data or "")
    except WeakPassword as error:
        raise ValidationError(str(error)) from None


class AdminLoginForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[InputRequired(messages.INVALID_EMAIL), Length(max=320)],
        render_kw={"autocomplete": "username", "autofocus": True, "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired(messages.REQUIRED)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()
    submit = SubmitField("Sign in")


class PasswordResetRequestForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[InputRequired(messages.INVALID_EMAIL), valid_email],
        render_kw={"autocomplete": "username", "autofocus": True, "spellcheck": "false"},
    )
    submit = SubmitField("Email me a reset link")


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[InputRequired(messages.PASSWORD_TOO_SHORT), strong_password],
        render_kw={"autocomplete": "new-password", "autofocus": True},
    )
    confirm = PasswordField(
        "New password, again",
        validators=[
            InputRequired(messages.PASSWORDS_DIFFER),
            EqualTo("password", messages.PASSWORDS_DIFFER),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Set the new password")
