"""Forms for enrolment, transfer, course end and reopening."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.validators import InputRequired, Length

from survey.forms.base import Form, SelectChoice, choices
from survey.labels import REASON_LABELS
from survey.models import STATUS_REASONS, CourseStatus

DATE_HINT = _l("For example 2026-03-31")


class EnrolForm(Form):
    reference = StringField(
        _l("Citizen reference"),
        validators=[InputRequired(), Length(max=40)],
        description=_l("The pseudonymous reference the municipality assigned. Never a CPR number."),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    enrolled_on = DateField(_l("Enrolment date"), validators=[InputRequired()])
    team = SelectField(_l("Team"), coerce=int, validators=[InputRequired()])
    consultant = SelectField(_l("Resource consultant"), coerce=int, validators=[InputRequired()])


class TransferForm(Form):
    consultant = SelectField(
        _l("New resource consultant"), coerce=int, validators=[InputRequired()]
    )
    on = DateField(_l("Transferred on"), validators=[InputRequired()])


def reason_choices() -> list[SelectChoice]:
    """One list, grouped by planned and unplanned: the reason decides the kind of end."""
    groups = {
        CourseStatus.ENDED_PLANNED: _l("Planned end"),
        CourseStatus.ENDED_UNPLANNED: _l("Unplanned end"),
    }
    return [
        option
        for status, label in groups.items()
        for option in choices(
            (
                (f"{status.value}:{reason}", REASON_LABELS[reason])
                for reason in STATUS_REASONS[status]
            ),
            optgroup=str(label),
        )
    ]


class EndForm(Form):
    reason = SelectField(_l("Why did the course end?"), validators=[InputRequired()])
    ended_on = DateField(_l("End date"), validators=[InputRequired()])


class ReopenForm(Form):
    on = DateField(_l("Reopened on"), validators=[InputRequired()])
