"""When each citizen's measurement points fall due, and where each form of each point stands.

The rule from the product issue: measurement point k is due at enrolment + (k − 1) × interval
(default 3 months, configurable per team), with a window around it (default ± 21 days). Per
citizen, point and form (the citizen's own form and the staff form are tracked separately) the
state is not yet due, due, overdue, done or missed; a form filled outside its window is allowed
but marked early or late. An ended course stops the schedule; a reopened one resumes it.

Everything here is a pure function of dates: no Flask, no database, no clock. The caller passes
`today`, the course's inactive periods and what has been filled in, so the same inputs always
give the same schedule and the rules can be tested on paper dates (month ends, leap years).
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType

MAX_POINT = 40
"""The highest measurement point: ten years of quarterly measurements, more than any programme
runs. Forms, imports and the schedule all stop here."""

__all__ = [
    "FormState",
    "FormStatus",
    "PointSchedule",
    "Timing",
    "add_months",
    "build_schedule",
    "counts",
    "due_date",
]

# An immutable empty default: `done={}` in the signature would be one shared, mutable dict.
_NOTHING_DONE: Mapping[tuple[int, str], date] = MappingProxyType({})


class FormState(StrEnum):
    """Where one form of one measurement point stands on a given day."""

    NOT_YET_DUE = "not_yet_due"
    DUE = "due"
    OVERDUE = "overdue"
    DONE = "done"
    MISSED = "missed"


class Timing(StrEnum):
    """When a done form was administered relative to its window.

    Filling a form outside the window is allowed (a late answer beats no answer), but the
    evaluation has to know, because an answer given months off the point blurs the trend.
    """

    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"


@dataclass(frozen=True)
class FormStatus:
    """One form (e.g. "citizen" or "staff") of one point: its state and, when done, when."""

    form_id: str
    state: FormState
    administered_on: date | None = None
    timing: Timing | None = None
    has_draft: bool = False


@dataclass(frozen=True)
class PointSchedule:
    """One measurement point of one citizen: its due date, its window and its forms.

    `scheduled` is False for a point whose due date fell while the course was ended but for
    which a form was filled in anyway; such a point lists only its done forms, because nothing
    else was ever expected of it.
    """

    point: int
    due_on: date
    window_start: date
    window_end: date
    forms: tuple[FormStatus, ...]
    scheduled: bool = True

    def form(self, form_id: str) -> FormStatus | None:
        """The status of `form_id` at this point, or None when the point does not list it
        (an unscheduled point lists only what was done, so templates can show a gap)."""
        for status in self.forms:
            if status.form_id == form_id:
                return status
        return None


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later (negative goes back), clamped to the month's
    last day: 31 Jan + 1 → 28 Feb, or 29 Feb in a leap year.

    Clamping, rather than spilling into the next month, keeps a point inside the month the
    interval names; callers must always count from the enrolment date (see `due_date`) so a
    clamp never carries over into later points.
    """
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    month += 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last_day))


def due_date(enrolled_on: date, point: int, interval_months: int) -> date:
    """The day measurement point `point` (1 = enrolment itself) is due.

    Computed from the enrolment date every time, never from the previous point, so a citizen
    enrolled on 31 Jan is due on 31 Jan, 30 Apr, 31 Jul, 31 Oct – not drifting to the 30th
    after the first short month.
    """
    if point < 1:
        raise ValueError(f"measurement points are numbered from 1, not {point}")
    if interval_months < 1:
        raise ValueError(f"the interval must be at least one month, not {interval_months}")
    return add_months(enrolled_on, (point - 1) * interval_months)


def _suspended(due: date, inactive: Sequence[tuple[date, date | None]]) -> bool:
    """Whether a point due on `due` falls while the course was ended, so it is not expected.

    A period (ended_on, reopened_on) covers ended_on < due ≤ reopened_on; an open-ended one
    (ended_on, None) covers every due date after ended_on. A point due on the very day the
    course ended is still expected (the course ran that day).
    """
    return any(
        ended_on < due and (reopened_on is None or due <= reopened_on)
        for ended_on, reopened_on in inactive
    )


def _timing(administered_on: date, window_start: date, window_end: date) -> Timing:
    if administered_on < window_start:
        return Timing.EARLY
    if administered_on > window_end:
        return Timing.LATE
    return Timing.ON_TIME


def build_schedule(
    *,
    enrolled_on: date,
    today: date,
    interval_months: int = 3,
    window_days: int = 21,
    inactive: Sequence[tuple[date, date | None]] = (),
    done: Mapping[tuple[int, str], date] = _NOTHING_DONE,
    drafts: Collection[tuple[int, str]] = (),
    forms: Sequence[str] = ("citizen", "staff"),
    max_points: int = MAX_POINT,
) -> list[PointSchedule]:
    """One citizen's measurement points as of `today`, in point order.

    `inactive` lists the periods the course was ended: (ended_on, reopened_on), or
    (ended_on, None) while it is still ended. `done` maps (point, form_id) to the day the form
    was administered; `drafts` holds (point, form_id) pairs with an unsubmitted draft.

    Listed points: every point whose window has opened (due − window_days ≤ today), plus the
    first point whose window has not opened yet and that will be expected (its due date is not
    inside an inactive period – so an ended course gets none), plus every point with a done
    form. Points whose due date fell while the course was ended are left out, unless a form was
    done for them anyway: then they are listed with `scheduled=False` and only their done
    forms. Nothing beyond `max_points` is listed (done forms for later points are ignored),
    which bounds the work for a citizen enrolled long ago. Forms in `done` that are not in
    `forms` are ignored too.

    State of each form, first match wins:
    done (with its timing) if administered; not_yet_due before the window; due inside it
    (edges included); after the window, missed if the course was ended on or after the due
    date and no later than today (ending closes what is outstanding, even if the course was
    reopened later), or if the next expected point's window has opened; otherwise overdue.
    """
    if interval_months < 1:
        raise ValueError(f"the interval must be at least one month, not {interval_months}")
    if window_days < 0:
        raise ValueError(f"the window cannot be negative ({window_days} days)")
    if max_points < 1:
        raise ValueError(f"max_points must be at least 1, not {max_points}")
    for ended_on, reopened_on in inactive:
        if reopened_on is not None and reopened_on < ended_on:
            raise ValueError(
                f"a course cannot be reopened ({reopened_on}) before it ended ({ended_on})"
            )
    for point, _form_id in done:
        if point < 1:
            raise ValueError(f"measurement points are numbered from 1, not {point}")

    window = timedelta(days=window_days)

    def due(point: int) -> date:
        return due_date(enrolled_on, point, interval_months)

    listed: set[int] = set()
    point = 1
    # Every point whose window has opened (due dates strictly increase, so stop at the first
    # one that has not).
    while point <= max_points and due(point) - window <= today:
        if not _suspended(due(point), inactive):
            listed.add(point)
        point += 1
    # The next expected point, so the citizen's page can say what comes next. Skip points that
    # fall in a closed inactive period; give up once a due date is past an open-ended end.
    while point <= max_points:
        upcoming = due(point)
        if not _suspended(upcoming, inactive):
            listed.add(point)
            break
        if any(reopened is None and ended < upcoming for ended, reopened in inactive):
            break
        point += 1
    listed.update(p for p, form_id in done if p <= max_points and form_id in forms)

    def next_window_opened(point: int) -> bool:
        """Whether a later expected point's window has opened, which closes this point."""
        later = point + 1
        while due(later) - window <= today:
            if not _suspended(due(later), inactive):
                return True
            later += 1
        return False

    def ended_since(due_on: date) -> bool:
        return any(due_on <= ended_on <= today for ended_on, _reopened in inactive)

    schedule: list[PointSchedule] = []
    for point in sorted(listed):
        due_on = due(point)
        window_start, window_end = due_on - window, due_on + window
        scheduled = not _suspended(due_on, inactive)
        statuses: list[FormStatus] = []
        for form_id in forms:
            key = (point, form_id)
            has_draft = key in drafts
            administered_on = done.get(key)
            if administered_on is not None:
                timing = _timing(administered_on, window_start, window_end)
                statuses.append(
                    FormStatus(form_id, FormState.DONE, administered_on, timing, has_draft)
                )
                continue
            if not scheduled:
                continue
            if today < window_start:
                state = FormState.NOT_YET_DUE
            elif today <= window_end:
                state = FormState.DUE
            elif ended_since(due_on) or next_window_opened(point):
                state = FormState.MISSED
            else:
                state = FormState.OVERDUE
            statuses.append(FormStatus(form_id, state, has_draft=has_draft))
        schedule.append(
            PointSchedule(point, due_on, window_start, window_end, tuple(statuses), scheduled)
        )
    return schedule


def counts(schedules: Iterable[list[PointSchedule]], form_id: str) -> dict[int, dict[str, int]]:
    """Per point, how many citizens' `form_id` forms were due, done in window, late, missed,
    overdue and still open – what project leaders ask about.

    `schedules` holds one `build_schedule` result per citizen. "due" counts every form whose
    window has opened or that was done (state other than not_yet_due), so
    due = done_in_window + late + missed + overdue + open. "late" counts forms done outside
    their window on either side (early or late): both are off the point. Forms not yet due
    are not counted, and a point appears only once some citizen's form counts there.
    """
    table: dict[int, dict[str, int]] = {}
    for schedule in schedules:
        for point in schedule:
            status = point.form(form_id)
            if status is None or status.state is FormState.NOT_YET_DUE:
                continue
            row = table.setdefault(
                point.point,
                {"due": 0, "done_in_window": 0, "late": 0, "missed": 0, "overdue": 0, "open": 0},
            )
            row["due"] += 1
            if status.state is FormState.DONE:
                row["done_in_window" if status.timing is Timing.ON_TIME else "late"] += 1
            elif status.state is FormState.DUE:
                row["open"] += 1
            else:
                row[status.state.value] += 1
    return dict(sorted(table.items()))
