"""Forms of the account page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, SubmitField
from wtforms.validators import InputRequired

from .. import messages
from ..auth.forms import valid_email


class ChangeEmailForm(FlaskForm):
    new_email = EmailField(
        "New email address",
        validators=[InputRequired(messages.INVALID_EMAIL), valid_email],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )
    submit = SubmitField("Send a confirmation link")


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token travels with it."""

    submit = SubmitField()
