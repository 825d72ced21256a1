"""The loader refuses every bad file with a message naming the file, the item and an error code."""

from __future__ import annotations

import json
import string

import pytest

from survey.instruments import InstrumentError, InstrumentErrors, load_registry, publish
from survey.instruments.errors import MESSAGES
from survey.instruments.loader import LOCK_NAME, digest_of, read_lock, write_lock

DEMO = "instruments/demo/1.yaml"


def test_the_baseline_demo_instrument_loads(write_instrument, build):
    """The refusals below each break one thing in this instrument, which is valid as built."""
    folder = write_instrument(build.instrument())
    write_instrument(build.form())
    registry = load_registry(folder)
    assert sorted((v.id, v.version, v.published) for v in registry) == [
        ("demo", 1, False),
        ("myform", 1, False),
    ]
    assert registry.get("demo", 1).item_codes == ("demo.1", "demo.2")
    assert registry.get("myform", 1).item_codes == ("demo.1", "demo.2")
    assert registry.get("demo", 1).path == DEMO


# --- one file on its own ------------------------------------------------------------------------


def test_duplicate_item_code_within_a_file(write_instrument, build, refused):
    items = [build.item("demo.1"), build.item("demo.2"), build.item("demo.1", type="integer")]
    folder = write_instrument(build.instrument(items=items))
    error = refused(folder, "E_DUPLICATE_ITEM", DEMO, "demo.1")
    assert f"duplicate item code (also in {DEMO})" in str(error)


def test_duplicate_item_code_across_sections_of_one_file(write_instrument, build, refused):
    sections = [
        {"id": "one", "title": build.text(), "items": [build.item("demo.1")]},
        {"id": "two", "title": build.text(), "items": [build.item("demo.1")]},
    ]
    folder = write_instrument(build.instrument(sections=sections))
    refused(folder, "E_DUPLICATE_ITEM", DEMO, "demo.1")


def test_unknown_item_type(write_instrument, build, refused):
    items = [build.item("demo.1"), build.item("demo.2", type="slider")]
    folder = write_instrument(build.instrument(items=items))
    error = refused(folder, "E_UNKNOWN_TYPE", DEMO, "demo.2")
    assert "unknown type 'slider'" in str(error)
    assert "single_choice, multiple_choice, integer, date, text" in str(error)


def test_answer_code_used_twice(write_instrument, build, refused):
    answers = [*build.options(1, 2), {"code": 1, "da": "Igen", "en": "Again"}]
    items = [build.item("demo.1"), build.item("demo.2", answers=answers)]
    folder = write_instrument(build.instrument(items=items))
    error = refused(folder, "E_DUPLICATE_ANSWER_CODE", DEMO, "demo.2")
    assert "answer code 1 is used twice" in str(error)


def test_show_when_on_an_unknown_item(write_instrument, build, refused):
    items = [
        build.item("demo.1"),
        build.item("demo.2", show_when={"item": "demo.nope", "in": [1]}),
    ]
    folder = write_instrument(build.instrument(items=items))
    error = refused(folder, "E_CONDITION_UNKNOWN_ITEM", DEMO, "demo.2")
    assert "show_when refers to unknown item 'demo.nope'" in str(error)


def test_show_when_on_a_later_item(write_instrument, build, refused):
    items = [
        build.item("demo.1", show_when={"item": "demo.2", "in": [1]}),
        build.item("demo.2"),
    ]
    folder = write_instrument(build.instrument(items=items))
    error = refused(folder, "E_CONDITION_NOT_EARLIER", DEMO, "demo.1")
    assert "item 'demo.2', which comes after this item" in str(error)


def test_show_when_on_an_answer_code_the_item_lacks(write_instrument, build, refused):
    items = [build.item("demo.1"), build.item("demo.2", show_when={"item": "demo.1", "in": [7]})]
    folder = write_instrument(build.instrument(items=items))
    error = refused(folder, "E_CONDITION_UNKNOWN_CODE", DEMO, "demo.2")
    assert "answer code 7, which item 'demo.1' lacks" in str(error)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_missing_text_in_one_language(write_instrument, build, refused, lang):
    item = build.item("demo.2")
    del item["text"][lang]
    folder = write_instrument(build.instrument(items=[build.item("demo.1"), item]))
    error = refused(folder, "E_TEXT_MISSING_LANG", DEMO, "demo.2")
    assert f"text has no '{lang}' text" in str(error)


def test_empty_danish_answer_label(write_instrument, build, refused):
    answers = [{"code": 1, "da": "  ", "en": "Yes"}, {"code": 2, "da": "Nej", "en": "No"}]
    folder = write_instrument(build.instrument(items=[build.item("demo.1", answers=answers)]))
    error = refused(folder, "E_TEXT_MISSING_LANG", DEMO, "demo.1")
    assert "answer 1 has no 'da' text" in str(error)


def test_integer_range_with_min_above_max(write_instrument, build, refused):
    items = [build.item("demo.1"), build.item("demo.hours", type="integer", min=10, max=5)]
    folder = write_instrument(build.instrument(items=items))
    error = refused(folder, "E_RANGE_INVERTED", DEMO, "demo.hours")
    assert "range min 10 is greater than max 5" in str(error)


def test_show_when_on_an_item_that_is_not_a_choice(write_instrument, build, refused):
    items = [
        build.item("demo.n", type="integer"),
        build.item("demo.2", show_when={"item": "demo.n", "in": [1]}),
    ]
    folder = write_instrument(build.instrument(items=items))
    error = refused(folder, "E_CONDITION_NOT_CHOICE", DEMO, "demo.2")
    assert "item 'demo.n', which is not a choice item" in str(error)


def test_bad_item_code(write_instrument, build, refused):
    folder = write_instrument(build.instrument(items=[build.item("Demo1")]))
    error = refused(folder, "E_BAD_ITEM_CODE", DEMO)
    assert "item code 'Demo1' must look like 'group.name' in lower case" in str(error)


def test_score_on_an_unknown_item(write_instrument, build, refused):
    score = {
        "code": "demo.score",
        "title": build.text("Score", "Score"),
        "method": "sum",
        "items": ["demo.1", "demo.9"],
    }
    folder = write_instrument(build.instrument(scores=[score]))
    error = refused(folder, "E_SCORE_UNKNOWN_ITEM", DEMO, "demo.score")
    assert "score 'demo.score' uses unknown item 'demo.9'" in str(error)


def test_invalid_yaml(write_instrument, refused):
    folder = write_instrument(
        "instrument: demo\nversion: 1\ntitle: {da: [unclosed\n", file="demo/1.yaml"
    )
    error = refused(folder, "E_YAML", DEMO)
    assert "is not valid YAML" in str(error)
    assert "\n" not in str(error)


def test_file_name_and_version_mismatch(write_instrument, build, refused):
    folder = write_instrument(build.instrument(version=1), file="demo/2.yaml")
    error = refused(folder, "E_ID_MISMATCH", "instruments/demo/2.yaml")
    assert "declares version 1 but the file is at instruments/demo/2.yaml" in str(error)


def test_folder_name_and_instrument_id_mismatch(write_instrument, build, refused):
    folder = write_instrument(build.instrument(id="demo"), file="other/1.yaml")
    error = refused(folder, "E_ID_MISMATCH", "instruments/other/1.yaml")
    assert "declares instrument 'demo' but the file is at instruments/other/1.yaml" in str(error)


def test_unknown_item_field_such_as_a_typo(write_instrument, build, refused):
    item = build.item("demo.2")
    item["text_da"] = item.pop("text")["da"]
    folder = write_instrument(build.instrument(items=[build.item("demo.1"), item]))
    error = refused(folder, "E_UNKNOWN_FIELD", DEMO, "demo.2")
    assert "unknown field 'text_da'" in str(error)
    assert "allowed: answers, baseline, code" in str(error)


def test_unknown_top_level_field(write_instrument, build, refused):
    folder = write_instrument(build.instrument(titel=build.text()))
    error = refused(folder, "E_UNKNOWN_FIELD", DEMO)
    assert "unknown field 'titel'" in str(error)


def test_answers_on_an_integer_item(write_instrument, build, refused):
    item = build.item("demo.2", type="integer", answers=build.options(1))
    folder = write_instrument(build.instrument(items=[build.item("demo.1"), item]))
    error = refused(folder, "E_ANSWERS_NOT_ALLOWED", DEMO, "demo.2")
    assert "integer item takes no answers" in str(error)


# --- forms and their includes -------------------------------------------------------------------


def test_duplicate_item_code_across_a_form_include(write_instrument, build, refused):
    write_instrument(build.instrument())
    own = {"id": "own", "title": build.text(), "items": [build.item("demo.2")]}
    folder = write_instrument(build.form(sections=[build.include("demo", 1), own]))
    error = refused(folder, "E_DUPLICATE_ITEM", "instruments/myform/1.yaml", "demo.2")
    assert "duplicate item code (also in demo v1)" in str(error)


def test_the_same_include_twice(write_instrument, build, refused):
    write_instrument(build.instrument())
    form = build.form(sections=[build.include("demo", 1), build.include("demo", 1, "main")])
    folder = write_instrument(form)
    refused(folder, "E_DUPLICATE_ITEM", "instruments/myform/1.yaml", "demo.1")


def test_include_of_a_version_that_does_not_exist(write_instrument, build, refused):
    write_instrument(build.instrument())
    folder = write_instrument(build.form(sections=[build.include("demo", 2)]))
    error = refused(folder, "E_INCLUDE_UNKNOWN", "instruments/myform/1.yaml")
    assert "includes demo version 2, which does not exist" in str(error)


def test_include_of_a_section_that_does_not_exist(write_instrument, build, refused):
    write_instrument(build.instrument())
    folder = write_instrument(build.form(sections=[build.include("demo", 1, "nope")]))
    error = refused(folder, "E_INCLUDE_UNKNOWN_SECTION", "instruments/myform/1.yaml")
    assert "includes section 'nope' of demo v1, which has no such section" in str(error)


def test_an_instrument_may_not_include(write_instrument, build, refused):
    write_instrument(build.instrument())
    other = build.instrument(id="other", sections=[build.include("demo", 1)])
    folder = write_instrument(other)
    refused(folder, "E_INCLUDE_IN_INSTRUMENT", "instruments/other/1.yaml")


def test_a_form_may_not_include_a_form(write_instrument, build, refused):
    write_instrument(build.instrument())
    write_instrument(build.form())
    folder = write_instrument(build.form(id="outer", sections=[build.include("myform", 1)]))
    error = refused(folder, "E_INCLUDE_FORM", "instruments/outer/1.yaml")
    assert "includes myform v1, which is a form" in str(error)


def test_show_when_across_an_include_must_stay_inside_the_form(write_instrument, build, refused):
    """A condition in a section the form includes must point at an item the form has."""
    sections = [
        {"id": "first", "title": build.text(), "items": [build.item("demo.1")]},
        {
            "id": "second",
            "title": build.text(),
            "items": [build.item("demo.2", show_when={"item": "demo.1", "in": [1]})],
        },
    ]
    write_instrument(build.instrument(sections=sections))
    folder = write_instrument(build.form(sections=[build.include("demo", 1, "second")]))
    error = refused(folder, "E_CONDITION_UNKNOWN_ITEM", "instruments/myform/1.yaml", "demo.2")
    assert "unknown item 'demo.1'" in str(error)


# --- across versions ----------------------------------------------------------------------------


def test_item_code_that_changes_meaning_between_versions(write_instrument, build, refused):
    write_instrument(build.instrument(version=1))
    v2_items = [build.item("demo.1", answers=build.options(1, 2, 3)), build.item("demo.2")]
    folder = write_instrument(build.instrument(version=2, items=v2_items))
    error = refused(folder, "E_CODE_CHANGED_MEANING", "instruments/demo/2.yaml", "demo.1")
    message = str(error)
    assert f"item demo.1 means something else in {DEMO}" in message
    assert "was single_choice with codes [1, 2], now single_choice with codes [1, 2, 3]" in message
    assert "give the changed item a new code" in message


def test_integer_range_change_is_a_change_of_meaning(write_instrument, build, refused):
    write_instrument(build.instrument(items=[build.item("demo.n", type="integer", max=37)]))
    v2 = build.instrument(version=2, items=[build.item("demo.n", type="integer", max=40)])
    folder = write_instrument(v2)
    error = refused(folder, "E_CODE_CHANGED_MEANING", "instruments/demo/2.yaml", "demo.n")
    assert "was integer 0–37, now integer 0–40" in str(error)


def test_a_new_version_may_reword_reorder_and_drop_items(write_instrument, build):
    write_instrument(build.instrument(version=1))
    reworded = build.item("demo.2")
    reworded["text"] = build.text("Nyt spørgsmål", "New question")
    folder = write_instrument(build.instrument(version=2, items=[reworded]))
    registry = load_registry(folder)
    assert registry.get("demo", 2).item_codes == ("demo.2",)
    assert registry.find_item("demo.2").text.da == "Nyt spørgsmål"
    assert registry.latest("demo", published_only=False).version == 2


# --- many problems at once ----------------------------------------------------------------------


def test_several_broken_files_are_all_reported(write_instrument, build):
    write_instrument(build.instrument(id="good"))
    write_instrument("instrument: [", file="yamlbad/1.yaml")
    write_instrument(build.instrument(id="typo", items=[build.item("typo.1", texts={})]))
    write_instrument(build.instrument(id="range", items=[build.item("range.1", type="integer")]))
    broken_range = build.instrument(
        id="range", version=2, items=[build.item("range.1", type="integer", min=3, max=1)]
    )
    folder = write_instrument(broken_range)
    with pytest.raises(InstrumentErrors) as caught:
        load_registry(folder)
    found = sorted((e.path, e.code) for e in caught.value.errors)
    assert found == [
        ("instruments/range/2.yaml", "E_RANGE_INVERTED"),
        ("instruments/typo/1.yaml", "E_UNKNOWN_FIELD"),
        ("instruments/yamlbad/1.yaml", "E_YAML"),
    ]
    lines = str(caught.value).splitlines()
    assert len(lines) == 3
    assert all(line.endswith("]") for line in lines)
    assert "good" not in str(caught.value)


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_error_message_can_be_built(code):
    """Template parameters named code, item or path must not clash with the error's own."""
    names = {field for _, field, _, _ in string.Formatter().parse(MESSAGES[code]) if field}
    error = InstrumentError(code, "instruments/x/1.yaml", "x.1", **dict.fromkeys(names, 7))
    assert str(error).startswith("instruments/x/1.yaml: item x.1: ")
    assert str(error).endswith(f"[{code}]")
    assert (error.code, error.path, error.item) == (code, "instruments/x/1.yaml", "x.1")


def test_error_message_layout():
    assert all(code.startswith("E_") for code in MESSAGES)
    error = InstrumentError("E_RANGE_INVERTED", "instruments/x/1.yaml", "x.1", min=2, max=1)
    assert str(error) == (
        "instruments/x/1.yaml: item x.1: range min 2 is greater than max 1 [E_RANGE_INVERTED]"
    )


# --- publishing ---------------------------------------------------------------------------------


def test_publish_a_draft_v2_writes_the_lock_and_freezes_it(write_instrument, build, refused):
    folder = write_instrument(build.instrument(version=1))
    digest1 = publish(folder, "demo", 1)
    v2 = build.instrument(version=2, items=[build.item("demo.1")])
    write_instrument(v2)
    assert not load_registry(folder).get("demo", 2).published

    digest2 = publish(folder, "demo", 2)
    assert digest2 == digest_of(v2)
    assert digest2 != digest1
    lock = json.loads((folder / LOCK_NAME).read_text(encoding="utf-8"))
    assert lock == {"format": 1, "published": {"demo": {"1": digest1, "2": digest2}}}
    assert read_lock(folder) == {("demo", 1): digest1, ("demo", 2): digest2}
    registry = load_registry(folder)
    assert registry.get("demo", 2).published
    assert registry.latest("demo").version == 2
    assert publish(folder, "demo", 2) == digest2  # publishing again changes nothing

    v2["sections"][0]["items"][0]["text"]["da"] = "Ændret efter udgivelse"
    write_instrument(v2)
    error = refused(folder, "E_FROZEN", "instruments/demo/2.yaml")
    assert "new version" in str(error)


def test_publish_refuses_a_form_that_includes_a_draft(write_instrument, build):
    write_instrument(build.instrument())
    folder = write_instrument(build.form())
    with pytest.raises(InstrumentError) as caught:
        publish(folder, "myform", 1)
    assert caught.value.code == "E_INCLUDE_DRAFT"
    assert str(caught.value) == (
        "instruments/myform/1.yaml: is published but includes demo v1, which is not published "
        "[E_INCLUDE_DRAFT]"
    )
    assert not (folder / LOCK_NAME).exists()

    publish(folder, "demo", 1)
    publish(folder, "myform", 1)
    assert all(v.published for v in load_registry(folder))


def test_a_published_form_cannot_include_a_draft(write_instrument, build, refused):
    write_instrument(build.instrument())
    form = build.form()
    folder = write_instrument(form)
    write_lock(folder, {("myform", 1): digest_of(form)})  # the form locked, its include not
    error = refused(folder, "E_INCLUDE_DRAFT", "instruments/myform/1.yaml")
    assert "includes demo v1, which is not published" in str(error)


def test_a_locked_file_that_is_gone(write_instrument, build, refused):
    folder = write_instrument(build.instrument())
    publish(folder, "demo", 1)
    write_lock(folder, {**read_lock(folder), ("demo", 3): "sha256:" + "0" * 64})
    error = refused(folder, "E_LOCKED_MISSING", "instruments/demo/3.yaml")
    assert "listed in published.lock as published, but the file is gone" in str(error)


def test_an_invalid_lock_file(write_instrument, build, refused):
    folder = write_instrument(build.instrument())
    (folder / LOCK_NAME).write_text('{"published": ["demo"]}', encoding="utf-8")
    with pytest.raises(InstrumentErrors) as caught:
        load_registry(folder)
    assert [e.code for e in caught.value.errors] == ["E_LOCK_INVALID"]
    assert LOCK_NAME in str(caught.value)


def test_a_file_that_is_not_utf8_is_refused_with_its_name(write_instrument, build, refusals):
    folder = write_instrument(build.instrument(id="good"))
    write_instrument(build.instrument(id="other", items=[build.item("other.1", type="slider")]))
    path = folder / "demo" / "1.yaml"
    path.parent.mkdir()
    path.write_bytes(
        "instrument: demo\nversion: 1\ntitle: {da: Køn, en: Gender}\n".encode("cp1252")
    )
    errors = refusals(folder)
    assert sorted((e.path, e.code) for e in errors) == [
        (DEMO, "E_ENCODING"),
        ("instruments/other/1.yaml", "E_UNKNOWN_TYPE"),
    ]
    message = next(str(e) for e in errors if e.code == "E_ENCODING")
    assert message.startswith(f"{DEMO}: is not UTF-8 text")


def test_a_key_given_twice_is_refused(write_instrument, refusals):
    folder = write_instrument(
        "instrument: demo\nversion: 1\nversion: 2\nkind: instrument\n", file="demo/1.yaml"
    )
    (error,) = refusals(folder)
    assert error.code == "E_YAML"
    assert "'version' is given twice" in str(error)


def test_turning_dont_know_into_refused_changes_meaning(write_instrument, build, refusals):
    options = [*build.options(1, 2), {**build.options(9)[0], "special": "dont_know"}]
    write_instrument(build.instrument(items=[build.item("demo.q", answers=options)]))
    options[2] = {**options[2], "special": "refused"}
    folder = write_instrument(
        build.instrument(version=2, items=[build.item("demo.q", answers=options)])
    )
    (error,) = refusals(folder)
    assert error.code == "E_CODE_CHANGED_MEANING"
    assert "9 (dont_know)" in str(error)
    assert "9 (refused)" in str(error)
