"""Forms around the questionnaire: starting a response, amending an answer."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length

from survey.forms.base import Form


class StartForm(Form):
    administered_on = DateField(
        _l("Date the form was filled in"),
        validators=[InputRequired()],
        description=_l("Today, or the date on the paper form you are entering."),
    )
    how = RadioField(_l("How is the form filled in?"), validators=[InputRequired()])


class AmendForm(Form):
    reason = TextAreaField(
        _l("Why is the answer corrected?"),
        validators=[InputRequired(), Length(max=500)],
        description=_l("For example: the citizen corrected the answer, or it was entered wrong."),
    )
