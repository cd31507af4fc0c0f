"""Forms of the partner sign-in pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, StringField, SubmitField
from wtforms.validators import InputRequired, ValidationError

from .. import messages
from ..partners import InvalidEmail, canonical_email
from ..security import codes


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


def code_shape(form: FlaskForm, field: StringField) -> None:
    """Refuse what cannot be a code before it costs a try (or a database query)."""
    if not codes.is_well_formed(field.data or ""):
        raise ValidationError(messages.CODE_INVALID)


class CodeForm(FlaskForm):
    code = StringField(
        "Code from the email",
        validators=[InputRequired(messages.CODE_REQUIRED), code_shape],
        render_kw={
            "autocomplete": "one-time-code",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "maxlength": 20,
        },
    )
    submit = SubmitField("Sign in with the code")


class ConfirmLinkForm(FlaskForm):
    submit = SubmitField("Sign in")


class FreshLinkForm(FlaskForm):
    submit = SubmitField(messages.LINK_FRESH_OFFER)


class LogoutForm(FlaskForm):
    submit = SubmitField("Sign out")
