"""Forms of the partner sign-in pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, SubmitField
from wtforms.validators import InputRequired, ValidationError

from .. import messages
from ..partners import InvalidEmail, canonical_email


def valid_email(form: FlaskForm, field: EmailField) -> None:
    """Accept only addresses we can send mail to; explain anything else."""
    try:
        canonical_email(field.data or "")
    except InvalidEmail as error:
        raise ValidationError(str(error)) from None


class LoginForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[InputRequired(messages.INVALID_EMAIL), valid_email],
        render_kw={"autocomplete": "email", "autofocus": True, "spellcheck": "false"},
    )
    next = HiddenField()
    submit = SubmitField("Email me a sign-in link")


class ConfirmLinkForm(FlaskForm):
    submit = SubmitField("Sign in")


class LogoutForm(FlaskForm):
    submit = SubmitField("Sign out")
