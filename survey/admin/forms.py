"""Forms for users, teams and the audit filter."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from survey.admin.services import NAME_MAX, RANGES
from survey.forms.base import Form, SelectChoice, choices
from survey.labels import ROLE_LABELS


class CheckboxListField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def role_choices() -> list[SelectChoice]:
    return choices(ROLE_LABELS.items())


class UserForm(Form):
    username = StringField(
        _l("User name"),
        validators=[InputRequired(), Length(max=64)],
        description=_l("Letters, digits and . _ -"),
        render_kw={"autocomplete": "off", "autocapitalize": "none"},
    )
    full_name = StringField(_l("Full name"), validators=[InputRequired(), Length(max=200)])
    role = SelectField(_l("Role"), validators=[InputRequired()])
    teams = CheckboxListField(_l("Teams"), coerce=int)


class UserEditForm(Form):
    full_name = StringField(_l("Full name"), validators=[InputRequired(), Length(max=200)])
    role = SelectField(_l("Role"), validators=[InputRequired()])
    teams = CheckboxListField(_l("Teams"), coerce=int)


class TeamForm(Form):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=NAME_MAX)])
    measurement_interval_months = IntegerField(
        _l("Months between measurements"),
        default=3,
        validators=[InputRequired(), NumberRange(*RANGES["measurement_interval_months"])],
    )
    window_days = IntegerField(
        _l("Window (days before and after the due date)"),
        default=21,
        validators=[InputRequired(), NumberRange(*RANGES["window_days"])],
    )
    suppress_small_cells = BooleanField(
        _l("Hide small numbers in reports"),
        default=True,
        description=_l(
            'Project leaders see counts of 1–4 citizens as "<5" in this team\'s reports.'
        ),
    )


class AuditFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter

    username = StringField(_l("User name"), validators=[Optional(), Length(max=64)])
    action = SelectField(_l("Action"), validators=[Optional()])
    citizen = StringField(_l("Citizen reference"), validators=[Optional(), Length(max=40)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
