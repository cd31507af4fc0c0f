"""Forms of staff sign-in, second factors, step-up, password reset and staff accounts."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from ... import messages
from ...auth.forms import valid_email
from ...models import Role
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


class SecondFactorForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[InputRequired(messages.SECOND_FACTOR_CODE_REQUIRED), Length(max=64)],
        render_kw={
            "autocomplete": "one-time-code",
            "autofocus": True,
            "spellcheck": "false",
            "autocapitalize": "characters",
        },
    )
    submit = SubmitField("Continue")


class TotpConfirmForm(FlaskForm):
    code = StringField(
        "Code from the app",
        validators=[InputRequired(messages.SECOND_FACTOR_CODE_REQUIRED), Length(max=64)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"},
    )
    submit = SubmitField("Confirm and turn on")


class PasswordCheckForm(FlaskForm):
    password = PasswordField(
        "Your password",
        validators=[InputRequired(messages.REQUIRED), Length(max=1024)],
        render_kw={"autocomplete": "current-password", "autofocus": True},
    )
    submit = SubmitField("Continue")


def role_choices() -> list[SelectChoice]:
    """Return the roles as select options, most powerful first."""
    return [SelectChoice(role.value, role.label) for role in reversed(Role)]


class InviteStaffForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[InputRequired(messages.INVALID_EMAIL), valid_email],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    role = SelectField("Role", choices=role_choices(), default=Role.VIEWER.value)
    submit = SubmitField("Send the invitation")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=role_choices())
    submit = SubmitField("Change the role")
