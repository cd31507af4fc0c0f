"""Forms of the console's partner pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    EmailField,
    SearchField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import InputRequired, Length, Optional

from ... import messages
from ...auth.forms import valid_email
from ..forms import DayField, clean, not_past


class PartnerSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField("Search by email, name or company", validators=[Optional(), Length(max=200)])


class PartnerForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[InputRequired(messages.INVALID_EMAIL), valid_email],
        render_kw={"spellcheck": "false"},
    )
    name = StringField("Name", validators=[InputRequired(messages.REQUIRED), clean("Name")])
    company = StringField("Company", validators=[Optional(), clean("Company")])
    submit = SubmitField("Create partner")


class InviteForm(PartnerForm):
    submit = SubmitField("Send invitation")


class PartnerEditForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(messages.REQUIRED), clean("Name")])
    company = StringField("Company", validators=[Optional(), clean("Company")])
    submit = SubmitField("Save")


class GrantForm(FlaskForm):
    """Grant one partner one page; the page or the partner is fixed by the page it is on."""

    partner_id = SelectField("Partner", coerce=int, validate_choice=True)
    page_id = SelectField("Status page", coerce=int, validate_choice=True)
    until = DayField("Last day of access (optional)", validators=[Optional(), not_past])
    submit = SubmitField("Grant access")


class ImportForm(FlaskForm):
    file = FileField("CSV file")
    submit = SubmitField("Import partners")
