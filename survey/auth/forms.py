"""Login and password forms."""

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from survey.auth.pins import pin_problems
from survey.forms.base import Form
from survey.refusals import Refusal


class LoginForm(Form):
    username = StringField(
        _l("User name"),
        validators=[InputRequired(), Length(max=64)],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class PasswordChangeForm(Form):
    current = PasswordField(
        _l("Current password"),
        validators=[InputRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new = PasswordField(
        _l("New password"),
        validators=[InputRequired(), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )
    repeat = PasswordField(
        _l("Repeat the new password"),
        validators=[InputRequired(), EqualTo("new", message=_l("The two new passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class NewPinForm(Form):
    """The PIN alone: for a user of single sign-on who has just signed in (no password here)."""

    pin = PasswordField(
        _l("New PIN (6 to 12 digits)"),
        validators=[InputRequired(), Length(max=12, message=_l("Use 6 to 12 digits."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )

    def validate_pin(self, field: PasswordField) -> None:
        """One rule for PINs, in survey.auth.pins; here only its words."""
        problems = pin_problems(field.data or "")
        if problems:
            raise ValidationError(str(Refusal(f"pin.{problems[0]}")))


class PinForm(NewPinForm):
    password = PasswordField(
        _l("Your password"),
        validators=[InputRequired()],
        render_kw={"autocomplete": "current-password"},
    )
