"""The base of every form: WTForms' own messages ("This field is required.") go through our
catalog, since WTForms ships no Danish translation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import wtforms
from flask_babel import get_translations, lazy_gettext, lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import Field

# WTForms 3.3 added SelectChoice; types-WTForms (3.2) does not know it yet, so it is Any here.
# Forms import it from this module, so that this is the one place that says so.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # see above

from survey.inputs import DATABASE_INT_MAX


def choices(
    pairs: Iterable[tuple[object, object]], optgroup: str | None = None
) -> list[SelectChoice]:
    """(value, label) pairs as WTForms' SelectChoice objects (tuples are deprecated)."""
    return [SelectChoice(value, str(label), optgroup=optgroup) for value, label in pairs]


def add_error(field: Field, message: str) -> None:
    """Show `message` with `field`'s own errors, as a check after validation found it wrong.

    WTForms types `errors` as a read-only sequence (a tuple until the form is validated)."""
    field.errors = [*field.errors, message]


class IntegerField(wtforms.IntegerField):
    """WTForms' IntegerField for every whole number a form takes: one past the database's
    integer is "Not a valid integer value.", like a word. No item's range or setting comes near
    it, and WTForms' NumberRange fails on a number too large for a float (a few hundred
    digits) with OverflowError, a 500."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not -DATABASE_INT_MAX <= self.data <= DATABASE_INT_MAX:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))


class _CatalogTranslations:
    """What WTForms asks of a translations object, answered from our own catalog."""

    # Translated only: WTForms fills in %(min)s and the like itself.
    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


class Form(FlaskForm):
    class Meta:
        def get_translations(self, form: FlaskForm) -> _CatalogTranslations:
            return _CatalogTranslations()


# WTForms' messages that our forms can show, listed so that extraction puts them in our catalog.
WTFORMS_MESSAGES = (
    lazy_gettext("This field is required."),
    lazy_gettext("Not a valid date value."),
    lazy_gettext("Not a valid integer value."),
    lazy_gettext("Not a valid choice."),
    lazy_gettext("Invalid Choice: could not coerce."),
    lazy_gettext("Invalid choice(s): one or more data inputs could not be coerced."),
    lazy_gettext("Number must be between %(min)s and %(max)s."),
    lazy_gettext("Number must be at least %(min)s."),
    lazy_gettext("Number must be at most %(max)s."),
    lazy_gettext("Field must be equal to %(other_name)s."),
    lazy_gettext("Field must be between %(min)d and %(max)d characters long."),
    lazy_ngettext(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
        1,
    ),
    lazy_ngettext(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        1,
    ),
    lazy_ngettext(
        "'%(value)s' is not a valid choice for this field.",
        "'%(value)s' are not valid choices for this field.",
        1,
    ),
)
