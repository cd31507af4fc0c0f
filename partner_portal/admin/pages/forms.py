"""Forms of the console's status pages, components and incidents."""

from __future__ import annotations

from datetime import UTC

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ... import messages
from ...models import ComponentStatus, IncidentImpact, IncidentStatus
from ..forms import choices, clean


class ComponentsField(SelectMultipleField):
    """The page's components as checkboxes (none ticked: the whole page)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label: str = "Affected components", **kwargs) -> None:  # noqa: ANN003
        kwargs.setdefault("coerce", int)
        kwargs.setdefault("validators", [Optional()])
        super().__init__(label, **kwargs)


class UTCTimeField(DateTimeLocalField):
    """A date and time typed in UTC (the browser's datetime-local input), read back aware."""

    def __init__(self, label: str, **kwargs) -> None:  # noqa: ANN003
        kwargs.setdefault("format", "%Y-%m-%dT%H:%M")
        kwargs.setdefault("validators", [InputRequired(messages.INVALID_TIME)])
        super().__init__(label, **kwargs)

    def process_formdata(self, valuelist: list) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(messages.INVALID_TIME) from None
        if self.data is not None:
            self.data = self.data.replace(tzinfo=UTC)


def component_status_choices(blank: str) -> list[SelectChoice]:
    """Return a status select's options, the first leaving the components as they are."""
    return [SelectChoice("", blank), *choices(ComponentStatus)]


def with_components(form: FlaskForm, components: list) -> FlaskForm:  # noqa: ANN001
    """Give a form's components field the page's components as choices; return the form."""
    form.components.choices = [
        SelectChoice(component.id, component.name) for component in components
    ]
    return form


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
    components = ComponentsField()
    component_status = SelectField(
        "Set the affected components to",
        choices=component_status_choices("Leave them as they are"),
        default="",
    )
    message = TextAreaField(
        "First update for partners",
        validators=[InputRequired(messages.REQUIRED), Length(max=5000)],
    )
    notify = BooleanField("Notify partners", default=True)
    submit = SubmitField("Open incident")


class IncidentEditForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired(messages.REQUIRED), clean("Title")])
    impact = SelectField("Impact", choices=choices(IncidentImpact))
    components = ComponentsField()
    submit = SubmitField("Save")


class IncidentUpdateForm(FlaskForm):
    status = SelectField(
        "Status", choices=choices(IncidentStatus, exclude=(IncidentStatus.RESOLVED,))
    )
    component_status = SelectField(
        "Set the affected components to",
        choices=component_status_choices("Leave them as they are"),
        default="",
    )
    message = TextAreaField(
        "Message", validators=[InputRequired(messages.REQUIRED), Length(max=5000)]
    )
    notify = BooleanField("Notify partners", default=True)
    submit = SubmitField("Post update")


class ResolveForm(FlaskForm):
    message = TextAreaField(
        "Closing message",
        default="This incident has been resolved.",
        validators=[InputRequired(messages.REQUIRED), Length(max=5000)],
    )
    component_status = SelectField(
        "Set the affected components to",
        choices=component_status_choices("Operational (the default)"),
        default="",
    )
    notify = BooleanField("Notify partners", default=True)
    submit = SubmitField("Resolve incident")


class MaintenanceForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired(messages.REQUIRED), clean("Title")])
    start = UTCTimeField("Start (UTC)")
    end = UTCTimeField("End (UTC)")
    components = ComponentsField()
    message = TextAreaField("Message for partners", validators=[Optional(), Length(max=5000)])
    notify = BooleanField("Notify partners", default=True)
    submit = SubmitField("Schedule maintenance")


class ExtendForm(FlaskForm):
    end = UTCTimeField("New end (UTC)")
    submit = SubmitField("Extend")


class MaintenanceUpdateForm(FlaskForm):
    message = TextAreaField(
        "Message", validators=[InputRequired(messages.REQUIRED), Length(max=5000)]
    )
    notify = BooleanField("Notify partners", default=True)
    submit = SubmitField("Post update")
