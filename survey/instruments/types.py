"""One small class per item type, holding everything the app does with an answer that depends on
the type of its item; `ITEM_TYPES` has one per `ItemType`, and `check_item_types` (run at
start-up) refuses a registry that lacks a type or a type that lacks a facet.

Adding an item type: a member of `ItemType`, a class here (in `ITEM_TYPES`), a form field
factory in survey.forms.fields. Callers ask `ITEM_TYPES[item.type]` and never branch on type.

The facets (see `ItemTypeHandler`):

- `check` / `encode` / `decode`: answer values, and the texts the database stores for them
  (one per value, several for multiple choice);
- `read_cell` / `write_cell`: a value's cell in the interchange files (CSV, XLSX);
- `fhir_question` / `fhir_answers`: what survey.interop.fhir needs to write a Questionnaire item
  and a QuestionnaireResponse answer, as plain data (this package never imports fhir.resources);
- `describe`: an answer as a person reads it;
- `codebook`: what the codebook says about the item's cells beyond its codes;
- `sample`: a random valid answer, for the demo data.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Protocol, TypeGuard

from babel.dates import format_date

from survey.instruments.cells import (
    MULTIPLE_SEPARATOR,
    CellProblem,
    _,
    guard,
    parse_date,
    parse_int,
    unguard,
)
from survey.instruments.schema import AnswerValue, Item, ItemType, Text


class AnswerValueError(ValueError):
    """A value that does not fit its item; the message names the item and what is wrong."""


@dataclass(frozen=True)
class FhirQuestion:
    """What a Questionnaire item takes from its item's type: its FHIR `type`, whether it
    `repeats`, whether it lists the item's answers as `answerOption`s, the min and max value
    and unit extensions, and its `maxLength`."""

    type: str
    repeats: bool = False
    options: bool = False
    min: int | None = None
    max: int | None = None
    unit: Text | None = None
    max_length: int | None = None


FhirAnswer = tuple[str, object]
"""One QuestionnaireResponse answer: the FHIR datatype of its `value[x]` ("Coding", "Integer",
"Date", "String") and its JSON value; for "Coding" the answer code, which the caller turns into
a Coding of the item's code system."""


@dataclass(frozen=True)
class CodebookFacts:
    """What the codebook tells of an item's cells beside its codes: whether it has a range
    (min, max, unit) and the separator between several codes in one cell, if it takes several."""

    ranged: bool = False
    separator: str | None = None


class ItemTypeHandler(Protocol):
    """The facets of one item type. Every method here is a facet that each type implements."""

    def check(self, item: Item, value: AnswerValue) -> AnswerValue:
        """The value, if it fits the item's type, answer codes and range; else
        AnswerValueError."""
        ...

    def encode(self, item: Item, value: AnswerValue) -> list[str]:
        """The stored texts of a value, after `check`, in order."""
        ...

    def decode(self, item: Item, stored: Sequence[str]) -> AnswerValue:
        """The value of stored texts, as `encode` wrote them."""
        ...

    def read_cell(self, item: Item, text: str) -> AnswerValue:
        """The value of a non-empty file cell; else CellProblem with the reason."""
        ...

    def write_cell(self, item: Item, stored: Sequence[str]) -> str:
        """The file cell of (one or more) stored texts: the reverse of `read_cell`."""
        ...

    def fhir_question(self, item: Item) -> FhirQuestion:
        """What the item's Questionnaire item takes from the type."""
        ...

    def fhir_answers(self, item: Item, value: AnswerValue) -> list[FhirAnswer]:
        """A value as QuestionnaireResponse answers (several for multiple choice)."""
        ...

    def describe(self, item: Item, value: AnswerValue, locale: str) -> str:
        """The value as the respondent saw it, in `locale`: answer labels joined by "; ", the
        number with its unit, the date written out."""
        ...

    def codebook(self, item: Item) -> CodebookFacts:
        """What the codebook says about the item's cells beside its codes."""
        ...

    def sample(self, item: Item, rng: random.Random, today: date) -> AnswerValue | None:
        """A random valid answer for demo data, None for a type the demo leaves unanswered."""
        ...


FACETS = tuple(
    name
    for name, member in vars(ItemTypeHandler).items()
    if callable(member) and not name.startswith("_")
)
"""The names of the facets every item type implements, in the order `ItemTypeHandler` lists
them."""


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _codes(value: AnswerValue) -> tuple[object, ...]:
    """The answer codes of a choice value: one for single choice, the tuple for multiple."""
    return value if isinstance(value, tuple) else (value,)


def _code(item: Item, code: object) -> int:
    if not _is_int(code) or item.option(code) is None:
        raise AnswerValueError(f"{item.code}: {code!r} is not one of {list(item.codes)}")
    return code


def _cell_codes(item: Item, parts: Sequence[str]) -> list[int]:
    codes = []
    for part in parts:
        code = parse_int(part)
        if code is None or item.option(code) is None:
            raise CellProblem(
                _(
                    "%(value)s is not one of the answer codes of %(item)s (%(codes)s).",
                    item=item.code,
                    codes=", ".join(str(c) for c in item.codes),
                ),
                cell=part,
            )
        codes.append(code)
    return codes


def _one(stored: Sequence[str]) -> str:
    (text,) = stored
    return text


class _Choice:
    """What single and multiple choice share: answer labels, Codings, no range."""

    def fhir_answers(self, item: Item, value: AnswerValue) -> list[FhirAnswer]:
        return [("Coding", code) for code in _codes(value)]

    def describe(self, item: Item, value: AnswerValue, locale: str) -> str:
        labels = []
        for code in _codes(value):
            option = item.option(code) if isinstance(code, int) else None
            labels.append(option.label.get(locale) if option else str(code))
        return "; ".join(labels)


class SingleChoice(_Choice):
    def check(self, item: Item, value: AnswerValue) -> int:
        return _code(item, value)

    def encode(self, item: Item, value: AnswerValue) -> list[str]:
        return [str(self.check(item, value))]

    def decode(self, item: Item, stored: Sequence[str]) -> int:
        return int(_one(stored))

    def read_cell(self, item: Item, text: str) -> int:
        codes = _cell_codes(item, [text])
        if len(codes) != 1:
            raise CellProblem(_("%(item)s takes one answer code.", item=item.code))
        return codes[0]

    def write_cell(self, item: Item, stored: Sequence[str]) -> str:
        return stored[0]

    def fhir_question(self, item: Item) -> FhirQuestion:
        return FhirQuestion("choice", options=True)

    def codebook(self, item: Item) -> CodebookFacts:
        return CodebookFacts()

    def sample(self, item: Item, rng: random.Random, today: date) -> int:
        return rng.choice(item.codes)


class MultipleChoice(_Choice):
    def check(self, item: Item, value: AnswerValue) -> tuple[int, ...]:
        if not isinstance(value, tuple) or not value:
            raise AnswerValueError(f"{item.code}: expected one or more answer codes")
        for code in value:
            _code(item, code)
        if len(set(value)) != len(value):
            raise AnswerValueError(f"{item.code}: an answer code is given twice")
        return value

    def encode(self, item: Item, value: AnswerValue) -> list[str]:
        return [str(code) for code in self.check(item, value)]

    def decode(self, item: Item, stored: Sequence[str]) -> tuple[int, ...]:
        return tuple(int(text) for text in stored)

    def read_cell(self, item: Item, text: str) -> tuple[int, ...]:
        codes = _cell_codes(item, text.split(MULTIPLE_SEPARATOR))
        if len(set(codes)) != len(codes):
            raise CellProblem(_("an answer code of %(item)s is given twice.", item=item.code))
        return tuple(codes)

    def write_cell(self, item: Item, stored: Sequence[str]) -> str:
        return MULTIPLE_SEPARATOR.join(stored)

    def fhir_question(self, item: Item) -> FhirQuestion:
        return FhirQuestion("choice", repeats=True, options=True)

    def codebook(self, item: Item) -> CodebookFacts:
        return CodebookFacts(separator=MULTIPLE_SEPARATOR)

    def sample(self, item: Item, rng: random.Random, today: date) -> tuple[int, ...]:
        return tuple(sorted(rng.sample(item.codes, k=min(2, len(item.codes)))))


class Integer:
    def check(self, item: Item, value: AnswerValue) -> int:
        if (
            not _is_int(value)
            or item.min is None
            or item.max is None
            or not (item.min <= value <= item.max)
        ):
            raise AnswerValueError(
                f"{item.code}: {value!r} is not a whole number from {item.min} to {item.max}"
            )
        return value

    def encode(self, item: Item, value: AnswerValue) -> list[str]:
        return [str(self.check(item, value))]

    def decode(self, item: Item, stored: Sequence[str]) -> int:
        return int(_one(stored))

    def read_cell(self, item: Item, text: str) -> int:
        number = parse_int(text)
        if (
            number is None
            or item.min is None
            or item.max is None
            or not (item.min <= number <= item.max)
        ):
            raise CellProblem(
                _(
                    "%(value)s is not a whole number from %(min)s to %(max)s for %(item)s.",
                    min=item.min,
                    max=item.max,
                    item=item.code,
                ),
                cell=text,
            )
        return number

    def write_cell(self, item: Item, stored: Sequence[str]) -> str:
        return stored[0]

    def fhir_question(self, item: Item) -> FhirQuestion:
        return FhirQuestion("integer", min=item.min, max=item.max, unit=item.unit)

    def fhir_answers(self, item: Item, value: AnswerValue) -> list[FhirAnswer]:
        return [("Integer", value)]

    def describe(self, item: Item, value: AnswerValue, locale: str) -> str:
        if item.unit is not None:
            return f"{value} {item.unit.get(locale)}"
        return str(value)

    def codebook(self, item: Item) -> CodebookFacts:
        return CodebookFacts(ranged=True)

    def sample(self, item: Item, rng: random.Random, today: date) -> int:
        return rng.randint(item.min or 0, item.max or 0)


class Date:
    def check(self, item: Item, value: AnswerValue) -> date:
        if not isinstance(value, date) or isinstance(value, datetime):
            raise AnswerValueError(f"{item.code}: {value!r} is not a date")
        return value

    def encode(self, item: Item, value: AnswerValue) -> list[str]:
        return [self.check(item, value).isoformat()]

    def decode(self, item: Item, stored: Sequence[str]) -> date:
        return date.fromisoformat(_one(stored))

    def read_cell(self, item: Item, text: str) -> date:
        day = parse_date(text)
        if day is None:
            raise CellProblem(
                _("%(value)s is not a date (YYYY-MM-DD) for %(item)s.", item=item.code),
                cell=text,
            )
        return day

    def write_cell(self, item: Item, stored: Sequence[str]) -> str:
        return stored[0]

    def fhir_question(self, item: Item) -> FhirQuestion:
        return FhirQuestion("date")

    def fhir_answers(self, item: Item, value: AnswerValue) -> list[FhirAnswer]:
        return [("Date", value.isoformat() if isinstance(value, date) else value)]

    def describe(self, item: Item, value: AnswerValue, locale: str) -> str:
        if isinstance(value, date):
            return format_date(value, "long", locale=locale)
        return str(value)

    def codebook(self, item: Item) -> CodebookFacts:
        return CodebookFacts()

    def sample(self, item: Item, rng: random.Random, today: date) -> date:
        return today - timedelta(days=rng.randint(0, 365))


class FreeText:
    def check(self, item: Item, value: AnswerValue) -> str:
        if not isinstance(value, str) or not value.strip() or len(value) > item.text_limit:
            raise AnswerValueError(
                f"{item.code}: expected a text of 1 to {item.text_limit} characters"
            )
        return value

    def encode(self, item: Item, value: AnswerValue) -> list[str]:
        return [self.check(item, value)]

    def decode(self, item: Item, stored: Sequence[str]) -> str:
        return _one(stored)

    def read_cell(self, item: Item, text: str) -> str:
        text = unguard(text)
        if len(text) > item.text_limit:
            raise CellProblem(
                _(
                    "the text of %(item)s is longer than %(limit)s characters.",
                    item=item.code,
                    limit=item.text_limit,
                )
            )
        return text

    def write_cell(self, item: Item, stored: Sequence[str]) -> str:
        return guard(stored[0])

    def fhir_question(self, item: Item) -> FhirQuestion:
        return FhirQuestion("text", max_length=item.text_limit)

    def fhir_answers(self, item: Item, value: AnswerValue) -> list[FhirAnswer]:
        return [("String", value)]

    def describe(self, item: Item, value: AnswerValue, locale: str) -> str:
        return str(value)

    def codebook(self, item: Item) -> CodebookFacts:
        return CodebookFacts()

    def sample(self, item: Item, rng: random.Random, today: date) -> None:
        return None  # free text stays empty in the demo: it is where personal details would go


ITEM_TYPES: Mapping[ItemType, ItemTypeHandler] = MappingProxyType(
    {
        ItemType.SINGLE_CHOICE: SingleChoice(),
        ItemType.MULTIPLE_CHOICE: MultipleChoice(),
        ItemType.INTEGER: Integer(),
        ItemType.DATE: Date(),
        ItemType.TEXT: FreeText(),
    }
)


class ItemTypesIncomplete(RuntimeError):
    """An item type without its class, or a class without one of the facets."""


def check_item_types(registry: Mapping[ItemType, object] = ITEM_TYPES) -> None:
    """Refuse (ItemTypesIncomplete) a registry that has no class for an item type the loader
    accepts, or whose class for a type does not implement a facet. Run at start-up."""
    problems = [
        f"item type {item_type.value!r} has no class in the registry"
        for item_type in ItemType
        if item_type not in registry
    ]
    for item_type, handler in registry.items():
        problems += [
            f"item type {item_type.value!r} lacks the facet {facet!r}"
            for facet in FACETS
            if not _implements(handler, facet)
        ]
    if problems:
        raise ItemTypesIncomplete("; ".join(problems))


def _implements(handler: object, facet: str) -> bool:
    """Whether `handler` has the facet as a method of its own: the Protocol's empty body,
    inherited by a class that names the Protocol as its base, does not count."""
    method = getattr(type(handler), facet, None)
    return callable(method) and method is not vars(ItemTypeHandler)[facet]
