"""What a respondent is asked: the pages of a form at a point, the show-when rule, and how an
answer reads to a person. Pure functions of the instrument, so forms, the tablet, imports,
exports and the trend all ask the same questions the same way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from survey.instruments.schema import AnswerValue, InstrumentVersion, Item, Section
from survey.instruments.types import ITEM_TYPES


@dataclass(frozen=True)
class Page:
    """One section of a form at one measurement point: the unit a respondent sees at once."""

    number: int
    section: Section
    items: tuple[Item, ...]


def pages(definition: InstrumentVersion, point: int) -> list[Page]:
    """The sections that have items at this point (a baseline-only section drops out later)."""
    result: list[Page] = []
    for section in definition.sections:
        items = tuple(item for item in section.items if item.asked_at(point))
        if items:
            result.append(Page(len(result) + 1, section, items))
    return result


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


def describe(item: Item, value: AnswerValue | None, locale: str) -> str | None:
    """An answer as the respondent saw it (its item type's `describe`); None when unanswered."""
    if value is None:
        return None
    return ITEM_TYPES[item.type].describe(item, value, locale)


def describe_condition(
    definition: InstrumentVersion, item: Item, locale: str
) -> tuple[str, str] | None:
    """The question and answers an item's condition names, for "only if ..." hints."""
    if item.show_when is None:
        return None
    target = definition.item(item.show_when.item)
    return target.text.get(locale), describe(target, item.show_when.values, locale) or ""
