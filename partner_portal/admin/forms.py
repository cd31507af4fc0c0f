"""Forms of the admin console. Each validates what it can; the services check the rest."""

from __future__ import annotations

from enum import StrEnum

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Field,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from .. import clock, messages
from ..partners import InvalidValue, clean_text


def clean(label: str, max_length: int = 200):  # noqa: ANN201 - a WTForms validator
    """Return a validator applying the directory's text rules (no control characters...)."""

    def validator(form: FlaskForm, field: Field) -> None:
        try:
            clean_text(field.data or "", field=label, max_length=max_length, required=False)
        except InvalidValue as error:
            raise ValidationError(str(error)) from None

    return validator


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


def choices(enum_class: type[StrEnum], exclude: tuple[StrEnum, ...] = ()) -> list[SelectChoice]:
    """Return the options of a select listing an enum's members."""
    return [
        SelectChoice(member.value, getattr(member, "label", member.value))
        for member in enum_class
        if member not in exclude
    ]


class ButtonForm(FlaskForm):
    """A form that is only a button (and its CSRF token): sign out, confirm, reactivate..."""

    submit = SubmitField("Confirm")
