"""The trend's chart data: pure functions from measurements to series and figures.

Bands, the ≥ 10 point markers, gaps (never a zero), pairs of BIP questions, "Ved ikke", the radar,
events and version boundaries, on hand-made measurements against the real instruments (and a
citizen form version 2 written for the test).
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from survey.config import PROJECT_ROOT
from survey.instruments import load_registry
from survey.models import CitizenEvent, CitizenEventKind
from survey.trend import data, figures
from survey.trend.data import LAYOUT, CellState, EventKind, Measurement

REGISTRY = load_registry(PROJECT_ROOT / "instruments")
START = date(2026, 1, 5)


def when(point: int) -> date:
    return START + timedelta(days=91 * (point - 1))


def citizen_form(point: int, version: int = 1, mode: str = "self", **answers) -> Measurement:
    return Measurement(point * 10, "citizen", version, point, when(point), mode, answers)


def staff_form(point: int, **answers) -> Measurement:
    return Measurement(
        point * 10 + 1, "staff", 1, point, when(point) + timedelta(days=2), "staff", answers
    )


def who5(*values: int) -> dict[str, int]:
    return {f"who5.{i}": v for i, v in enumerate(values, start=1)}


def bip(*values: int, part: str = "c") -> dict[str, int]:
    return {f"bip_{part}.{i}": v for i, v in enumerate(values, start=1)}


@pytest.fixture
def babel(app):
    """Figures and summaries speak through Babel, so they need a request (Danish by default)."""
    with app.test_request_context():
        yield


# --- WHO-5 --------------------------------------------------------------------------------------


def test_scores_are_the_raw_sum_times_four_with_their_band() -> None:
    series = data.score_series(
        [
            citizen_form(1, **who5(1, 1, 1, 1, 2)),  # 6 → 24
            citizen_form(2, **who5(2, 2, 3, 2, 3)),  # 12 → 48
            citizen_form(3, **who5(4, 4, 4, 4, 4)),  # 20 → 80
        ],
        REGISTRY,
        "who5.score",
    )
    assert [p.value for p in series.points] == [24, 48, 80]
    assert [p.band.code if p.band else None for p in series.points] == [
        "likely_depression",
        "poor_wellbeing",
        None,
    ]


def test_changes_of_ten_points_or_more_are_marked_and_smaller_ones_are_not() -> None:
    series = data.score_series(
        [
            citizen_form(1, **who5(2, 2, 2, 2, 2)),  # 40
            citizen_form(2, **who5(2, 2, 2, 3, 3)),  # 48: +8
            citizen_form(3, **who5(3, 3, 3, 3, 3)),  # 60: +12
            citizen_form(4, **who5(2, 2, 3, 3, 2)),  # 48: -12
            citizen_form(5, **who5(2, 2, 3, 3, 4)),  # 56: +8
            citizen_form(6, **who5(3, 3, 3, 3, 4)),  # 64: +8
        ],
        REGISTRY,
        "who5.score",
    )
    assert [p.change for p in series.points] == [None, 8, 12, -12, 8, 8]
    assert [p.relevant for p in series.points] == [False, False, True, True, False, False]
    assert series.overall_change == 24
    assert series.overall_relevant


def test_the_figure_marks_relevant_changes_up_and_down_and_no_others(babel) -> None:
    # WHO-5 moves in steps of 4: +8 is below the line, +12 and -12 are above it.
    series = data.score_series(
        [
            citizen_form(1, **who5(2, 2, 2, 2, 2)),  # 40
            citizen_form(2, **who5(2, 2, 2, 3, 3)),  # 48: +8
            citizen_form(3, **who5(3, 3, 3, 3, 3)),  # 60: +12
            citizen_form(4, **who5(2, 2, 3, 3, 2)),  # 48: -12
        ],
        REGISTRY,
        "who5.score",
    )
    figure = figures.who5(series, None, "da")
    (markers,) = [t for t in figure["data"] if t["mode"] == "markers"]
    assert markers["x"] == [when(3).isoformat(), when(4).isoformat()]
    assert markers["y"] == [60, 48]
    assert markers["marker"]["symbol"] == ["triangle-up-open", "triangle-down-open"]
    assert markers["name"] == "Ændring på 10 point eller mere"
    labels = [a["text"] for a in figure["layout"]["annotations"] if a.get("xref") != "paper"]
    assert labels == ["<b>+12</b>", "<b>-12</b>"]


def test_no_change_markers_when_nothing_moved_enough(babel) -> None:
    series = data.score_series(
        [citizen_form(1, **who5(2, 2, 2, 2, 2)), citizen_form(2, **who5(2, 2, 2, 3, 3))],
        REGISTRY,
        "who5.score",
    )
    figure = figures.who5(series, None, "da")
    assert [t for t in figure["data"] if t["mode"] == "markers"] == []
    assert series.overall_change == 8
    assert not series.overall_relevant


def test_a_score_that_cannot_be_computed_is_a_gap_never_a_zero(babel) -> None:
    unanswered = who5(3, 3, 3, 3, 3)
    del unanswered["who5.4"]
    measurements = [
        citizen_form(1, **who5(2, 2, 2, 2, 2)),
        citizen_form(2, **unanswered),
        citizen_form(3, **who5(3, 3, 3, 3, 3)),
    ]
    series = data.score_series(measurements, REGISTRY, "who5.score")
    assert [p.value for p in series.points] == [40, None, 60]
    assert [p.point for p in series.gaps] == [2]
    # The change at point 3 is against the last point that has a score.
    assert series.points[2].change == 20
    assert series.points[2].relevant
    figure = figures.who5(
        series, figures.time_range([m.administered_on for m in measurements]), "da"
    )
    line = figure["data"][0]
    assert line["y"] == [40, None, 60]
    assert line["connectgaps"] is False
    assert 0 not in line["y"]
    gap_lines = [s for s in figure["layout"]["shapes"] if s["type"] == "line"]
    assert [s["x0"] for s in gap_lines] == [when(2).isoformat()]


def test_a_missing_measurement_breaks_the_line(babel) -> None:
    series = data.score_series(
        [citizen_form(1, **who5(2, 2, 2, 2, 2)), citizen_form(3, **who5(3, 3, 3, 3, 3))],
        REGISTRY,
        "who5.score",
    )
    line = figures.who5(series, None, "da")["data"][0]
    assert line["x"] == [when(1).isoformat(), None, when(3).isoformat()]
    assert line["y"] == [40, None, 60]


def test_the_bands_are_shaded_from_the_rule_with_their_names(babel) -> None:
    series = data.score_series([citizen_form(1, **who5(2, 2, 2, 2, 2))], REGISTRY, "who5.score")
    layout = figures.who5(series, None, "da")["layout"]
    rects = [(s["y0"], s["y1"]) for s in layout["shapes"] if s["type"] == "rect"]
    assert rects == [(0, 28), (28, 50)]
    texts = [a["text"] for a in layout["annotations"]]
    assert "≤ 28: Sandsynlig depression" in texts
    assert any(t.startswith("≤ 50: Dårlig trivsel") for t in texts)
    english = figures.who5(series, None, "en")["layout"]
    assert "≤ 28: Likely depression" in [a["text"] for a in english["annotations"]]


def test_staff_forms_carry_no_score_and_no_citizen_form_gives_no_series() -> None:
    assert (
        data.score_series([staff_form(1, **bip(3, 3, 3, 3, part="s"))], REGISTRY, "who5.score")
        is None
    )
    assert data.score_series([], REGISTRY, "who5.score") is None


# --- BIP ----------------------------------------------------------------------------------------


def _panels(measurements: list[Measurement], lang: str = "da") -> list[data.Panel]:
    citizen_codes, staff_codes = LAYOUT.bip_codes(REGISTRY)
    return data.panels(measurements, REGISTRY, lang, citizen_codes, staff_codes, LAYOUT.pairs)


def test_consultant_questions_sit_beside_the_citizen_questions_they_pair_with(babel) -> None:
    measurements = [
        citizen_form(1, **bip(1, 2, 3, 4, 5, 1)),
        staff_form(1, **bip(2, 3, 4, 5, part="s")),
    ]
    found = _panels(measurements)
    pairs = [
        (p.citizen.item.code if p.citizen else None, p.staff.item.code if p.staff else None)
        for p in found
    ]
    assert pairs == [
        ("bip_c.1", "bip_s.1"),
        ("bip_c.2", "bip_s.4"),
        ("bip_c.3", None),
        ("bip_c.4", None),
        ("bip_c.5", None),
        ("bip_c.6", None),
        (None, "bip_s.2"),
        (None, "bip_s.3"),
    ]
    assert found[1].staff.points[0].value == 5  # bip_s.4
    figure = figures.bip(found, None, "da")
    # The pair shares one panel: the citizen's and the consultant's lines on the same axes.
    on_first = [t for t in figure["data"] if t["xaxis"] == "x" and t["mode"] != "markers"]
    assert [t["name"] for t in on_first] == ["Borger", "Konsulent"]
    assert [t["y"] for t in on_first] == [[1], [2]]
    on_second = [t for t in figure["data"] if t["xaxis"] == "x2" and t["mode"] != "markers"]
    assert [t["y"] for t in on_second] == [[2], [5]]
    assert len({t["xaxis"] for t in figure["data"]}) == 8


def test_dont_know_is_shown_as_such_not_as_a_value(babel) -> None:
    found = _panels(
        [citizen_form(1, **bip(9, 2, 3, 4, 5, 1)), citizen_form(2, **bip(4, 2, 3, 4, 5, 1))]
    )
    first = found[0].citizen
    assert [p.state for p in first.points] == [CellState.SPECIAL, CellState.ANSWERED]
    assert [p.value for p in first.points] == [None, 4]
    assert first.points[0].label == "Ved ikke"
    figure = figures.bip(found, None, "da")
    line, special = [t for t in figure["data"] if t["xaxis"] == "x"][:2]
    assert line["y"] == [None, 4]
    assert special["mode"] == "markers"
    assert special["y"] == [0]
    assert special["x"] == [when(1).isoformat()]
    axis = figure["layout"]["yaxis"]
    assert axis["tickvals"][0] == 0
    assert axis["ticktext"][0] == "Ved ikke"
    assert "Ved ikke" in special["hovertext"][0]


def test_radar_compares_the_first_and_latest_point_with_answers_on_the_scale() -> None:
    found = _panels(
        [
            citizen_form(1, **bip(9, 9, 9, 9, 9, 9)),  # only "Ved ikke": not a profile
            citizen_form(2, **bip(1, 2, 9, 4, 5, 1)),
            citizen_form(3, **bip(2, 2, 2, 2, 2, 2)),
            citizen_form(4, **bip(3, 4, 5, 5, 5, 9)),
        ]
    )
    radar = data.radar(found)
    assert [i.code for i in radar.items] == [f"bip_c.{i}" for i in range(1, 7)]
    assert radar.first.point == 2
    assert radar.first.values == (1, 2, None, 4, 5, 1)
    assert radar.latest.point == 4
    assert radar.latest.values == (3, 4, 5, 5, 5, None)


def test_no_radar_when_every_answer_is_dont_know_and_no_latest_with_one_point() -> None:
    assert data.radar(_panels([citizen_form(1, **bip(9, 9, 9, 9, 9, 9))])) is None
    single = data.radar(_panels([citizen_form(1, **bip(1, 2, 3, 4, 5, 1))]))
    assert single.latest is None
    assert single.first.values == (1, 2, 3, 4, 5, 1)


# --- health and events --------------------------------------------------------------------------


def test_self_rated_health_is_drawn_with_the_best_answer_on_top(babel) -> None:
    series = data.item_series(
        [citizen_form(1, **{"health.mental": 5}), citizen_form(2, **{"health.mental": 2})],
        REGISTRY,
        "health.mental",
        "da",
    )
    assert [p.label for p in series.points] == ["Dårligt", "Vældig godt"]
    figure = figures.health([series], [], None, "da", LAYOUT.best_low)
    axis = figure["layout"]["yaxis"]
    assert axis["range"][0] > axis["range"][1]  # reversed: 1 (Fremragende) at the top
    assert axis["ticktext"][0] == "Fremragende"


def test_events_come_from_the_staff_form_and_the_course_history() -> None:
    history = [
        CitizenEvent(citizen_id=1, kind=CitizenEventKind.ENROLLED, occurred_on=START),
        CitizenEvent(
            citizen_id=1,
            kind=CitizenEventKind.TRANSFERRED,
            occurred_on=when(2) - timedelta(days=10),
            consultant_id=7,
            previous_consultant_id=6,
        ),
        CitizenEvent(
            citizen_id=1,
            kind=CitizenEventKind.ENDED,
            occurred_on=when(3) + timedelta(days=5),
            status="ended_planned",
            reason="employment",
        ),
    ]
    measurements = [
        staff_form(1, **{"staff.employment": 2, "staff.network_meeting": 1}),
        staff_form(
            2, **{"staff.employment": 1, "staff.employment_hours": 12, "staff.education": 2}
        ),
        staff_form(
            3, **{"staff.employment": 1, "staff.employment_hours": 20, "staff.internship": 1}
        ),
    ]
    found = data.events(measurements, history, LAYOUT)
    assert [(e.kind, e.point, e.hours) for e in found] == [
        (EventKind.ENROLLED, None, None),
        (EventKind.NETWORK_MEETING, 1, None),
        (EventKind.TRANSFERRED, None, None),
        (EventKind.EMPLOYMENT, 2, 12),
        (EventKind.EMPLOYMENT, 3, 20),
        (EventKind.INTERNSHIP, 3, None),
        (EventKind.ENDED, None, None),
    ]
    assert found[2].previous_consultant_id == 6
    assert found[-1].reason == "employment"


def test_event_descriptions_name_hours_transfers_and_the_end_reason(babel) -> None:
    names = {6: "Anne Holm", 7: "Mads Berg"}
    assert figures.describe(data.Event(START, EventKind.EMPLOYMENT, point=2, hours=12), names) == (
        "Beskæftigelse, 12 timer om ugen (måling 2)"
    )
    transfer = data.Event(START, EventKind.TRANSFERRED, consultant_id=7, previous_consultant_id=6)
    assert "Anne Holm" in figures.describe(transfer, names)
    assert "Mads Berg" in figures.describe(transfer, names)
    ended = data.Event(START, EventKind.ENDED, status="ended_planned", reason="employment")
    assert figures.describe(ended, names) == "Forløb afsluttet: Beskæftigelse"


# --- the table and version boundaries -----------------------------------------------------------


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory) -> tuple:
    """The real instruments plus a citizen form version 2 without `network.family` and with a
    new question, as an unpublished draft."""
    folder = tmp_path_factory.mktemp("instruments")
    shutil.copytree(PROJECT_ROOT / "instruments", folder, dirs_exist_ok=True)
    source = (folder / "citizen" / "1.yaml").read_text(encoding="utf-8")
    start = source.index("      - code: network.family")
    text = source[:start] + (
        "      - code: network.meetings\n"
        "        type: integer\n"
        '        text: {da: "Hvor mange gange har du mødt andre den seneste uge?", '
        'en: "How many times have you met others in the past week?"}\n'
        "        min: 0\n"
        "        max: 50\n"
    )
    text = text.replace("version: 1\n", "version: 2\n", 1)
    (folder / "citizen" / "2.yaml").write_text(text, encoding="utf-8")
    return load_registry(Path(folder)), folder


def test_a_version_boundary_is_marked_where_the_form_changed(two_versions) -> None:
    registry, _ = two_versions
    measurements = [
        citizen_form(1, **{"network.family": 2, "health.mental": 3}),
        citizen_form(2, **{"network.family": 3}),
        citizen_form(3, version=2, mode="assisted", **{"network.meetings": 4}),
        citizen_form(4, version=2, **{"health.mental": 1}),
    ]
    (table,) = data.form_tables(measurements, registry, "da")
    assert [c.version for c in table.columns] == [1, 1, 2, 2]
    assert [c.boundary for c in table.columns] == [False, False, True, False]
    assert [c.mode for c in table.columns] == ["self", "self", "assisted", "self"]
    assert table.boundaries == (table.columns[2],)
    rows = {row.code: row for block in table.blocks for row in block.rows}
    assert [c.state for c in rows["network.family"].cells] == [
        CellState.ANSWERED,
        CellState.ANSWERED,
        CellState.NOT_IN_VERSION,
        CellState.NOT_IN_VERSION,
    ]
    assert [c.state for c in rows["network.meetings"].cells] == [
        CellState.NOT_IN_VERSION,
        CellState.NOT_IN_VERSION,
        CellState.ANSWERED,
        CellState.UNANSWERED,
    ]
    assert rows["network.meetings"].cells[2].text == "4"
    assert [c.text for c in rows["health.mental"].cells] == ["Godt", "", "", "Fremragende"]
    # Rows follow the newest version; the dropped item stays in its section, after the items
    # the section has now, and the section appears once.
    network = [b for b in table.blocks if b.title == "Dit netværk"]
    assert len(network) == 1
    assert [r.code for r in network[0].rows] == [
        "network.talk",
        "network.meetings",
        "network.family",
    ]
    assert len({b.title for b in table.blocks}) == len(table.blocks)


def test_version_changes_are_found_per_form_and_drawn_on_every_time_axis(
    two_versions, babel
) -> None:
    registry, _ = two_versions
    measurements = [
        citizen_form(1, **who5(2, 2, 2, 2, 2)),
        staff_form(1, **bip(3, 3, 3, 3, part="s")),
        citizen_form(2, **who5(2, 2, 2, 2, 2)),
        citizen_form(3, version=2, **who5(3, 3, 3, 3, 3)),
        staff_form(3, **bip(3, 3, 3, 3, part="s")),
        citizen_form(4, version=2, **who5(3, 3, 3, 3, 3)),
    ]
    changes = data.version_changes(measurements)
    assert changes == [data.VersionChange("citizen", 3, when(3), 1, 2)]
    figure = figures.who5(data.score_series(measurements, registry, "who5.score"), None, "da")
    figures.mark_versions(figure, changes, {"citizen": "Borgerskema"})
    marks = [s for s in figure["layout"]["shapes"] if s["line"].get("dash") == "dashdot"]
    assert [(m["x0"], m["xref"], m["yref"]) for m in marks] == [
        (when(3).isoformat(), "x", "y domain")
    ]
    assert "Borgerskema version 2" in [a["text"] for a in figure["layout"]["annotations"]]
    citizen_codes, staff_codes = LAYOUT.bip_codes(registry)
    small = figures.bip(
        data.panels(measurements, registry, "da", citizen_codes, staff_codes, LAYOUT.pairs),
        None,
        "da",
    )
    figures.mark_versions(small, changes, {"citizen": "Borgerskema"})
    marked = {s["xref"] for s in small["layout"]["shapes"] if s["line"].get("dash") == "dashdot"}
    assert marked == {"x", *(f"x{k}" for k in range(2, 9))}  # all eight small multiples


def test_no_version_change_when_the_form_kept_its_version() -> None:
    assert data.version_changes([citizen_form(1), staff_form(1), citizen_form(2)]) == []


def test_the_score_carries_across_versions_through_stable_item_codes(two_versions) -> None:
    registry, _ = two_versions
    series = data.score_series(
        [citizen_form(1, **who5(2, 2, 2, 2, 2)), citizen_form(2, version=2, **who5(3, 3, 3, 3, 3))],
        registry,
        "who5.score",
    )
    assert [p.value for p in series.points] == [40, 60]


def test_table_cells_use_labels_and_mark_baseline_dont_know_and_unanswered() -> None:
    measurements = [
        staff_form(
            1, **{"person.gender": 1, "staff.diagnosis": 1, "staff.diagnosis_kinds": (1, 7)}
        ),
        staff_form(2, **{"staff.diagnosis": 9}),
    ]
    (table,) = data.form_tables(measurements, REGISTRY, "da")
    rows = {row.code: row for block in table.blocks for row in block.rows}
    assert [c.state for c in rows["person.gender"].cells] == [
        CellState.ANSWERED,
        CellState.NOT_ASKED,
    ]
    assert rows["person.gender"].cells[0].text == "Kvinde"
    assert rows["staff.diagnosis_kinds"].cells[0].text == "Angst; ADHD"
    assert rows["staff.diagnosis"].cells[1] == data.Cell("Ved ikke", CellState.SPECIAL)
    assert rows["staff.economy"].cells[0].state is CellState.UNANSWERED
    english = data.form_tables(measurements, REGISTRY, "en")[0]
    rows = {row.code: row for block in english.blocks for row in block.rows}
    assert rows["person.gender"].cells[0].text == "Woman"


def test_no_measurements_give_nothing_to_draw() -> None:
    assert data.form_tables([], REGISTRY, "da") == []
    assert all(p.empty for p in _panels([]))
    assert data.radar(_panels([])) is None
    assert data.events([], [], LAYOUT) == []
