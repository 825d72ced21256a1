"""Typed, immutable definitions of instrument versions, as the loader builds them from files."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

LANGUAGES = ("da", "en")
TEXT_MAX_LENGTH = 2000


class Kind(StrEnum):
    INSTRUMENT = "instrument"
    FORM = "form"


class ItemType(StrEnum):
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    INTEGER = "integer"
    DATE = "date"
    TEXT = "text"


CHOICE_TYPES = frozenset({ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE})


class Special(StrEnum):
    """Answers that are answers, not missing values, but never enter scores or means."""

    DONT_KNOW = "dont_know"
    REFUSED = "refused"


@dataclass(frozen=True)
class Text:
    da: str
    en: str

    def get(self, locale: str | None) -> str:
        """The text in `locale` ('da', 'en', 'en_GB' ...); Danish when the language is unknown."""
        lang = (locale or "da").split("_")[0].split("-")[0].lower()
        return self.en if lang == "en" else self.da


@dataclass(frozen=True)
class AnswerOption:
    code: int
    label: Text
    special: Special | None = None

    @property
    def scored(self) -> bool:
        return self.special is None


@dataclass(frozen=True)
class Condition:
    """Show an item only when another item's answer is one of `values`."""

    item: str
    values: tuple[int, ...]

    def holds(self, answers: Mapping[str, object]) -> bool:
        given = answers.get(self.item)
        if given is None:
            return False
        if isinstance(given, list | tuple | set | frozenset):
            return any(v in self.values for v in given)
        return given in self.values


@dataclass(frozen=True)
class ReportGroup:
    label: Text
    min: int
    max: int | None = None

    def contains(self, value: int) -> bool:
        return value >= self.min and (self.max is None or value <= self.max)


Meaning = tuple[str, tuple[tuple[int, str], ...], int | None, int | None]
"""An item's type, its (answer code, special kind or "") pairs, and its min and max."""


@dataclass(frozen=True)
class Item:
    code: str
    type: ItemType
    text: Text
    answers: tuple[AnswerOption, ...] = ()
    min: int | None = None
    max: int | None = None
    unit: Text | None = None
    groups: tuple[ReportGroup, ...] = ()
    max_length: int | None = None
    baseline: bool = False
    show_when: Condition | None = None
    required: bool = False
    project_defined: bool = False
    help: Text | None = None
    origin: tuple[str, int] = ("", 0)

    @property
    def is_choice(self) -> bool:
        return self.type in CHOICE_TYPES

    def option(self, code: int) -> AnswerOption | None:
        return next((o for o in self.answers if o.code == code), None)

    @property
    def codes(self) -> tuple[int, ...]:
        return tuple(o.code for o in self.answers)

    @property
    def text_limit(self) -> int:
        return self.max_length or TEXT_MAX_LENGTH

    def meaning(self) -> Meaning:
        """What must stay the same wherever this item code appears: type, answer codes (and
        which of them are "Ved ikke"-like), range."""
        codes = tuple(sorted((o.code, o.special.value if o.special else "") for o in self.answers))
        return (self.type.value, codes, self.min, self.max)

    def asked_at(self, point: int) -> bool:
        return point == 1 or not self.baseline


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    items: tuple[Item, ...]
    stem: Text | None = None
    origin: tuple[str, int] = ("", 0)


@dataclass(frozen=True)
class Band:
    code: str
    max: float
    label: Text


@dataclass(frozen=True)
class ScoreRule:
    code: str
    title: Text
    method: str
    items: tuple[str, ...]
    require: str = "all"
    multiply: float = 1
    min: float | None = None
    max: float | None = None
    bands: tuple[Band, ...] = ()
    relevant_change: float | None = None


@dataclass(frozen=True, eq=False)
class InstrumentVersion:
    """One version of an instrument or form, includes resolved: everything a respondent saw."""

    id: str
    version: int
    kind: Kind
    title: Text
    source: str
    terms: str
    sections: tuple[Section, ...]
    scores: tuple[ScoreRule, ...] = ()
    includes: tuple[tuple[str, int], ...] = ()
    respondent: str | None = None
    modes: tuple[str, ...] = ()
    path: str = ""
    digest: str = ""
    published: bool = False
    _index: dict[str, Item] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({item.code: item for item in self.items})

    @property
    def key(self) -> str:
        return f"{self.id} v{self.version}"

    @property
    def items(self) -> Iterator[Item]:
        for section in self.sections:
            yield from section.items

    @property
    def item_codes(self) -> tuple[str, ...]:
        return tuple(self._index)

    def item(self, code: str) -> Item:
        return self._index[code]

    def has_item(self, code: str) -> bool:
        return code in self._index

    def items_at(self, point: int) -> tuple[Item, ...]:
        """The items asked at measurement point `point` (baseline items only at point 1)."""
        return tuple(item for item in self.items if item.asked_at(point))


AnswerValue = int | tuple[int, ...] | date | str
