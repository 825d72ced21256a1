"""Scores computed from the scoring rules in the instrument files; no instrument is named here."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from survey.instruments.schema import Band, InstrumentVersion, ScoreRule


@dataclass(frozen=True)
class Score:
    rule: ScoreRule
    value: float
    raw: float
    band: Band | None


def _sum(values: Sequence[int]) -> float:
    return float(sum(values))


METHODS: dict[str, Callable[[Sequence[int]], float]] = {"sum": _sum}


def band_for(rule: ScoreRule, value: float) -> Band | None:
    """The first band (lowest `max`) that the value does not exceed."""
    return next((band for band in rule.bands if value <= band.max), None)


def compute(
    rule: ScoreRule, definition: InstrumentVersion, answers: Mapping[str, object]
) -> Score | None:
    """The score of one response, or None when an item is unanswered or not scored (Ved ikke)."""
    values: list[int] = []
    for code in rule.items:
        given = answers.get(code)
        if not isinstance(given, int) or isinstance(given, bool):
            return None
        option = definition.item(code).option(given)
        if option is None or not option.scored:
            return None
        values.append(given)
    raw = METHODS[rule.method](values)
    value = raw * rule.multiply
    return Score(rule=rule, value=value, raw=raw, band=band_for(rule, value))


def compute_all(definition: InstrumentVersion, answers: Mapping[str, object]) -> dict[str, Score]:
    """Every score the form carries that the answers allow, keyed by score code."""
    scores = {}
    for rule in definition.scores:
        score = compute(rule, definition, answers)
        if score is not None:
            scores[rule.code] = score
    return scores


def relevant_direction(rule: ScoreRule, change: float) -> int:
    """1 for a rise, -1 for a fall large enough to matter clinically (the rule's
    `relevant_change`), else 0; a rule without `relevant_change` has no relevant changes."""
    if rule.relevant_change is None or change == 0 or abs(change) < rule.relevant_change:
        return 0
    return 1 if change > 0 else -1


def is_relevant_change(rule: ScoreRule, before: float, after: float) -> bool:
    """A change large enough to matter clinically: `relevant_direction` of after − before."""
    return relevant_direction(rule, after - before) != 0
