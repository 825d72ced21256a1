"""Answer values as the interchange files write them: codes and numbers as decimal text, dates as
ISO text, several multiple-choice codes separated by ";", free text as is, empty = unanswered."""

from __future__ import annotations

from collections.abc import Sequence

from survey.instruments.cells import parse_date, parse_int
from survey.instruments.schema import AnswerValue, Item, ItemType
from survey.interop.csvio import MULTIPLE_SEPARATOR, _, guard, shown, unguard

__all__ = ["BadValue", "cell", "parse", "parse_date", "parse_int"]


class BadValue(ValueError):
    """A value that does not fit its item; the message is for the person who wrote the file and
    never repeats a free text or a CPR-like number (they may hold personal details)."""


def parse(item: Item, raw: str) -> AnswerValue | None:
    """The value of one file cell for `item`, None when it is empty (not answered). A text
    loses the ' that `cell` put before a formula-like start."""
    if not raw.strip():
        return None
    if item.type is ItemType.TEXT:
        raw = unguard(raw)
        if len(raw) > item.text_limit:
            raise BadValue(
                _(
                    "the text of %(item)s is longer than %(limit)s characters.",
                    item=item.code,
                    limit=item.text_limit,
                )
            )
        return raw
    if item.type is ItemType.DATE:
        day = parse_date(raw)
        if day is None:
            raise BadValue(
                _(
                    "%(value)s is not a date (YYYY-MM-DD) for %(item)s.",
                    value=shown(raw),
                    item=item.code,
                )
            )
        return day
    if item.type is ItemType.INTEGER:
        number = parse_int(raw)
        if number is None or not (item.min <= number <= item.max):  # type: ignore[operator]
            raise BadValue(
                _(
                    "%(value)s is not a whole number from %(min)s to %(max)s for %(item)s.",
                    value=shown(raw),
                    min=item.min,
                    max=item.max,
                    item=item.code,
                )
            )
        return number
    parts = raw.split(MULTIPLE_SEPARATOR) if item.type is ItemType.MULTIPLE_CHOICE else [raw]
    codes = []
    for part in parts:
        code = parse_int(part)
        if code is None or item.option(code) is None:
            raise BadValue(
                _(
                    "%(value)s is not one of the answer codes of %(item)s (%(codes)s).",
                    value=shown(part),
                    item=item.code,
                    codes=", ".join(str(c) for c in item.codes),
                )
            )
        codes.append(code)
    if item.type is ItemType.SINGLE_CHOICE:
        if len(codes) != 1:
            raise BadValue(_("%(item)s takes one answer code.", item=item.code))
        return codes[0]
    if len(set(codes)) != len(codes):
        raise BadValue(_("an answer code of %(item)s is given twice.", item=item.code))
    return tuple(codes)


def cell(item: Item | None, stored: Sequence[str]) -> str:
    """The CSV cell of stored answer texts (in position order): the reverse of `parse`. A free
    text is guarded against being run as a formula; codes, numbers and dates need not be."""
    if not stored:
        return ""
    if item is not None and item.type is ItemType.MULTIPLE_CHOICE:
        return MULTIPLE_SEPARATOR.join(stored)
    if item is None or item.type is ItemType.TEXT:
        return guard(stored[0])
    return stored[0]
