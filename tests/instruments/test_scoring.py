"""Scores from the rules in the instrument files: WHO-5 as the real example."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from survey.instruments import load_registry, scoring
from survey.instruments.scoring import (
    compute,
    compute_all,
    is_relevant_change,
    relevant_direction,
)

WHO5_ITEMS = ("who5.1", "who5.2", "who5.3", "who5.4", "who5.5")


@pytest.fixture
def who5(real_registry):
    return real_registry.get("who5", 1)


@pytest.fixture
def rule(who5):
    (rule,) = who5.scores
    assert rule.code == "who5.score"
    return rule


def answers(*codes: object) -> dict[str, object]:
    assert len(codes) == 5
    return dict(zip(WHO5_ITEMS, codes, strict=True))


def test_all_fives_is_100_with_no_band(rule, who5):
    score = compute(rule, who5, answers(5, 5, 5, 5, 5))
    assert score is not None
    assert (score.raw, score.value) == (25, 100)
    assert score.band is None
    assert score.rule is rule


def test_all_zeros_is_0_likely_depression(rule, who5):
    score = compute(rule, who5, answers(0, 0, 0, 0, 0))
    assert (score.raw, score.value) == (0, 0)
    assert score.band.code == "likely_depression"
    assert score.band.label.da == "Sandsynlig depression"


@pytest.mark.parametrize(
    ("codes", "raw", "value", "band"),
    [
        ((2, 2, 1, 1, 1), 7, 28, "likely_depression"),  # exactly on the first band's limit
        ((2, 2, 2, 1, 1), 8, 32, "poor_wellbeing"),
        ((3, 3, 2, 2, 2), 12, 48, "poor_wellbeing"),
        ((3, 3, 3, 2, 2), 13, 52, None),
        ((4, 4, 4, 4, 3), 19, 76, None),
    ],
)
def test_band_edges(rule, who5, codes, raw, value, band):
    score = compute(rule, who5, answers(*codes))
    assert (score.raw, score.value) == (raw, value)
    assert (score.band.code if score.band else None) == band


def test_exactly_50_cannot_occur(rule):
    """50 is the poor_wellbeing limit, but raw × 4 = 50 needs raw 12.5: 48 and 52 are the edges."""
    assert rule.multiply == 4
    assert [b.max for b in rule.bands] == [28, 50]
    reachable = {raw * rule.multiply for raw in range(26)}
    assert 50 not in reachable
    assert {48, 52} <= reachable
    assert scoring.band_for(rule, 50).code == "poor_wellbeing"
    assert scoring.band_for(rule, 50.5) is None


@pytest.mark.parametrize("missing", WHO5_ITEMS)
def test_one_item_missing_gives_no_score(rule, who5, missing):
    given = answers(5, 4, 3, 2, 1)
    del given[missing]
    assert compute(rule, who5, given) is None
    given[missing] = None
    assert compute(rule, who5, given) is None


@pytest.mark.parametrize("bad", [True, False, 6, -1, 9, "5", 5.0, (5,)])
def test_a_bool_unknown_code_or_wrong_type_gives_no_score(rule, who5, bad):
    assert compute(rule, who5, answers(5, 5, bad, 5, 5)) is None
    assert compute(rule, who5, answers(5, 5, 5, 5, 5)) is not None


def test_relevant_change_is_10_points_either_way(rule):
    assert rule.relevant_change == 10
    assert not is_relevant_change(rule, 40, 49)
    assert is_relevant_change(rule, 40, 50)
    assert is_relevant_change(rule, 50, 40)
    assert not is_relevant_change(rule, 60, 51)
    assert is_relevant_change(rule, 0, 100)


def test_relevant_direction_says_which_way_and_never_for_no_change(rule):
    """One rule for the trend and the cohort report: a rise, a fall, or nothing that matters."""
    assert [relevant_direction(rule, d) for d in (-10, -9, 0, 9, 10)] == [-1, 0, 0, 0, 1]
    zero = replace(rule, relevant_change=0)
    assert [relevant_direction(zero, d) for d in (-1, 0, 1)] == [-1, 0, 1]
    assert relevant_direction(replace(rule, relevant_change=None), 50) == 0


def test_compute_all_on_the_citizen_form_returns_only_the_who5_score(real_registry):
    citizen = real_registry.get("citizen", 1)
    every = {item.code: item.codes[0] for item in citizen.items}
    every.update(dict.fromkeys(WHO5_ITEMS, 3))
    scores = compute_all(citizen, every)
    assert list(scores) == ["who5.score"]
    assert (scores["who5.score"].raw, scores["who5.score"].value) == (15, 60)

    without_who5 = {code: value for code, value in every.items() if code not in WHO5_ITEMS}
    assert compute_all(citizen, without_who5) == {}


def test_the_staff_form_has_no_scores(real_registry):
    staff = real_registry.get("staff", 1)
    given = {item.code: item.codes[0] for item in staff.items if item.codes}
    assert len(given) == 24  # every choice item answered
    assert staff.scores == ()
    assert compute_all(staff, given) == {}


def test_special_answers_are_excluded_from_scores(write_instrument, build):
    dont_know = {"code": 9, "da": "Ved ikke", "en": "Don't know", "special": "dont_know"}
    items = [build.item(f"demo.{n}", answers=[*build.options(0, 1, 2), dont_know]) for n in (1, 2)]
    score = {
        "code": "demo.score",
        "title": build.text("Score", "Score"),
        "method": "sum",
        "items": ["demo.1", "demo.2"],
        "multiply": 10,
        "bands": [{"code": "low", "max": 10, "da": "Lav", "en": "Low"}],
    }
    folder = write_instrument(build.instrument(items=items, scores=[score]))
    demo = load_registry(folder).get("demo", 1)
    (rule,) = demo.scores
    assert compute(rule, demo, {"demo.1": 2, "demo.2": 9}) is None
    result = compute(rule, demo, {"demo.1": 1, "demo.2": 0})
    assert (result.raw, result.value, result.band.code) == (1, 10, "low")
    assert compute_all(demo, {"demo.1": 2, "demo.2": 2})["demo.score"].value == 40
    assert not is_relevant_change(rule, 10, 40)  # no relevant_change in the rule: never relevant


def test_scoring_names_no_instrument(real_registry):
    """The rule: no instrument-specific `if` in Python; scores come from the files."""
    source = Path(scoring.__file__).read_text(encoding="utf-8")
    assert "who5" not in source.lower()
    names = set(real_registry.ids())
    for version in real_registry:
        for rule in version.scores:
            names.add(rule.code)
            names.update(band.code for band in rule.bands)
    assert {"who5", "bip", "citizen", "staff", "likely_depression"} <= names
    for name in names:
        assert not re.search(rf"\b{re.escape(name)}\b", source), name
    assert not re.search(r"\b(28|50|100)\b", source)  # no WHO-5 limits either
