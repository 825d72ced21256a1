"""Answer values between Python and storage: one text per value, several for multiple choice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TypeGuard

from survey.instruments.schema import AnswerValue, Item, ItemType


class AnswerValueError(ValueError):
    """A value that does not fit its item; the message names the item and what is wrong."""


def check(item: Item, value: AnswerValue) -> AnswerValue:
    """The value, if it fits the item's type, answer codes and range; else AnswerValueError."""
    if item.type is ItemType.SINGLE_CHOICE:
        if not _is_int(value) or item.option(value) is None:
            raise AnswerValueError(f"{item.code}: {value!r} is not one of {list(item.codes)}")
    elif item.type is ItemType.MULTIPLE_CHOICE:
        if not isinstance(value, tuple) or not value:
            raise AnswerValueError(f"{item.code}: expected one or more answer codes")
        for code in value:
            if not _is_int(code) or item.option(code) is None:
                raise AnswerValueError(f"{item.code}: {code!r} is not one of {list(item.codes)}")
        if len(set(value)) != len(value):
            raise AnswerValueError(f"{item.code}: an answer code is given twice")
    elif item.type is ItemType.INTEGER:
        if not _is_int(value) or not (item.min <= value <= item.max):  # type: ignore[operator]
            raise AnswerValueError(
                f"{item.code}: {value!r} is not a whole number from {item.min} to {item.max}"
            )
    elif item.type is ItemType.DATE:
        if not isinstance(value, date) or isinstance(value, datetime):
            raise AnswerValueError(f"{item.code}: {value!r} is not a date")
    elif not isinstance(value, str) or not value.strip() or len(value) > item.text_limit:
        raise AnswerValueError(f"{item.code}: expected a text of 1 to {item.text_limit} characters")
    return value


def encode(item: Item, value: AnswerValue) -> list[str]:
    """The stored texts of a checked value, in order (one per chosen code for multiple choice)."""
    check(item, value)
    if item.type is ItemType.MULTIPLE_CHOICE:
        return [str(code) for code in value]  # type: ignore[union-attr]
    if item.type is ItemType.DATE:
        return [value.isoformat()]  # type: ignore[union-attr]
    return [str(value)]


def decode(item: Item, stored: Sequence[str]) -> AnswerValue:
    """The Python value of stored texts (as `encode` wrote them)."""
    if item.type is ItemType.MULTIPLE_CHOICE:
        return tuple(int(text) for text in stored)
    (text,) = stored
    if item.is_choice or item.type is ItemType.INTEGER:
        return int(text)
    if item.type is ItemType.DATE:
        return date.fromisoformat(text)
    return text


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
