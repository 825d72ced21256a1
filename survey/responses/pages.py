"""Reading one posted page of a form: check it, keep what was typed, pick out the valid values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from werkzeug.datastructures import MultiDict

from survey.forms import build_form, field_name, item_code
from survey.forms.base import Form
from survey.instruments.asking import Page
from survey.instruments.schema import AnswerValue, InstrumentVersion, ItemType

# Form keys that are not answers.
CONTROL_KEYS = frozenset({"csrf_token", "action", "draft_key", "page"})


class TamperedPost(ValueError):
    """A post no page of ours produces: an item not in this form version, and the like."""


@dataclass
class PageInput:
    form: Form
    values: dict[str, AnswerValue | None] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return bool(self.form.errors)


def _to_form_data(page: Page, answers: Mapping[str, AnswerValue]) -> dict[str, object]:
    data: dict[str, object] = {}
    for item in page.items:
        if item.code in answers:
            value = answers[item.code]
            data[field_name(item.code)] = list(value) if isinstance(value, tuple) else value
    return data


def blank(page: Page, locale: str, answers: Mapping[str, AnswerValue]) -> Form:
    """The page filled with the stored answers, for showing."""
    return build_form(page.items, locale)(formdata=None, data=_to_form_data(page, answers))


def read(
    page: Page,
    definition: InstrumentVersion,
    locale: str,
    formdata: MultiDict,
    extra: frozenset[str] = frozenset(),
) -> PageInput:
    """Check a posted page. Fields with errors keep what was typed and give no value; the other
    fields give their value (None when left empty). Refuses keys no page of ours sends."""
    names = {field_name(item.code) for item in page.items}
    for key in formdata:
        if key in names or key in CONTROL_KEYS or key in extra:
            continue
        code = item_code(key)
        if definition.has_item(code):
            raise TamperedPost(f"item {code} is not on page {page.number}")
        raise TamperedPost(f"{code!r} is not an item of {definition.key}")
    form = build_form(page.items, locale)(formdata=formdata)
    form.validate()
    result = PageInput(form)
    for item in page.items:
        bound = form[field_name(item.code)]
        if bound.errors:
            continue
        value = bound.data
        if value in (None, "", []):
            result.values[item.code] = None
        elif item.type is ItemType.MULTIPLE_CHOICE:
            order = {code: i for i, code in enumerate(item.codes)}
            result.values[item.code] = tuple(sorted(set(value), key=order.__getitem__))
        elif item.type is ItemType.TEXT:
            result.values[item.code] = value.strip() or None
        elif item.type is ItemType.DATE:
            result.values[item.code] = value if isinstance(value, date) else None
        else:
            result.values[item.code] = value
    return result
