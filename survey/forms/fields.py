"""One small field factory per item type; a registry checked at start-up covers every type."""

from __future__ import annotations

from collections.abc import Callable

from wtforms import (
    DateField,
    Field,
    RadioField,
    SelectMultipleField,
    TextAreaField,
    widgets,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from survey.forms.base import IntegerField, SelectChoice, choices
from survey.instruments.schema import Item, ItemType

FieldFactory = Callable[[Item, str], Field]


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _validators(item: Item) -> list:
    return [InputRequired() if item.required else Optional()]


def _choices(item: Item, locale: str) -> list[SelectChoice]:
    return choices((option.code, option.label.get(locale)) for option in item.answers)


def single_choice(item: Item, locale: str) -> Field:
    return RadioField(
        item.text.get(locale),
        choices=_choices(item, locale),
        coerce=int,
        validators=_validators(item),
    )


def multiple_choice(item: Item, locale: str) -> Field:
    return CheckboxesField(
        item.text.get(locale),
        choices=_choices(item, locale),
        coerce=int,
        validators=_validators(item),
    )


def integer(item: Item, locale: str) -> Field:
    return IntegerField(
        item.text.get(locale),
        validators=[*_validators(item), NumberRange(min=item.min, max=item.max)],
        render_kw={"inputmode": "numeric", "min": item.min, "max": item.max},
    )


def date(item: Item, locale: str) -> Field:
    return DateField(item.text.get(locale), validators=_validators(item))


def text(item: Item, locale: str) -> Field:
    return TextAreaField(
        item.text.get(locale),
        validators=[*_validators(item), Length(max=item.text_limit)],
        render_kw={"maxlength": item.text_limit, "rows": 4},
    )


FACTORIES: dict[ItemType, FieldFactory] = {
    ItemType.SINGLE_CHOICE: single_choice,
    ItemType.MULTIPLE_CHOICE: multiple_choice,
    ItemType.INTEGER: integer,
    ItemType.DATE: date,
    ItemType.TEXT: text,
}


def check_registry() -> None:
    """Every item type the loader accepts has a field factory (run at start-up)."""
    missing = set(ItemType) - set(FACTORIES)
    if missing:
        raise RuntimeError(f"no form field for item types: {sorted(missing)}")
