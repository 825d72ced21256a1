"""Forms generated from instrument definitions: build_form(definition, locale, ...) → a WTForms
class with one field per item asked, and the rules for what is shown and kept."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from survey.forms.fields import FACTORIES
from survey.forms_base import Form
from survey.instruments.schema import AnswerValue, InstrumentVersion, Item, Section


def field_name(code: str) -> str:
    """Item codes have dots; field names in HTML and WTForms use double underscores."""
    return code.replace(".", "__")


def item_code(name: str) -> str:
    return name.replace("__", ".")


@dataclass(frozen=True)
class Page:
    """One section of a form at one measurement point: the unit a respondent sees at once."""

    number: int
    section: Section
    items: tuple[Item, ...]


def pages(definition: InstrumentVersion, point: int) -> list[Page]:
    """The sections that have items at this point (a baseline-only section drops out later)."""
    result = []
    for section in definition.sections:
        items = tuple(item for item in section.items if item.asked_at(point))
        if items:
            result.append(Page(len(result) + 1, section, items))
    return result


def build_form(items: Iterable[Item], locale: str) -> type[Form]:
    """A WTForms class with one field per item, labelled in `locale`."""

    class ItemsForm(Form):
        pass

    for item in items:
        setattr(ItemsForm, field_name(item.code), FACTORIES[item.type](item, locale))
    return ItemsForm


def visible(
    definition: InstrumentVersion, answers: Mapping[str, AnswerValue], point: int
) -> set[str]:
    """The item codes a respondent is asked, given the answers so far (conditions in order)."""
    shown: set[str] = set()
    for item in definition.items_at(point):
        if item.show_when is None or (
            item.show_when.item in shown and item.show_when.holds(answers)
        ):
            shown.add(item.code)
    return shown
