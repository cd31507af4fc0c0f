"""The audit log's filter form."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import (
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from ...security.audit import Severity
from ..forms import DayField


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
