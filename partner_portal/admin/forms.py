"""Forms of the admin console. Each validates what it can; the services check the rest."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    EmailField,
    Field,
    HiddenField,
    PasswordField,
    SearchField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, EqualTo, InputRequired, Length, Optional, ValidationError

from .. import clock, messages
from ..auth.forms import valid_email
from ..models import ComponentStatus, IncidentImpact, IncidentStatus
from ..partners import InvalidValue, clean_text
from ..security.audit import Severity
from ..security.passwords import WeakPassword, check_strength


def clean(label: str, max_length: int = 200):  # noqa: ANN201 - a WTForms validator
    """Return a validator applying the directory's text rules (no control characters...)."""

    def validator(form: FlaskForm, field: Field) -> None:
        try:
            clean_text(field.data or "", field=label, max_length=max_length, required=False)
        except InvalidValue as error:
            raise ValidationError(str(error)) from None

    return validator


def strong_password(form: FlaskForm, field: PasswordField) -> None:
    """Refuse passwords the portal will not hash."""
    try:
        check_strength(field.data or "")
    except WeakPassword as error:
        raise ValidationError(str(error)) from None


class DayField(DateField):
    """A YYYY-MM-DD date whose error message comes from the catalogue."""

    def __init__(self, label: str, **kwargs) -> None:  # noqa: ANN003
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(label, **kwargs)

    def process_formdata(self, valuelist: list) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(messages.INVALID_DATE) from None


def not_past(form: FlaskForm, field: DayField) -> None:
    """Refuse a last day of access that is already over."""
    if field.data is not None and field.data < clock.now().date():
        raise ValidationError(messages.DATE_IN_PAST)


def choices(enum_class: type, exclude: tuple = ()) -> list[SelectChoice]:
    """Return the options of a select listing an enum's members."""
    return [
        SelectChoice(member.value, member.label) for member in enum_class if member not in exclude
    ]


# -- staff sign-in -------------------------------------------------------------


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


class ButtonForm(FlaskForm):
    """A form that is only a button (and its CSRF token): sign out, confirm, reactivate..."""

    submit = SubmitField("Confirm")


# -- partners ----------------------------------------------------------------


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


# -- status pages ------------------------------------------------------------


class PageForm(FlaskForm):
    slug = StringField(
        "Slug (in the page's address)",
        validators=[InputRequired(messages.REQUIRED), Length(max=64)],
        render_kw={"spellcheck": "false"},
    )
    name = StringField("Name", validators=[InputRequired(messages.REQUIRED), clean("Name")])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Create page")


class PageEditForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(messages.REQUIRED), clean("Name")])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Save")


class ComponentForm(FlaskForm):
    name = StringField(
        "Component name",
        validators=[InputRequired(messages.REQUIRED), clean("Component name")],
    )
    status = SelectField("Status", choices=choices(ComponentStatus))
    submit = SubmitField("Save")


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(["up", "down"])])
    submit = SubmitField("Move")


class IncidentForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired(messages.REQUIRED), clean("Title")])
    impact = SelectField("Impact", choices=choices(IncidentImpact), default="minor")
    status = SelectField(
        "Status", choices=choices(IncidentStatus, exclude=(IncidentStatus.RESOLVED,))
    )
    message = TextAreaField(
        "First update for partners",
        validators=[InputRequired(messages.REQUIRED), Length(max=5000)],
    )
    submit = SubmitField("Open incident")


class IncidentEditForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired(messages.REQUIRED), clean("Title")])
    impact = SelectField("Impact", choices=choices(IncidentImpact))
    submit = SubmitField("Save")


class IncidentUpdateForm(FlaskForm):
    status = SelectField(
        "Status", choices=choices(IncidentStatus, exclude=(IncidentStatus.RESOLVED,))
    )
    message = TextAreaField(
        "Message", validators=[InputRequired(messages.REQUIRED), Length(max=5000)]
    )
    submit = SubmitField("Post update")


class ResolveForm(FlaskForm):
    message = TextAreaField(
        "Closing message",
        default="This incident has been resolved.",
        validators=[InputRequired(messages.REQUIRED), Length(max=5000)],
    )
    submit = SubmitField("Resolve incident")


# -- audit log ---------------------------------------------------------------


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # filters are read from a GET; the export POST has its own form

    action = StringField("Action (or its beginning)", validators=[Optional(), Length(max=64)])
    partner = StringField("Partner (email or id)", validators=[Optional(), Length(max=320)])
    admin = StringField("Admin (email or id)", validators=[Optional(), Length(max=320)])
    severity = SelectField(
        "Severity",
        choices=[SelectChoice("", "Any")]
        + [SelectChoice(s.value, s.value.capitalize()) for s in Severity],
        default="",
    )
    since = DayField("From (day)", validators=[Optional()])
    until = DayField("To (day, inclusive)", validators=[Optional()])

    def validate_until(self, field: DayField) -> None:
        """Refuse a range that ends before it starts."""
        since: date | None = self.since.data
        if field.data is not None and since is not None and field.data < since:
            raise ValidationError("The end day is before the start day.")
