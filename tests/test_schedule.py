"""The measurement schedule: due dates, windows and the state of each form, on paper dates."""

from datetime import date

import pytest

from survey.schedule import (
    FormState,
    FormStatus,
    PointSchedule,
    Timing,
    add_months,
    build_schedule,
    counts,
    due_date,
)

ENROLLED = date(2025, 1, 15)  # due 15 Jan, 15 Apr, 15 Jul, 15 Oct 2025, 15 Jan 2026 …
# Point 2's window with the default ± 21 days: 25 Mar – 6 May 2025; point 3's: 24 Jun – 5 Aug.


def states(schedule: list[PointSchedule], form_id: str = "citizen") -> dict[int, FormState]:
    """Point → state of `form_id`, for points that list that form."""
    return {
        point.point: status.state
        for point in schedule
        if (status := point.form(form_id)) is not None
    }


def point_of(schedule: list[PointSchedule], number: int) -> PointSchedule:
    (found,) = [point for point in schedule if point.point == number]
    return found


# --- add_months and due dates -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2024, 11, 30), 3, date(2025, 2, 28)),
        (date(2023, 11, 30), 3, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2024, 12, 31), 2, date(2025, 2, 28)),
        (date(2025, 11, 15), 3, date(2026, 2, 15)),
        (date(2025, 1, 15), 0, date(2025, 1, 15)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 1, 15), -1, date(2024, 12, 15)),
        (date(2025, 5, 31), -15, date(2024, 2, 29)),
        (date(2025, 1, 31), -12, date(2024, 1, 31)),
    ],
)
def test_add_months_keeps_the_day_and_clamps_to_the_month_end(day, months, expected):
    assert add_months(day, months) == expected


def test_due_dates_from_a_month_end_stay_on_month_ends_without_drift():
    assert [due_date(date(2025, 1, 31), point, 3) for point in range(1, 6)] == [
        date(2025, 1, 31),
        date(2025, 4, 30),
        date(2025, 7, 31),
        date(2025, 10, 31),
        date(2026, 1, 31),
    ]


def test_due_dates_from_a_leap_day():
    assert [due_date(date(2024, 2, 29), point, 3) for point in range(1, 6)] == [
        date(2024, 2, 29),
        date(2024, 5, 29),
        date(2024, 8, 29),
        date(2024, 11, 29),
        date(2025, 2, 28),
    ]
    assert [due_date(date(2024, 2, 29), point, 12) for point in (2, 3, 5)] == [
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2028, 2, 29),
    ]


def test_monthly_interval_through_a_leap_february():
    assert [due_date(date(2024, 1, 31), point, 1) for point in range(1, 5)] == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
    ]


def test_schedule_windows_sit_around_month_end_due_dates():
    schedule = build_schedule(enrolled_on=date(2025, 1, 31), today=date(2025, 5, 1))
    assert [(p.point, p.due_on, p.window_start, p.window_end) for p in schedule] == [
        (1, date(2025, 1, 31), date(2025, 1, 10), date(2025, 2, 21)),
        (2, date(2025, 4, 30), date(2025, 4, 9), date(2025, 5, 21)),
        (3, date(2025, 7, 31), date(2025, 7, 10), date(2025, 8, 21)),
    ]


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        (3, [date(2025, 1, 15), date(2025, 4, 15), date(2025, 7, 15), date(2025, 10, 15)]),
        (6, [date(2025, 1, 15), date(2025, 7, 15), date(2026, 1, 15), date(2026, 7, 15)]),
    ],
)
def test_changed_interval_moves_the_due_dates(interval, expected):
    assert [due_date(ENROLLED, point, interval) for point in range(1, 5)] == expected
    schedule = build_schedule(
        enrolled_on=ENROLLED, today=date(2026, 7, 1), interval_months=interval, max_points=4
    )
    assert [point.due_on for point in schedule] == expected


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: due_date(ENROLLED, 0, 3), "numbered from 1"),
        (lambda: due_date(ENROLLED, 2, 0), "at least one month"),
        (lambda: build_schedule(enrolled_on=ENROLLED, today=ENROLLED, interval_months=0), "month"),
        (lambda: build_schedule(enrolled_on=ENROLLED, today=ENROLLED, window_days=-1), "window"),
        (lambda: build_schedule(enrolled_on=ENROLLED, today=ENROLLED, max_points=0), "max_points"),
        (
            lambda: build_schedule(
                enrolled_on=ENROLLED, today=ENROLLED, done={(0, "citizen"): ENROLLED}
            ),
            "numbered from 1",
        ),
        (
            lambda: build_schedule(
                enrolled_on=ENROLLED,
                today=ENROLLED,
                inactive=[(date(2025, 5, 1), date(2025, 4, 1))],
            ),
            "reopened",
        ),
    ],
)
def test_invalid_input_is_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- which points are listed, and their states -------------------------------------------------


def test_on_the_enrolment_day_point_one_is_due_and_point_two_is_next():
    schedule = build_schedule(enrolled_on=ENROLLED, today=ENROLLED)
    assert schedule == [
        PointSchedule(
            1,
            date(2025, 1, 15),
            date(2024, 12, 25),
            date(2025, 2, 5),
            (FormStatus("citizen", FormState.DUE), FormStatus("staff", FormState.DUE)),
        ),
        PointSchedule(
            2,
            date(2025, 4, 15),
            date(2025, 3, 25),
            date(2025, 5, 6),
            (
                FormStatus("citizen", FormState.NOT_YET_DUE),
                FormStatus("staff", FormState.NOT_YET_DUE),
            ),
        ),
    ]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        # the day before point 2's window opens: point 1 is overdue, not yet missed
        (date(2025, 3, 24), {1: FormState.OVERDUE, 2: FormState.NOT_YET_DUE}),
        # window start edge: point 2 due, and point 1 now missed
        (
            date(2025, 3, 25),
            {1: FormState.MISSED, 2: FormState.DUE, 3: FormState.NOT_YET_DUE},
        ),
        (date(2025, 4, 15), {1: FormState.MISSED, 2: FormState.DUE, 3: FormState.NOT_YET_DUE}),
        # window end edge
        (date(2025, 5, 6), {1: FormState.MISSED, 2: FormState.DUE, 3: FormState.NOT_YET_DUE}),
        (date(2025, 5, 7), {1: FormState.MISSED, 2: FormState.OVERDUE, 3: FormState.NOT_YET_DUE}),
        (
            date(2025, 6, 23),
            {1: FormState.MISSED, 2: FormState.OVERDUE, 3: FormState.NOT_YET_DUE},
        ),
        # point 3's window opens: point 2 is missed, point 4 becomes the next one
        (
            date(2025, 6, 24),
            {
                1: FormState.MISSED,
                2: FormState.MISSED,
                3: FormState.DUE,
                4: FormState.NOT_YET_DUE,
            },
        ),
    ],
)
def test_states_move_from_not_yet_due_through_due_and_overdue_to_missed(today, expected):
    schedule = build_schedule(enrolled_on=ENROLLED, today=today)
    assert states(schedule, "citizen") == expected
    assert states(schedule, "staff") == expected


def test_citizen_and_staff_forms_are_tracked_separately():
    schedule = build_schedule(
        enrolled_on=ENROLLED,
        today=date(2025, 5, 10),
        done={(1, "citizen"): date(2025, 1, 20), (2, "staff"): date(2025, 4, 14)},
    )
    first, second = point_of(schedule, 1), point_of(schedule, 2)
    assert first.form("citizen") == FormStatus(
        "citizen", FormState.DONE, date(2025, 1, 20), Timing.ON_TIME
    )
    assert first.form("staff") == FormStatus("staff", FormState.MISSED)
    assert second.form("citizen") == FormStatus("citizen", FormState.OVERDUE)
    assert second.form("staff") == FormStatus(
        "staff", FormState.DONE, date(2025, 4, 14), Timing.ON_TIME
    )
    assert first.form("relative") is None


def test_forms_parameter_chooses_which_forms_are_tracked():
    schedule = build_schedule(enrolled_on=ENROLLED, today=ENROLLED, forms=("citizen",))
    assert [[status.form_id for status in point.forms] for point in schedule] == [
        ["citizen"],
        ["citizen"],
    ]


@pytest.mark.parametrize(
    ("administered_on", "timing"),
    [
        (date(2025, 3, 24), Timing.EARLY),
        (date(2025, 3, 25), Timing.ON_TIME),
        (date(2025, 4, 15), Timing.ON_TIME),
        (date(2025, 5, 6), Timing.ON_TIME),
        (date(2025, 5, 7), Timing.LATE),
    ],
)
def test_timing_of_a_done_form_against_its_window(administered_on, timing):
    schedule = build_schedule(
        enrolled_on=ENROLLED,
        today=date(2025, 6, 1),
        done={(2, "citizen"): administered_on},
    )
    assert point_of(schedule, 2).form("citizen") == FormStatus(
        "citizen", FormState.DONE, administered_on, timing
    )


def test_a_point_done_early_and_late_is_done_and_marked():
    schedule = build_schedule(
        enrolled_on=ENROLLED,
        today=date(2025, 7, 1),  # point 3's window is open, so an undone point 2 would be missed
        done={(2, "citizen"): date(2025, 3, 1), (2, "staff"): date(2025, 5, 20)},
    )
    second = point_of(schedule, 2)
    assert second.forms == (
        FormStatus("citizen", FormState.DONE, date(2025, 3, 1), Timing.EARLY),
        FormStatus("staff", FormState.DONE, date(2025, 5, 20), Timing.LATE),
    )
    assert states(schedule) == {
        1: FormState.MISSED,
        2: FormState.DONE,
        3: FormState.DUE,
        4: FormState.NOT_YET_DUE,
    }


def test_a_point_done_long_before_its_window_is_listed_as_done_early():
    schedule = build_schedule(
        enrolled_on=ENROLLED,
        today=date(2025, 8, 1),
        done={(5, "citizen"): date(2025, 8, 1)},
    )
    assert [point.point for point in schedule] == [1, 2, 3, 4, 5]
    fifth = point_of(schedule, 5)
    assert fifth.due_on == date(2026, 1, 15)
    assert fifth.forms == (
        FormStatus("citizen", FormState.DONE, date(2025, 8, 1), Timing.EARLY),
        FormStatus("staff", FormState.NOT_YET_DUE),
    )
    assert point_of(schedule, 4).form("citizen") == FormStatus("citizen", FormState.NOT_YET_DUE)


@pytest.mark.parametrize(
    ("today", "state"),
    [
        (date(2025, 4, 14), FormState.NOT_YET_DUE),
        (date(2025, 4, 15), FormState.DUE),
        (date(2025, 4, 16), FormState.OVERDUE),
    ],
)
def test_a_zero_day_window_is_just_the_due_date(today, state):
    schedule = build_schedule(enrolled_on=ENROLLED, today=today, window_days=0)
    second = point_of(schedule, 2)
    assert (second.window_start, second.window_end) == (date(2025, 4, 15), date(2025, 4, 15))
    assert second.form("citizen") == FormStatus("citizen", state)


@pytest.mark.parametrize(
    ("administered_on", "timing"),
    [
        (date(2025, 4, 14), Timing.EARLY),
        (date(2025, 4, 15), Timing.ON_TIME),
        (date(2025, 4, 16), Timing.LATE),
    ],
)
def test_a_zero_day_window_marks_any_other_day_off_time(administered_on, timing):
    schedule = build_schedule(
        enrolled_on=ENROLLED,
        today=date(2025, 5, 1),
        window_days=0,
        done={(2, "staff"): administered_on},
    )
    assert point_of(schedule, 2).form("staff") == FormStatus(
        "staff", FormState.DONE, administered_on, timing
    )


def test_drafts_are_flagged_on_their_form_only():
    schedule = build_schedule(
        enrolled_on=ENROLLED,
        today=date(2025, 4, 20),
        drafts={(2, "staff"), (1, "citizen")},
    )
    assert point_of(schedule, 2).forms == (
        FormStatus("citizen", FormState.DUE),
        FormStatus("staff", FormState.DUE, has_draft=True),
    )
    assert point_of(schedule, 1).forms == (
        FormStatus("citizen", FormState.MISSED, has_draft=True),
        FormStatus("staff", FormState.MISSED),
    )


def test_max_points_bounds_the_schedule():
    schedule = build_schedule(
        enrolled_on=date(2020, 1, 15),
        today=date(2025, 6, 1),
        max_points=4,
        done={(6, "citizen"): date(2021, 4, 15)},
    )
    assert [(point.point, point.due_on) for point in schedule] == [
        (1, date(2020, 1, 15)),
        (2, date(2020, 4, 15)),
        (3, date(2020, 7, 15)),
        (4, date(2020, 10, 15)),
    ]
    # point 5 is not listed, but its window has opened, so point 4 is closed
    assert states(schedule) == dict.fromkeys((1, 2, 3, 4), FormState.MISSED)


# --- ended and reopened courses -------------------------------------------------------------


def test_an_ended_course_stops_new_points_and_misses_the_undone_one():
    schedule = build_schedule(
        enrolled_on=ENROLLED,
        today=date(2025, 9, 1),
        inactive=[(date(2025, 5, 1), None)],
        done={(1, "citizen"): date(2025, 1, 15), (1, "staff"): date(2025, 1, 16)},
    )
    # point 3 (15 Jul) fell after the end and nothing comes next
    assert [point.point for point in schedule] == [1, 2]
    assert states(schedule, "citizen") == {1: FormState.DONE, 2: FormState.MISSED}
    assert states(schedule, "staff") == {1: FormState.DONE, 2: FormState.MISSED}


@pytest.mark.parametrize(
    ("inactive", "expected"),
    [
        ([], FormState.OVERDUE),
        ([(date(2025, 5, 20), None)], FormState.MISSED),
        # ended and reopened again before today: what was outstanding at the end stays missed
        ([(date(2025, 5, 20), date(2025, 5, 25))], FormState.MISSED),
        # ended on the due date itself: the point was still expected, and is now missed
        ([(date(2025, 4, 15), None)], FormState.MISSED),
    ],
)
def test_ending_the_course_after_a_due_date_closes_that_point(inactive, expected):
    schedule = build_schedule(enrolled_on=ENROLLED, today=date(2025, 6, 1), inactive=inactive)
    assert point_of(schedule, 2).form("citizen") == FormStatus("citizen", expected)


def test_a_course_ended_the_day_before_a_due_date_does_not_expect_that_point():
    schedule = build_schedule(
        enrolled_on=ENROLLED, today=date(2025, 6, 1), inactive=[(date(2025, 4, 14), None)]
    )
    assert [point.point for point in schedule] == [1]
    assert states(schedule) == {1: FormState.MISSED}


@pytest.mark.parametrize(
    ("today", "expected"),
    [(date(2025, 5, 1), FormState.DUE), (date(2025, 5, 7), FormState.MISSED)],
)
def test_a_course_ended_inside_a_window_keeps_the_window_open(today, expected):
    schedule = build_schedule(
        enrolled_on=ENROLLED, today=today, inactive=[(date(2025, 4, 20), None)]
    )
    assert [point.point for point in schedule] == [1, 2]
    assert point_of(schedule, 2).form("citizen") == FormStatus("citizen", expected)


def test_an_ended_and_reopened_course_skips_points_due_while_ended_and_resumes():
    schedule = build_schedule(
        enrolled_on=ENROLLED,
        today=date(2025, 11, 1),
        inactive=[(date(2025, 5, 1), date(2025, 9, 30))],
        done={(1, "citizen"): date(2025, 1, 15)},
    )
    # point 3 (15 Jul) fell while the course was ended; point 4 (15 Oct) is due again
    assert [(point.point, point.due_on) for point in schedule] == [
        (1, date(2025, 1, 15)),
        (2, date(2025, 4, 15)),
        (4, date(2025, 10, 15)),
        (5, date(2026, 1, 15)),
    ]
    assert states(schedule) == {
        1: FormState.DONE,
        2: FormState.MISSED,
        4: FormState.DUE,
        5: FormState.NOT_YET_DUE,
    }


def test_a_point_due_on_the_reopening_day_is_skipped():
    schedule = build_schedule(
        enrolled_on=ENROLLED,
        today=date(2025, 11, 1),
        inactive=[(date(2025, 5, 1), date(2025, 10, 15))],
    )
    assert [point.point for point in schedule] == [1, 2, 5]
    assert point_of(schedule, 5).form("staff") == FormStatus("staff", FormState.NOT_YET_DUE)


def test_while_ended_with_a_planned_reopening_the_next_point_is_the_first_after_it():
    schedule = build_schedule(
        enrolled_on=ENROLLED,
        today=date(2025, 6, 1),
        inactive=[(date(2025, 5, 10), date(2025, 8, 1))],
    )
    assert [point.point for point in schedule] == [1, 2, 4]
    assert states(schedule) == {
        1: FormState.MISSED,
        2: FormState.MISSED,
        4: FormState.NOT_YET_DUE,
    }


def test_a_form_done_while_the_course_was_ended_is_listed_alone():
    schedule = build_schedule(
        enrolled_on=ENROLLED,
        today=date(2025, 11, 1),
        inactive=[(date(2025, 5, 1), date(2025, 9, 30))],
        done={(3, "citizen"): date(2025, 7, 10)},
    )
    assert [point.point for point in schedule] == [1, 2, 3, 4, 5]
    third = point_of(schedule, 3)
    assert third.scheduled is False
    assert third.forms == (
        FormStatus("citizen", FormState.DONE, date(2025, 7, 10), Timing.ON_TIME),
    )
    assert third.form("staff") is None
    assert all(point.scheduled for point in schedule if point.point != 3)


def test_a_form_done_after_an_open_ended_end_is_listed_alone():
    schedule = build_schedule(
        enrolled_on=ENROLLED,
        today=date(2025, 9, 1),
        inactive=[(date(2025, 5, 1), None)],
        done={(3, "staff"): date(2025, 8, 20)},
    )
    assert [(point.point, point.scheduled) for point in schedule] == [
        (1, True),
        (2, True),
        (3, False),
    ]
    assert point_of(schedule, 3).forms == (
        FormStatus("staff", FormState.DONE, date(2025, 8, 20), Timing.LATE),
    )


def test_a_done_point_stays_done_after_the_interval_changes():
    done = {(2, "citizen"): date(2025, 4, 15)}
    before = build_schedule(enrolled_on=ENROLLED, today=date(2025, 5, 1), done=done)
    after = build_schedule(
        enrolled_on=ENROLLED, today=date(2025, 5, 1), done=done, interval_months=6
    )
    assert point_of(before, 2).form("citizen") == FormStatus(
        "citizen", FormState.DONE, date(2025, 4, 15), Timing.ON_TIME
    )
    # with six months point 2 is due 15 Jul (window from 24 Jun), so the same answer was early
    second = point_of(after, 2)
    assert second.due_on == date(2025, 7, 15)
    assert second.forms == (
        FormStatus("citizen", FormState.DONE, date(2025, 4, 15), Timing.EARLY),
        FormStatus("staff", FormState.NOT_YET_DUE),
    )
    assert [point.point for point in after] == [1, 2]


# --- counts for dashboards -------------------------------------------------------------------


def test_counts_over_a_few_citizens():
    today = date(2025, 6, 1)
    citizens = [
        # in window at point 1, late at point 2; point 3 not yet due
        build_schedule(
            enrolled_on=ENROLLED,
            today=today,
            done={(1, "citizen"): date(2025, 1, 20), (2, "citizen"): date(2025, 5, 20)},
        ),
        # early at point 1, point 2 overdue
        build_schedule(enrolled_on=ENROLLED, today=today, done={(1, "citizen"): date(2024, 12, 1)}),
        # point 1 missed (point 2's window opened 29 Apr), point 2 open until 10 Jun
        build_schedule(enrolled_on=date(2025, 2, 20), today=today),
        # point 1 open, point 2 not yet due
        build_schedule(enrolled_on=date(2025, 5, 25), today=today),
        # course ended 1 Mar: point 1 missed, point 2 never expected
        build_schedule(enrolled_on=ENROLLED, today=today, inactive=[(date(2025, 3, 1), None)]),
    ]
    assert counts(citizens, "citizen") == {
        1: {"due": 5, "done_in_window": 1, "late": 1, "missed": 2, "overdue": 0, "open": 1},
        2: {"due": 3, "done_in_window": 0, "late": 1, "missed": 0, "overdue": 1, "open": 1},
    }
    assert counts(citizens, "staff") == {
        1: {"due": 5, "done_in_window": 0, "late": 0, "missed": 4, "overdue": 0, "open": 1},
        2: {"due": 3, "done_in_window": 0, "late": 0, "missed": 0, "overdue": 2, "open": 1},
    }


def test_counts_include_a_form_done_while_ended_and_ignore_not_yet_due():
    citizens = [
        build_schedule(
            enrolled_on=ENROLLED,
            today=date(2025, 9, 1),
            inactive=[(date(2025, 5, 1), None)],
            done={(3, "staff"): date(2025, 7, 15)},
        ),
        build_schedule(enrolled_on=ENROLLED, today=ENROLLED),
    ]
    assert counts(citizens, "staff") == {
        1: {"due": 2, "done_in_window": 0, "late": 0, "missed": 1, "overdue": 0, "open": 1},
        2: {"due": 1, "done_in_window": 0, "late": 0, "missed": 1, "overdue": 0, "open": 0},
        3: {"due": 1, "done_in_window": 1, "late": 0, "missed": 0, "overdue": 0, "open": 0},
    }
    assert counts(citizens, "citizen") == {
        1: {"due": 2, "done_in_window": 0, "late": 0, "missed": 1, "overdue": 0, "open": 1},
        2: {"due": 1, "done_in_window": 0, "late": 0, "missed": 1, "overdue": 0, "open": 0},
    }
    assert counts([], "citizen") == {}
