"""Answer values to stored texts and back, and the values that do not fit their item."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from survey.instruments.schema import Item, ItemType, Text
from survey.instruments.values import AnswerValueError, check, decode, encode

DATE_ITEM = Item(code="demo.start", type=ItemType.DATE, text=Text("Startdato", "Start date"))
TEXT_ITEM = Item(
    code="demo.note", type=ItemType.TEXT, text=Text("Bemærkning", "Note"), max_length=20
)


@pytest.fixture
def staff(real_registry):
    return real_registry.get("staff", 1)


def refused(item: Item, value: object) -> str:
    """The AnswerValueError message for `value`; checks it starts with the item code."""
    with pytest.raises(AnswerValueError, match=rf"^{re.escape(item.code)}: ") as caught:
        encode(item, value)  # type: ignore[arg-type]
    with pytest.raises(AnswerValueError):
        check(item, value)  # type: ignore[arg-type]
    return str(caught.value)


# --- round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "stored"), [(1, ["1"]), (2, ["2"]), (9, ["9"])])
def test_single_choice_round_trip(staff, value, stored):
    item = staff.item("staff.diagnosis")
    assert item.type is ItemType.SINGLE_CHOICE
    assert encode(item, value) == stored
    assert decode(item, stored) == value


@pytest.mark.parametrize(
    ("value", "stored"),
    [((2,), ["2"]), ((1, 2, 10), ["1", "2", "10"]), ((12, 3), ["12", "3"])],
)
def test_multiple_choice_round_trip_gives_one_text_per_code(staff, value, stored):
    item = staff.item("staff.diagnosis_kinds")
    assert item.type is ItemType.MULTIPLE_CHOICE
    assert encode(item, value) == stored
    assert decode(item, stored) == value


@pytest.mark.parametrize(("value", "stored"), [(1, ["1"]), (20, ["20"]), (37, ["37"])])
def test_integer_round_trip(staff, value, stored):
    item = staff.item("staff.employment_hours")
    assert encode(item, value) == stored
    assert decode(item, stored) == value


@pytest.mark.parametrize(
    ("value", "stored"), [(date(2026, 3, 1), ["2026-03-01"]), (date(1999, 12, 31), ["1999-12-31"])]
)
def test_date_round_trip(value, stored):
    assert encode(DATE_ITEM, value) == stored
    assert decode(DATE_ITEM, stored) == value


@pytest.mark.parametrize("value", ["Hej", "Ærø & Åbenrå, ØØ", "x" * 20, " mellemrum "])
def test_text_round_trip(value):
    assert encode(TEXT_ITEM, value) == [value]
    assert decode(TEXT_ITEM, [value]) == value


def test_check_returns_the_value(staff):
    assert check(staff.item("staff.diagnosis_kinds"), (1, 7)) == (1, 7)
    assert check(DATE_ITEM, date(2026, 1, 2)) == date(2026, 1, 2)


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [3, 0, 10, True, "1", None, (1,)])
def test_single_choice_code_not_in_item(staff, value):
    message = refused(staff.item("staff.diagnosis"), value)
    assert message == f"staff.diagnosis: {value!r} is not one of [1, 2, 9]"


def test_multiple_choice_code_not_in_item(staff):
    message = refused(staff.item("staff.diagnosis_kinds"), (1, 9))
    assert message.startswith("staff.diagnosis_kinds: 9 is not one of [1, 2, 3")


@pytest.mark.parametrize("value", [(), [1, 2], 1])
def test_multiple_choice_empty_or_not_a_tuple(staff, value):
    message = refused(staff.item("staff.diagnosis_kinds"), value)
    assert message == "staff.diagnosis_kinds: expected one or more answer codes"


def test_multiple_choice_duplicate_code(staff):
    message = refused(staff.item("staff.diagnosis_kinds"), (2, 3, 2))
    assert message == "staff.diagnosis_kinds: an answer code is given twice"


@pytest.mark.parametrize("value", [0, 38, -5, True, "20", 20.0])
def test_integer_out_of_range_or_not_whole(staff, value):
    message = refused(staff.item("staff.employment_hours"), value)
    assert message == f"staff.employment_hours: {value!r} is not a whole number from 1 to 37"


@pytest.mark.parametrize("value", ["2026-03-01", 20260301, None])
def test_date_must_be_a_date(value):
    message = refused(DATE_ITEM, value)
    assert message == f"demo.start: {value!r} is not a date"


@pytest.mark.parametrize("value", ["x" * 21, "", "   ", 5])
def test_text_too_long_empty_or_not_text(value):
    message = refused(TEXT_ITEM, value)
    assert message == "demo.note: expected a text of 1 to 20 characters"


def test_text_default_length_from_the_loader_is_2000(write_instrument, build):
    from survey.instruments import load_registry

    folder = write_instrument(build.instrument(items=[build.item("demo.note", type="text")]))
    item = load_registry(folder).get("demo", 1).item("demo.note")
    assert item.max_length == 2000
    assert encode(item, "æ" * 2000) == ["æ" * 2000]
    assert refused(item, "æ" * 2001) == "demo.note: expected a text of 1 to 2000 characters"


# --- found while writing these tests ------------------------------------------------------------


def test_a_datetime_is_refused_or_round_trips_as_its_date():
    value = datetime(2026, 3, 1, 10, 30)
    try:
        stored = encode(DATE_ITEM, value)
    except AnswerValueError as exc:
        refusal = str(exc)
    else:
        refusal = None
        assert decode(DATE_ITEM, stored) == date(2026, 3, 1)
    assert refusal is None or refusal.startswith("demo.start: ")


def test_text_item_without_max_length_uses_the_documented_default():
    item = Item(code="demo.free", type=ItemType.TEXT, text=Text("Fritekst", "Free text"))
    assert encode(item, "Hej") == ["Hej"]
