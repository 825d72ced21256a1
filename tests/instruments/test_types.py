"""The registry of item types: every type has a class, every class every facet, checked at
start-up; the facets that moved out of Flask code say what they said there."""

from __future__ import annotations

import functools
from datetime import date

import flask_babel
import pytest
from flask_babel import force_locale, gettext

import survey.app
from survey.instruments.asking import describe
from survey.instruments.schema import Item, ItemType, Text
from survey.instruments.types import (
    FACETS,
    ITEM_TYPES,
    Date,
    ItemTypeHandler,
    ItemTypesIncomplete,
    check_item_types,
)
from survey.interop.values import BadValue, parse

DATE_ITEM = Item(code="demo.start", type=ItemType.DATE, text=Text("Startdato", "Start date"))
COUNT_ITEM = Item(code="demo.count", type=ItemType.INTEGER, text=Text("A", "N"), min=0, max=9)


def lacking(facet: str) -> object:
    """A date type with every facet but `facet`."""
    members = {name: getattr(Date, name) for name in FACETS if name != facet}
    return type("DateLacking", (), members)()


def test_the_registry_has_every_type_with_every_facet() -> None:
    assert set(ITEM_TYPES) == set(ItemType)
    assert FACETS == (
        "check",
        "encode",
        "decode",
        "read_cell",
        "write_cell",
        "fhir_question",
        "fhir_answers",
        "describe",
        "codebook",
        "sample",
    )
    check_item_types()


@pytest.mark.parametrize("facet", FACETS)
def test_a_type_lacking_a_facet_is_refused_naming_it(facet: str) -> None:
    registry = {**ITEM_TYPES, ItemType.DATE: lacking(facet)}
    with pytest.raises(ItemTypesIncomplete) as caught:
        check_item_types(registry)
    assert str(caught.value) == f"item type 'date' lacks the facet '{facet}'"


def test_the_protocols_empty_bodies_are_no_facets() -> None:
    class Declared(ItemTypeHandler):
        """Names the Protocol as its base but implements nothing."""

    with pytest.raises(ItemTypesIncomplete, match="item type 'text' lacks the facet 'check'"):
        check_item_types({**ITEM_TYPES, ItemType.TEXT: Declared()})


def test_a_registry_missing_a_type_is_refused_naming_it() -> None:
    registry = {t: handler for t, handler in ITEM_TYPES.items() if t is not ItemType.INTEGER}
    with pytest.raises(ItemTypesIncomplete) as caught:
        check_item_types(registry)
    assert str(caught.value) == "item type 'integer' has no class in the registry"


def test_the_app_does_not_start_with_a_type_lacking_a_facet(make_app, monkeypatch) -> None:
    broken = {**ITEM_TYPES, ItemType.DATE: lacking("write_cell")}
    monkeypatch.setattr(survey.app, "check_item_types", functools.partial(check_item_types, broken))
    with pytest.raises(ItemTypesIncomplete, match="item type 'date' lacks the facet 'write_cell'"):
        make_app()


@pytest.mark.parametrize("locale", ["da", "en"])
def test_describe_reads_dates_as_flask_babel_did(app, locale: str) -> None:
    """The facet uses Babel with an explicit locale; the forms used Flask-Babel's request
    locale. Both must read a date the same."""
    with app.test_request_context(), force_locale(locale):
        for day in (date(2026, 3, 1), date(2025, 12, 24)):
            assert describe(DATE_ITEM, day, locale) == flask_babel.format_date(day, "long")


def test_describe_reads_an_answer_as_the_respondent_saw_it(app) -> None:
    staff = app.extensions["survey.instruments"].get("staff", 1)
    diagnosis = staff.item("staff.diagnosis_kinds")
    labels = "; ".join(diagnosis.option(code).label.get("da") for code in (1, 2))
    assert describe(diagnosis, (1, 2), "da") == labels
    assert describe(COUNT_ITEM, 3, "da") == "3"
    assert describe(COUNT_ITEM, None, "da") is None
    assert ITEM_TYPES[ItemType.DATE].describe(DATE_ITEM, date(2026, 3, 1), "da") == "1. marts 2026"
    assert ITEM_TYPES[ItemType.DATE].describe(DATE_ITEM, date(2026, 3, 1), "en") == "March 1, 2026"


def test_a_refused_cell_is_told_in_the_requests_language_with_cpr_masked(app) -> None:
    with app.test_request_context(), force_locale("da"):
        with pytest.raises(BadValue) as caught:
            parse(DATE_ITEM, " 010190-1234 ")
        danish = gettext(
            "%(value)s is not a date (YYYY-MM-DD) for %(item)s.", value="(CPR?)", item="demo.start"
        )
    assert str(caught.value) == danish
    assert danish != "(CPR?) is not a date (YYYY-MM-DD) for demo.start."
    with pytest.raises(BadValue) as caught:
        parse(COUNT_ITEM, "12")
    assert str(caught.value) == "12 is not a whole number from 0 to 9 for demo.count."
