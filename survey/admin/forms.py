"""Forms for users, teams and the audit filter."""

import math
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    Field,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from survey.admin.services import NAME_MAX, RANGES
from survey.forms.base import Form, IntegerField, SelectChoice
from survey.models import Role
from survey.refusals import Refusal


class CheckboxListField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class AccessFields(Form):
    """A user's access: the administrator capability and one role in each chosen team."""

    is_admin = BooleanField(
        _l("Administrator"),
        description=_l("Users, teams, the audit trail, and import and export of every team."),
    )
    consultant_in = CheckboxListField(
        _l("Resource consultant in"),
        coerce=int,
        description=_l("Fills in forms for the citizens they are responsible for."),
    )
    leader_in = CheckboxListField(
        _l("Project leader in"),
        coerce=int,
        description=_l("Sees every citizen of the team and its reports; changes no answers."),
    )

    def set_team_choices(self, teams: list[SelectChoice]) -> None:
        self.consultant_in.choices = teams
        self.leader_in.choices = teams

    def show_memberships(self, memberships: Mapping[int, Role]) -> None:
        self.consultant_in.data = [t for t, r in memberships.items() if r is Role.CONSULTANT]
        self.leader_in.data = [t for t, r in memberships.items() if r is Role.PROJECT_LEADER]

    def validate_leader_in(self, field: Field) -> None:
        # SelectChoice objects (survey.forms.base.choices); types-WTForms does not know them.
        given: list[Any] = list(self.leader_in.choices or ())
        names = {choice.value: choice.label for choice in given}
        # Only teams that exist: an unknown one is already "not a valid choice".
        both = set(self.consultant_in.data or ()) & set(field.data or ()) & set(names)
        if both:
            raise ValidationError(
                str(Refusal("account.both_roles", teams=", ".join(names[t] for t in sorted(both))))
            )

    def memberships(self) -> dict[int, Role]:
        found = dict.fromkeys(self.consultant_in.data or (), Role.CONSULTANT)
        found.update(dict.fromkeys(self.leader_in.data or (), Role.PROJECT_LEADER))
        return found


class UserForm(AccessFields):
    username = StringField(
        _l("User name"),
        validators=[InputRequired(), Length(max=64)],
        description=_l("Letters, digits and . _ -"),
        render_kw={"autocomplete": "off", "autocapitalize": "none"},
    )
    full_name = StringField(_l("Full name"), validators=[InputRequired(), Length(max=200)])


class UserEditForm(AccessFields):
    full_name = StringField(_l("Full name"), validators=[InputRequired(), Length(max=200)])


PERCENT_MESSAGE = _l(
    "Enter a percent from 0 to 100, or leave the field empty for the programme's target."
)


class PercentField(Field):
    """A share (0.25) typed and shown as a percent: 25, or 12,5 with a comma or a point; empty
    is None (the programme's target)."""

    widget = widgets.TextInput()
    data: float | None

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0] if valuelist else "").strip().removesuffix("%").strip()
        self.data = None
        if not text:
            return
        try:
            percent = float(text.replace(",", "."))
        except ValueError:
            raise ValueError(str(PERCENT_MESSAGE)) from None
        if math.isnan(percent) or not 0 <= percent <= 100:
            raise ValueError(str(PERCENT_MESSAGE))
        self.data = round(percent / 100, 6)

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else f"{self.data * 100:g}"


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
    target_employment = PercentField(
        _l("Employment target (percent)"),
        description=_l(
            "The share of the team's citizens the team aims to see in ordinary employment. "
            "Leave it empty for the programme's target, 20 per cent."
        ),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    target_education = PercentField(
        _l("Education target (percent)"),
        description=_l(
            "The share of the team's citizens the team aims to see start an education. "
            "Leave it empty for the programme's target, 15 per cent."
        ),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )


class AuditFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter

    username = StringField(_l("User name"), validators=[Optional(), Length(max=64)])
    action = SelectField(_l("Action"), validators=[Optional()])
    citizen = StringField(_l("Citizen reference"), validators=[Optional(), Length(max=40)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def validate_date_to(self, field: DateField) -> None:
        start = self.date_from.data if not self.date_from.errors else None
        if start and field.data and field.data < start:
            raise ValidationError(
                Refusal("audit.period_reversed", "date_to", start=start, end=field.data).message()
            )
