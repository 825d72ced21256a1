"""The instrument loader's error catalogue: one code and message template per problem."""

from __future__ import annotations

from pathlib import Path

MESSAGES: dict[str, str] = {
    "E_YAML": "is not valid YAML: {detail}",
    "E_ENCODING": "is not UTF-8 text ({detail}); save it as UTF-8",
    "E_NOT_MAPPING": "must be a mapping of keys to values",
    "E_MISSING_FIELD": "missing required field '{field}'",
    "E_UNKNOWN_FIELD": "unknown field '{field}' (allowed: {allowed})",
    "E_BAD_VALUE": "field '{field}' {detail}",
    "E_ID_MISMATCH": "declares {field} {value!r} but the file is at {path}",
    "E_TEXT_MISSING_LANG": "{field} has no '{lang}' text",
    "E_DUPLICATE_ITEM": "duplicate item code (also in {other})",
    "E_DUPLICATE_SECTION": "duplicate section id '{section}'",
    "E_BAD_ITEM_CODE": "item code {code!r} must look like 'group.name' in lower case",
    "E_UNKNOWN_TYPE": "unknown type {type!r} (allowed: {allowed})",
    "E_ANSWERS_MISSING": "a {type} item needs answers",
    "E_ANSWERS_NOT_ALLOWED": "a {type} item takes no answers",
    "E_UNKNOWN_ANSWER_SET": "answers refer to unknown answer set {name!r}",
    "E_DUPLICATE_ANSWER_CODE": "answer code {code} is used twice",
    "E_RANGE_MISSING": "an integer item needs both 'min' and 'max'",
    "E_RANGE_INVERTED": "range min {min} is greater than max {max}",
    "E_CONDITION_UNKNOWN_ITEM": "show_when refers to unknown item {item!r}",
    "E_CONDITION_NOT_EARLIER": "show_when refers to item {item!r}, which comes after this item",
    "E_CONDITION_NOT_CHOICE": "show_when refers to item {item!r}, which is not a choice item",
    "E_CONDITION_UNKNOWN_CODE": "show_when uses answer code {code}, which item {item!r} lacks",
    "E_INCLUDE_UNKNOWN": "includes {instrument} version {version}, which does not exist",
    "E_INCLUDE_UNKNOWN_SECTION": "includes section {section!r} of {instrument} v{version}, "
    "which has no such section",
    "E_INCLUDE_IN_INSTRUMENT": "only a form may include other instruments",
    "E_INCLUDE_FORM": "includes {instrument} v{version}, which is a form; include instruments only",
    "E_INCLUDE_DRAFT": "is published but includes {instrument} v{version}, which is not published",
    "E_SCORE_UNKNOWN_ITEM": "score {score!r} uses unknown item {item!r}",
    "E_SCORE_NOT_CHOICE": "score {score!r} uses item {item!r}, which is not a single choice item",
    "E_SCORE_METHOD": "score {score!r} has unknown method {method!r} (allowed: {allowed})",
    "E_CODE_CHANGED_MEANING": "item {item} means something else in {other}: {detail}; "
    "an item code never changes meaning, give the changed item a new code",
    "E_FROZEN": "is published and was changed after publishing (digest {actual} ≠ locked "
    "{locked}); a published version never changes: restore it and publish the change "
    "as a new version",
    "E_LOCKED_MISSING": "is listed in {lock} as published, but the file is gone",
    "E_LOCK_INVALID": "is not a valid lock file: {detail}",
}


class InstrumentError(Exception):
    """A refused instrument file: names the file, the item (when there is one) and the problem."""

    def __init__(self, code: str, path: Path | str, item: str | None = None, /, **params: object):
        self.code = code
        self.path = str(path)
        self.item = item
        self.params = params
        self.detail = MESSAGES[code].format(**params)
        where = f"{self.path}: item {item}: " if item else f"{self.path}: "
        super().__init__(f"{where}{self.detail} [{code}]")


class InstrumentErrors(Exception):
    """Several refused files at once, so one `check` run shows every problem."""

    def __init__(self, errors: list[InstrumentError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
