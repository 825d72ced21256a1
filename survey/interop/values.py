"""Answer values as the interchange files write them: codes and numbers as decimal text, dates as
ISO text, several multiple-choice codes separated by ";", free text as is, empty = unanswered.
Each item type reads and writes its own cells (survey.instruments.types); here they meet the
files' language and the masking of what a message repeats."""

from __future__ import annotations

from collections.abc import Sequence

from survey.instruments.cells import CellProblem, parse_date, parse_int
from survey.instruments.schema import AnswerValue, Item
from survey.instruments.types import ITEM_TYPES
from survey.interop.csvio import guard, shown
from survey.refusals import say as _

__all__ = ["BadValue", "cell", "parse", "parse_date", "parse_int"]


class BadValue(ValueError):
    """A value that does not fit its item; the message is for the person who wrote the file and
    never repeats a free text or a CPR-like number (they may hold personal details)."""


def parse(item: Item, raw: str) -> AnswerValue | None:
    """The value of one file cell for `item`, None when it is empty (not answered). A text
    loses the ' that `cell` put before a formula-like start."""
    if not raw.strip():
        return None
    try:
        return ITEM_TYPES[item.type].read_cell(item, raw)
    except CellProblem as problem:
        raise BadValue(_(problem.message.msgid, **problem.params(shown))) from None


def cell(item: Item | None, stored: Sequence[str]) -> str:
    """The CSV cell of stored answer texts (in position order): the reverse of `parse`. A free
    text is guarded against being run as a formula; codes, numbers and dates need not be. A cell
    of no known item is guarded as a text."""
    if not stored:
        return ""
    if item is None:
        return guard(stored[0])
    return ITEM_TYPES[item.type].write_cell(item, stored)
