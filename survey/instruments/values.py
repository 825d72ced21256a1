"""Answer values to the texts the database stores and back; each item type's own rules are its
class's facets in survey.instruments.types."""

from __future__ import annotations

from collections.abc import Sequence

from survey.instruments.schema import AnswerValue, Item
from survey.instruments.types import ITEM_TYPES, AnswerValueError

__all__ = ["AnswerValueError", "check", "decode", "encode"]


def check(item: Item, value: AnswerValue) -> AnswerValue:
    """The value, if it fits the item's type, answer codes and range; else AnswerValueError."""
    return ITEM_TYPES[item.type].check(item, value)


def encode(item: Item, value: AnswerValue) -> list[str]:
    """The stored texts of a checked value, in order (one per chosen code for multiple choice)."""
    return ITEM_TYPES[item.type].encode(item, value)


def decode(item: Item, stored: Sequence[str]) -> AnswerValue:
    """The Python value of stored texts (as `encode` wrote them)."""
    return ITEM_TYPES[item.type].decode(item, stored)
