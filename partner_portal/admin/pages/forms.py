"""Forms of the console's status pages, components and incidents."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from ... import messages
from ...models import ComponentStatus, IncidentImpact, IncidentStatus
from ..forms import choices, clean


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
