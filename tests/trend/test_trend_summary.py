"""The charts in words: what a screen reader reads and what goes into the case file."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from survey.config import PROJECT_ROOT
from survey.instruments import load_registry
from survey.trend import data, summary
from survey.trend.data import LAYOUT, Measurement

REGISTRY = load_registry(PROJECT_ROOT / "instruments")
START = date(2026, 1, 5)


def form(point: int, form_id: str = "citizen", **answers) -> Measurement:
    mode = "staff" if form_id == "staff" else "self"
    on = START + timedelta(days=91 * (point - 1))
    return Measurement(point * 10, form_id, 1, point, on, mode, answers)


def who5(*values: int) -> dict[str, int]:
    return {f"who5.{i}": v for i, v in enumerate(values, start=1)}


@pytest.fixture(autouse=True)
def danish(app):
    with app.test_request_context():
        yield


def test_who5_in_words_names_first_latest_bands_changes_and_gaps() -> None:
    gap = who5(3, 3, 3, 3, 3)
    del gap["who5.2"]
    series = data.score_series(
        [
            form(1, **who5(1, 1, 1, 1, 1)),  # 20, likely depression
            form(2, **gap),  # no score
            form(3, **who5(3, 3, 3, 3, 3)),  # 60: +40 since measurement 1
            form(4, **who5(3, 3, 3, 3, 4)),  # 64: +4
        ],
        REGISTRY,
        "who5.score",
    )
    lines = summary.who5(series, "da")
    assert lines[0] == "WHO-5 trivselsscore (0–100): beregnet ved 3 af 4 målinger."
    assert lines[1] == "Første: 20 ved måling 1 den 5. jan. 2026 (Sandsynlig depression)."
    assert lines[2] == "Seneste: 64 ved måling 4 den 5. okt. 2026."
    assert lines[3] == ("Ændring fra første til seneste: +44 point, en klinisk relevant ændring.")
    # The change after the gap is measured from the last score, and says so.
    assert lines[4] == "Ændringer på 10 point eller mere mellem målinger: måling 1 → 3: +40."
    assert lines[5] == "Ingen score ved måling 2: ikke alle spørgsmål var besvaret."


def test_who5_in_words_when_nothing_could_be_computed() -> None:
    series = data.score_series([form(1, **{"who5.1": 3})], REGISTRY, "who5.score")
    assert summary.who5(series, "da") == [
        "WHO-5 trivselsscore (0–100) kunne ikke beregnes ved nogen måling: "
        "et spørgsmål var ikke besvaret."
    ]


def test_bip_in_words_gives_each_answer_its_measurement_and_the_latest_gap() -> None:
    citizen_codes, staff_codes = LAYOUT.bip_codes(REGISTRY)
    panels = data.panels(
        [
            form(1, **{"bip_c.1": 2}),
            form(1, "staff", **{"bip_s.1": 3}),
            form(2, "staff", **{"bip_s.1": 9}),
            form(3, **{"bip_c.1": 4}),
            form(3, "staff", **{"bip_s.1": 5}),
        ],
        REGISTRY,
        "da",
        citizen_codes,
        staff_codes,
        LAYOUT.pairs,
    )
    lines = summary.bip(panels, "da")
    assert lines[0].startswith("Svar pr. måling (m1 er måling 1)")
    assert lines[1] == (
        "Idé om arbejde (1–5) – borgeren: m1: 2, m3: 4; "
        "konsulenten (Realistiske jobønsker): m1: 3, m2: Ved ikke, m3: 5. "
        "Ved måling 3 svarer borgeren -1 i forhold til konsulenten."
    )
    assert len(lines) == 2  # panels with no answers are left out


def test_health_and_events_in_words() -> None:
    series = data.item_series(
        [form(1, **{"health.mental": 5}), form(2, **{"health.mental": 3})],
        REGISTRY,
        "health.mental",
        "da",
    )
    assert summary.health([series], "da") == [
        "Psykisk helbred: “Dårligt” ved måling 1 → “Godt” ved måling 2."
    ]
    events = [
        data.Event(START, data.EventKind.ENROLLED),
        data.Event(START + timedelta(days=91), data.EventKind.EMPLOYMENT, point=2, hours=15),
        data.Event(
            START + timedelta(days=100),
            data.EventKind.TRANSFERRED,
            consultant_id=2,
            previous_consultant_id=1,
        ),
    ]
    assert summary.events(events, {1: "Anne Holm", 2: "Mads Berg"}) == [
        "5. jan. 2026: Indskrevet",
        "6. apr. 2026: Beskæftigelse, 15 timer om ugen (måling 2)",
        "15. apr. 2026: Overdraget fra Anne Holm til Mads Berg",
    ]
