"""Forms generated from the instrument files: every item type and every condition."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import DateField, IntegerField, RadioField, TextAreaField
from wtforms.validators import NumberRange

from survey.forms import build_form, field_name
from survey.forms.fields import FACTORIES, CheckboxesField, check_registry
from survey.instruments.asking import Page, describe, describe_condition, pages, visible
from survey.instruments.schema import Condition, Item, ItemType, Text
from survey.responses import pages as page_input

FIELD_CLASSES = {
    ItemType.SINGLE_CHOICE: RadioField,
    ItemType.MULTIPLE_CHOICE: CheckboxesField,
    ItemType.INTEGER: IntegerField,
    ItemType.DATE: DateField,
    ItemType.TEXT: TextAreaField,
}
DATE_ITEM = Item(code="demo.start", type=ItemType.DATE, text=Text("Startdato", "Start date"))
TEXT_ITEM = Item(code="demo.note", type=ItemType.TEXT, text=Text("Note", "Note"), max_length=10)


def test_every_item_type_has_a_factory() -> None:
    assert set(FACTORIES) == set(ItemType)
    check_registry()


@pytest.mark.parametrize("form_id", ["citizen", "staff"])
@pytest.mark.parametrize("point", [1, 2])
def test_every_item_of_the_real_forms_becomes_the_right_field(app, form_id, point) -> None:
    definition = app.extensions["survey.instruments"].get(form_id, 1)
    with app.test_request_context():
        for page in pages(definition, point):
            form = build_form(page.items, "da")(formdata=None)
            for item in page.items:
                field = form[field_name(item.code)]
                assert isinstance(field, FIELD_CLASSES[item.type]), item.code
                assert field.label.text == item.text.da
                if item.is_choice:
                    assert [choice.value for choice in field.choices] == list(item.codes)
                if item.type is ItemType.INTEGER:
                    (limits,) = [v for v in field.validators if isinstance(v, NumberRange)]
                    assert (limits.min, limits.max) == (item.min, item.max)
    asked = {item.code for page in pages(definition, point) for item in page.items}
    baseline = {item.code for item in definition.items if item.baseline}
    assert asked & baseline == (baseline if point == 1 else set())


def test_the_staff_form_drops_its_baseline_page_after_point_one(app) -> None:
    staff = app.extensions["survey.instruments"].get("staff", 1)
    assert next(p.section.id for p in pages(staff, 1)) == "person"
    assert "person" not in [p.section.id for p in pages(staff, 2)]
    assert [p.number for p in pages(staff, 2)] == list(range(1, len(pages(staff, 2)) + 1))


@pytest.mark.parametrize(
    ("answers", "shown"),
    [
        ({}, set()),
        ({"staff.employment": 2}, set()),
        ({"staff.employment": 1}, {"staff.employment_hours", "staff.job_search"}),
        ({"staff.diagnosis": 1}, {"staff.diagnosis_kinds"}),
        ({"staff.diagnosis": 9}, set()),
    ],
)
def test_conditions_from_the_instruments(app, answers, shown) -> None:
    staff = app.extensions["survey.instruments"].get("staff", 1)
    conditional = {item.code for item in staff.items if item.show_when}
    assert conditional == {"staff.employment_hours", "staff.job_search", "staff.diagnosis_kinds"}
    assert visible(staff, answers, 2) & conditional == shown


def test_a_condition_on_a_hidden_item_hides_its_dependants_too() -> None:
    from survey.instruments.schema import InstrumentVersion, Kind, Section

    items = (
        Item("d.a", ItemType.SINGLE_CHOICE, Text("A", "A"), answers=_options(1, 2)),
        Item(
            "d.b",
            ItemType.SINGLE_CHOICE,
            Text("B", "B"),
            answers=_options(1, 2),
            show_when=Condition("d.a", (1,)),
        ),
        Item("d.c", ItemType.TEXT, Text("C", "C"), show_when=Condition("d.b", (1,))),
    )
    definition = InstrumentVersion(
        id="d",
        version=1,
        kind=Kind.FORM,
        title=Text("D", "D"),
        source="s",
        terms="t",
        sections=(Section("s", Text("S", "S"), items),),
    )
    assert visible(definition, {"d.a": 1, "d.b": 1}, 1) == {"d.a", "d.b", "d.c"}
    # d.b's stale answer must not keep d.c on screen once d.a hides d.b
    assert visible(definition, {"d.a": 2, "d.b": 1}, 1) == {"d.a"}


def _options(*codes: int):
    from survey.instruments.schema import AnswerOption

    return tuple(AnswerOption(c, Text(f"Svar {c}", f"Answer {c}")) for c in codes)


def test_reading_a_page_keeps_valid_values_and_flags_the_rest(app) -> None:
    staff = app.extensions["survey.instruments"].get("staff", 1)
    employment_page = next(p for p in pages(staff, 2) if p.section.id == "employment")
    post = MultiDict(
        {
            "staff__employment": "1",
            "staff__employment_hours": "50",
            "staff__education": "7",
            "staff__internship": "",
        }
    )
    with app.test_request_context(method="POST", data=post):
        read = page_input.read(employment_page, staff, "da", post)
    assert read.values["staff.employment"] == 1
    assert read.values["staff.internship"] is None
    assert "staff.employment_hours" not in read.values  # out of range: an error, not a value
    assert "staff.education" not in read.values  # not an answer code of the item
    assert "mellem 1 og 37" in " ".join(read.form.errors["staff__employment_hours"])


@pytest.mark.parametrize(
    "number", ["9" * 400, "-" + "9" * 400, "2147483648"], ids=["huge", "-huge", "int32+1"]
)
def test_a_number_past_the_databases_integer_is_no_number(app, number: str) -> None:
    """WTForms' NumberRange raised OverflowError on a number too large for a float, a 500
    (found by tests/web/test_fuzz_routes.py); now it is an error on the field."""
    staff = app.extensions["survey.instruments"].get("staff", 1)
    employment_page = next(p for p in pages(staff, 2) if p.section.id == "employment")
    post = MultiDict({"staff__employment": "1", "staff__employment_hours": number})
    with app.test_request_context(method="POST", data=post):
        read = page_input.read(employment_page, staff, "da", post)
    assert read.values["staff.employment"] == 1
    assert "staff.employment_hours" not in read.values
    assert "Ikke et helt tal." in read.form.errors["staff__employment_hours"]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("staff__employment", "item staff.employment is not on page 1"),
        ("who5__1", "'who5.1' is not an item of staff v1"),
        ("bogus__item", "'bogus.item' is not an item"),
    ],
)
def test_posts_no_page_sends_are_refused(app, key, message) -> None:
    staff = app.extensions["survey.instruments"].get("staff", 1)
    page = pages(staff, 2)[0]
    with (
        app.test_request_context(method="POST"),
        pytest.raises(page_input.TamperedPost, match=message),
    ):
        page_input.read(page, staff, "da", MultiDict({key: "1"}))


def test_date_and_text_items(app) -> None:
    from survey.instruments.schema import Section

    page = Page(1, Section("s", Text("S", "S"), (DATE_ITEM, TEXT_ITEM)), (DATE_ITEM, TEXT_ITEM))
    with app.test_request_context(method="POST"):
        good = page_input.read(
            page,
            _fake_definition(page),
            "da",
            MultiDict({"demo__start": "2026-03-01", "demo__note": " hej "}),
        )
        bad = page_input.read(
            page,
            _fake_definition(page),
            "da",
            MultiDict({"demo__start": "1/3", "demo__note": "x" * 11}),
        )
        assert good.values == {
            "demo.start": __import__("datetime").date(2026, 3, 1),
            "demo.note": "hej",
        }
        assert bad.values == {}
        assert set(bad.form.errors) == {"demo__start", "demo__note"}
        assert describe(DATE_ITEM, good.values["demo.start"], "da") == "1. marts 2026"


def _fake_definition(page):
    from survey.instruments.schema import InstrumentVersion, Kind

    return InstrumentVersion(
        id="demo",
        version=1,
        kind=Kind.FORM,
        title=Text("D", "D"),
        source="s",
        terms="t",
        sections=(page.section,),
    )


def test_answers_are_described_in_the_users_language(app) -> None:
    staff = app.extensions["survey.instruments"].get("staff", 1)
    with app.test_request_context():
        kinds = staff.item("staff.diagnosis_kinds")
        assert describe(kinds, (1, 2), "da") == "Angst; Depression"
        assert describe(kinds, (1, 2), "en") == "Anxiety; Depression"
        assert describe(staff.item("staff.employment_hours"), 20, "da") == "20 timer"
        assert describe(staff.item("staff.employment"), None, "da") is None
        question, answers = describe_condition(staff, staff.item("staff.employment_hours"), "da")
        assert question.startswith("Har borgeren ordinære løntimer")
        assert answers == "Ja"
