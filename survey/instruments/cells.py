"""The interchange files' cell format, as far as answer values need it: codes and numbers as
decimal text, dates as ISO text, several codes separated by ";", free text guarded against
being run as a formula. Kept free of Flask so each item type (survey.instruments.types) can
read and write its own cells; survey.interop.csvio re-exports what the rest of interop uses.

A refused cell raises `CellProblem` with its message not yet translated: `_` here only marks
the message for Babel's extraction (the msgid is the same as when interop translated it
itself), and the caller translates it with the request's language."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

MULTIPLE_SEPARATOR = ";"
"""Between the codes of a multiple-choice answer, whatever the file's delimiter (in a
semicolon file the field is quoted, which the csv module does on both ends)."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes Excel (and LibreOffice) read a CSV cell as a formula."""

_INTEGER = re.compile(r"^[+-]?\d+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _formula_like(text: str) -> bool:
    return text.lstrip("'").startswith(FORMULA_STARTS)


def guard(text: str) -> str:
    """A free text as a CSV cell that no spreadsheet runs as a formula: one ' before a text that
    starts with = + - @ tab or CR, also when quotes precede it, so that `unguard` is exact."""
    return "'" + text if _formula_like(text) else text


def unguard(text: str) -> str:
    """The reverse of `guard`, for the cells of people's texts in an imported file."""
    return text[1:] if text.startswith("'") and _formula_like(text[1:]) else text


def parse_date(text: str) -> date | None:
    """An ISO YYYY-MM-DD date, or None (Python also reads 20260101, which the format does not)."""
    text = text.strip()
    if not _ISO_DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_int(text: str) -> int | None:
    text = text.strip()
    return int(text) if _INTEGER.match(text) else None


@dataclass(frozen=True)
class Message:
    """A UI message before translation: its msgid, as Babel extracts it, and its parameters."""

    msgid: str
    params: Mapping[str, object] = field(default_factory=dict)


def _(msgid: str, /, **params: object) -> Message:
    """Marks `msgid` for extraction (Babel's default keyword) and defers its translation."""
    return Message(msgid, params)


class CellProblem(ValueError):
    """A cell that does not fit its item. `cell` is the offending text for the message's
    %(value)s: the caller masks it before showing it, since a file's cell may hold a CPR
    number (see `survey.interop.values.parse`)."""

    def __init__(self, message: Message, cell: str | None = None):
        super().__init__(message.msgid)
        self.message = message
        self.cell = cell

    def params(self, shown: Callable[[str], str]) -> dict[str, object]:
        """The message's parameters, the cell's text as `shown` masks it."""
        params = dict(self.message.params)
        if self.cell is not None:
            params["value"] = shown(self.cell)
        return params
