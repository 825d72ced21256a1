"""Forms generated from instrument definitions: build_form(items, locale) → a WTForms class with
one field per item. What is asked and shown is the instrument's rule (`instruments.asking`)."""

from __future__ import annotations

from collections.abc import Iterable

from survey.forms.base import Form
from survey.forms.fields import FACTORIES
from survey.instruments.schema import Item


def field_name(code: str) -> str:
    """Item codes have dots; field names in HTML and WTForms use double underscores."""
    return code.replace(".", "__")


def item_code(name: str) -> str:
    return name.replace("__", ".")


def build_form(items: Iterable[Item], locale: str) -> type[Form]:
    """A WTForms class with one field per item, labelled in `locale`."""

    class ItemsForm(Form):
        pass

    for item in items:
        setattr(ItemsForm, field_name(item.code), FACTORIES[item.type](item, locale))
    return ItemsForm
