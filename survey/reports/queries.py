"""The SQL aggregates behind the report tables: every count is a GROUP BY in the database.

Each function takes a session and `Filters` and returns plain tuples; the builders turn them
into tables. An item is identified by its code alone, so answers from every form version count
together. Codes are stored as decimal text and cast with `CAST(value AS INTEGER)`, which SQLite
and PostgreSQL both understand; a cast is only ever applied to rows already restricted to one
choice or integer item (in a SELECT list or an aggregate, never in a WHERE clause).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    case,
    cast,
    distinct,
    false,
    func,
    label,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from survey.models import Answer, Citizen, Response, Team, User
from survey.reports.filters import (
    CITIZEN_MODES,
    Filters,
    apply,
    citizen_conditions,
    course_reason,
    course_status,
    needs_citizen,
)
from survey.schedule import add_months, due_date

Groups = Sequence[tuple[int, int | None]]
"""Report groups of an integer item, as (min, max or None); a value is counted in the first
group that holds it, as group number 1, 2, ...; 0 is a value in no group."""


def value_expression(answer: Any = Answer, groups: Groups | None = None) -> Any:
    """An answer's code as an integer, or its group number when `groups` are given."""
    value = cast(answer.value, Integer)
    if not groups:
        return value
    whens = [
        (value >= low if high is None else and_(value >= low, value <= high), number)
        for number, (low, high) in enumerate(groups, start=1)
    ]
    return case(*whens, else_=0)


def _answers(item_code: str, points: Sequence[int] | None = None, answer: Any = Answer) -> Any:
    """FROM answer JOIN response JOIN citizen, for one item (at some points)."""
    stmt = (
        select()
        .select_from(answer)
        .join(Response, col(Response.id) == answer.response_id)
        .join(Citizen, col(Citizen.id) == Response.citizen_id)
        .where(answer.item_code == item_code)
    )
    if points is not None:
        stmt = stmt.where(col(Response.point).in_(list(points)))
    return stmt


# --- waves and status -------------------------------------------------------------------------


def form_counts(session: Session, filters: Filters) -> list[tuple[str, int, int]]:
    """(form id, point, submitted forms)."""
    stmt = select(
        col(Response.form_id), col(Response.point), func.count(col(Response.id))
    ).select_from(Response)
    if needs_citizen(filters):  # joining 30,000 citizens for nothing made this 9× slower
        stmt = stmt.join(Citizen, col(Citizen.id) == Response.citizen_id)
    stmt = apply(stmt, filters).group_by(col(Response.form_id), col(Response.point))
    return [tuple(row) for row in session.execute(stmt)]


def baseline_citizens(filters: Filters, point: int = 1) -> Any:
    """The ids of citizens with a submitted form (passing `filters`) at `point`; at point 1 these
    are the citizens with a baseline."""
    return apply(
        select(col(Response.citizen_id))
        .select_from(Response)
        .join(Citizen, col(Citizen.id) == Response.citizen_id)
        .where(col(Response.point) == point),
        filters,
    ).distinct()


def status_counts(session: Session, filters: Filters) -> list[tuple[str, str | None, int]]:
    """(status, reason, citizens) over citizens with a submitted form at point 1 (a baseline);
    the status is the one of `filters.as_of` when it is set."""
    courses = (
        select(
            course_status(filters).label("status"),
            course_reason(filters).label("reason"),
        )
        .where(col(Citizen.id).in_(baseline_citizens(filters)))
        .subquery()
    )
    stmt = select(courses.c.status, courses.c.reason, func.count()).group_by(
        courses.c.status, courses.c.reason
    )
    return [tuple(row) for row in session.execute(stmt)]


def enrolment_counts(session: Session, filters: Filters) -> tuple[int, int]:
    """(citizens enrolled, those of them without a baseline): every citizen the filters keep
    (enrolled by `filters.as_of` when it is set), and those with no submitted form at point 1."""
    with_baseline = case((col(Citizen.id).in_(baseline_citizens(filters)), 0), else_=1)
    stmt = select(func.count(col(Citizen.id)), func.coalesce(func.sum(with_baseline), 0)).where(
        *citizen_conditions(filters)
    )
    enrolled, without = session.execute(stmt).one()
    return int(enrolled), int(without)


# --- one item's distribution ------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerCounts:
    counts: list[tuple[int, int, int]]
    """(point, code or group number, answers)"""
    answered: list[tuple[int, int]]
    """(point, responses that answered the item)"""


def paired_citizens(filters: Filters, item_code: str, points: Sequence[int]) -> Any:
    """The ids of citizens who answered `item_code` at every one of `points`."""
    return (
        apply(_answers(item_code, points).add_columns(col(Response.citizen_id)), filters)
        .group_by(col(Response.citizen_id))
        .having(func.count(distinct(col(Response.point))) == len(set(points)))
    )


def answer_counts(
    session: Session,
    filters: Filters,
    item_code: str,
    points: Sequence[int],
    *,
    paired: bool = False,
    groups: Groups | None = None,
    multiple: bool = True,
    among: Any | None = None,
) -> AnswerCounts:
    """Answers per point and code. `multiple=False` (a single-choice or integer item: one answer
    row per response) takes the responses per point from the counts instead of a second query,
    which halves the reading of the answers. `among` (a SELECT of citizen ids, such as
    `form_citizens`) keeps only those citizens."""
    value = value_expression(Answer, groups).label("code")
    base = apply(_answers(item_code, points), filters)
    if paired:
        base = base.where(col(Response.citizen_id).in_(paired_citizens(filters, item_code, points)))
    if among is not None:
        base = base.where(col(Response.citizen_id).in_(among))
    counts = base.add_columns(col(Response.point), value, func.count(col(Answer.id))).group_by(
        col(Response.point), value
    )
    found = [tuple(row) for row in session.execute(counts)]
    if not multiple:
        per_point: dict[int, int] = {}
        for point, _code, n in found:
            per_point[point] = per_point.get(point, 0) + n
        return AnswerCounts(counts=found, answered=sorted(per_point.items()))
    answered = base.add_columns(
        col(Response.point), func.count(distinct(col(Answer.response_id)))
    ).group_by(col(Response.point))
    return AnswerCounts(counts=found, answered=[tuple(row) for row in session.execute(answered)])


# --- two items, or an item against the course status or an outcome ---------------------------


def crosstab_counts(
    session: Session,
    filters: Filters,
    row_item: str,
    column_item: str,
    point: int,
    *,
    row_groups: Groups | None = None,
    column_groups: Groups | None = None,
) -> list[tuple[int, int, int]]:
    """(row code, column code, citizens) for citizens who answered both items at `point`."""
    a1, a2 = aliased(Answer), aliased(Answer)
    r1, r2 = aliased(Response), aliased(Response)
    row_value = value_expression(a1, row_groups).label("row_code")
    column_value = value_expression(a2, column_groups).label("column_code")
    stmt = (
        select(row_value, column_value, func.count(distinct(col(r1.citizen_id))))
        .select_from(a1)
        .join(r1, col(r1.id) == a1.response_id)
        .join(Citizen, col(Citizen.id) == r1.citizen_id)
        .join(r2, and_(col(r2.citizen_id) == r1.citizen_id, col(r2.point) == r1.point))
        .join(a2, and_(col(a2.response_id) == r2.id, col(a2.item_code) == column_item))
        .where(col(a1.item_code) == row_item, col(r1.point) == point)
    )
    stmt = apply(apply(stmt, filters, response=r1), filters, response=r2)
    return [tuple(row) for row in session.execute(stmt.group_by(row_value, column_value))]


def status_split_counts(
    session: Session, filters: Filters, item_code: str, point: int, groups: Groups | None = None
) -> list[tuple[int, str, int]]:
    """(code, course status, citizens) for one item at one point; the status is the one of
    `filters.as_of` when it is set."""
    value = value_expression(Answer, groups).label("code")
    stmt = apply(_answers(item_code, [point]), filters)
    status = course_status(filters)
    stmt = stmt.add_columns(value, status, func.count(distinct(col(Response.citizen_id))))
    return [tuple(row) for row in session.execute(stmt.group_by(value, status))]


def outcome_flags(filters: Filters, outcomes: dict[str, str]) -> Any:
    """Per citizen who answered any of the outcome items (name -> item code): 1 for each
    outcome the citizen ever had (code 1, "Ja", at any point), else 0."""
    columns = [
        func.max(
            case((and_(col(Answer.item_code) == code, col(Answer.value) == "1"), 1), else_=0)
        ).label(name)
        for name, code in outcomes.items()
    ]
    stmt = (
        select(label("citizen_id", col(Response.citizen_id)), *columns)
        .select_from(Answer)
        .join(Response, col(Response.id) == Answer.response_id)
        .join(Citizen, col(Citizen.id) == Response.citizen_id)
        .where(col(Answer.item_code).in_(list(outcomes.values())))
    )
    return apply(stmt, filters).group_by(col(Response.citizen_id)).subquery()


def outcome_split_counts(
    session: Session,
    filters: Filters,
    item_code: str,
    point: int,
    outcome: str,
    groups: Groups | None = None,
) -> list[tuple[int, int, int]]:
    """(code, outcome 0/1, citizens): an item at one point against whether the citizen had the
    outcome as the programme counts it (`programme_outcomes`): a submitted staff form ever said
    so, or (employment, education) the course ended for that reason. Every citizen who
    answered the item at that point counts; one without a staff form is not (yet) employed."""
    flags = outcome_flags(filters, {"outcome": OUTCOME_ITEMS[outcome]})
    said = flags.c.outcome == 1
    had = or_(said, course_reason(filters) == outcome) if outcome in END_REASON_OUTCOMES else said
    flag = case((had, 1), else_=0).label("outcome")
    value = value_expression(Answer, groups).label("code")
    stmt = apply(_answers(item_code, [point]), filters).outerjoin(
        flags, flags.c.citizen_id == Response.citizen_id
    )
    stmt = stmt.add_columns(value, flag, func.count(distinct(col(Response.citizen_id))))
    return [tuple(row) for row in session.execute(stmt.group_by(value, flag))]


@dataclass(frozen=True)
class OutcomeTotals:
    n: int
    employment: int
    education: int
    internship: int
    education_or_internship: int


OUTCOME_ITEMS = {
    "employment": "staff.employment",
    "education": "staff.education",
    "internship": "staff.internship",
}


@dataclass(frozen=True)
class OutcomeSources:
    """Where a citizen's outcome comes from; each citizen with the outcome is in exactly one."""

    staff_form: int
    """a staff form says so, and the course did not end with that reason"""
    end_reason: int
    """the course ended with that reason, and no staff form says so"""
    both: int


END_REASON_OUTCOMES = ("employment", "education")
"""The outcomes a course can end with (reasons of an ended_planned course, STATUS_REASONS)."""


def _share(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def programme_outcomes(
    session: Session, filters: Filters
) -> tuple[OutcomeTotals, dict[str, OutcomeSources]]:
    """The outcomes as the programme counts them (the evaluation report, 6.1): n is every
    citizen with a baseline; a citizen is in employment (education) when a submitted staff form
    ever said so (code 1, "Ja") or the course ended with that reason, as of `filters.as_of`
    when it is set. A work placement comes from the staff form alone."""
    flags = outcome_flags(filters, OUTCOME_ITEMS)
    courses = (
        select(label("id", col(Citizen.id)), course_reason(filters).label("reason"))
        .where(col(Citizen.id).in_(baseline_citizens(filters)))
        .subquery()
    )
    staff = {name: flags.c[name] == 1 for name in OUTCOME_ITEMS}
    ended = {name: courses.c.reason == name for name in END_REASON_OUTCOMES}
    columns = [func.count(courses.c.id)]
    for name in END_REASON_OUTCOMES:
        columns += [
            _share(or_(staff[name], ended[name])),
            _share(staff[name]),
            _share(ended[name]),
            _share(and_(staff[name], ended[name])),
        ]
    columns += [
        _share(staff["internship"]),
        _share(or_(staff["education"], ended["education"], staff["internship"])),
    ]
    stmt = (
        select(*columns).select_from(courses).outerjoin(flags, flags.c.citizen_id == courses.c.id)
    )
    n, *values = (int(v) for v in session.execute(stmt).one())
    totals: dict[str, int] = {}
    sources: dict[str, OutcomeSources] = {}
    for name in END_REASON_OUTCOMES:
        total, by_staff, by_end, both, *values = values
        totals[name] = total
        sources[name] = OutcomeSources(by_staff - both, by_end - both, both)
    internship, either = values
    return OutcomeTotals(n, totals["employment"], totals["education"], internship, either), sources


def team_targets(session: Session, filters: Filters) -> list[tuple[float | None, float | None]]:
    """(employment target, education target) of every team in the filter (every team when the
    filter names none); None where the team keeps the programme's."""
    stmt = select(col(Team.target_employment), col(Team.target_education))
    if filters.team_ids:
        stmt = stmt.where(col(Team.id).in_(sorted(filters.team_ids)))
    return [tuple(row) for row in session.execute(stmt)]


# --- attrition: who is missing at a later point ----------------------------------------------


def last_enrolment_due_by(day: date, point: int, interval_months: int) -> date:
    """The latest enrolment date whose `point` falls due on or before `day` (the rule of
    survey.schedule.due_date). A due date never moves back as the enrolment date moves on, so
    "due by `day`" is "enrolled on or before this date", which SQL can test."""
    months = (point - 1) * interval_months
    latest = add_months(day, -months)
    while due_date(latest + timedelta(days=1), point, interval_months) <= day:
        latest += timedelta(days=1)  # a clamped month end: at most three more days
    return latest


def due_citizens(session: Session, filters: Filters, point: int, day: date) -> Any:
    """The ids of citizens with a baseline whose `point` was due by `day` under their team's
    interval. An ended course still counts: a citizen who left is what attrition is about."""
    intervals = sorted(
        session.execute(select(col(Team.measurement_interval_months)).distinct()).scalars()
    )
    due = or_(
        false(),
        *(
            and_(
                col(Team.measurement_interval_months) == months,
                col(Citizen.enrolled_on) <= last_enrolment_due_by(day, point, months),
            )
            for months in intervals
        ),
    )
    return (
        select(col(Citizen.id))
        .join(Team, col(Team.id) == Citizen.team_id)
        .where(*citizen_conditions(filters), col(Citizen.id).in_(baseline_citizens(filters)), due)
    )


@dataclass(frozen=True)
class AttritionCounts:
    due: int
    with_form: int
    items: dict[str, list[tuple[int, int, int]]]
    """per item code: (code or group number at point 1, 1 with a form at the point or 0 without,
    citizens)"""


def attrition_counts(
    session: Session,
    filters: Filters,
    point: int,
    day: date,
    items: Sequence[tuple[str, Groups | None]],
) -> AttritionCounts:
    """Citizens due for `point` by `day`, how many have a submitted form there, and their
    baseline answers to each item (code, groups) split by whether they have one."""
    due = due_citizens(session, filters, point, day)
    later = baseline_citizens(filters, point)
    has_form = case((col(Citizen.id).in_(later), 1), else_=0)
    totals = select(func.count(col(Citizen.id)), func.coalesce(func.sum(has_form), 0)).where(
        col(Citizen.id).in_(due)
    )
    n, with_form = (int(v) for v in session.execute(totals).one())
    found: dict[str, list[tuple[int, int, int]]] = {}
    for code, groups in items:
        answers = (
            apply(_answers(code, [1]), filters)
            .where(col(Response.citizen_id).in_(due))
            .add_columns(
                label("citizen_id", col(Response.citizen_id)),
                value_expression(Answer, groups).label("code"),
                case((col(Response.citizen_id).in_(later), 1), else_=0).label("has_form"),
            )
            .subquery()
        )
        stmt = select(
            answers.c.code, answers.c.has_form, func.count(distinct(answers.c.citizen_id))
        ).group_by(answers.c.code, answers.c.has_form)
        found[code] = [tuple(row) for row in session.execute(stmt)]
    return AttritionCounts(n, with_form, found)


# --- WHO-5 -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreSummary:
    point: int
    n: int
    total: int
    """sum of raw scores"""
    squares: int
    """sum of squared raw scores"""
    bands: tuple[int, ...]
    """count at or below each band's maximum, in the order asked"""


def score_cte(
    filters: Filters, items: Sequence[str], scored: Sequence[int], points: Sequence[int]
) -> Any:
    """(citizen_id, point, raw) for each response with every item answered with a scored code."""
    stmt = (
        select(
            label("citizen_id", col(Response.citizen_id)),
            label("point", col(Response.point)),
            func.sum(cast(col(Answer.value), Integer)).label("raw"),
        )
        .select_from(Answer)
        .join(Response, col(Response.id) == Answer.response_id)
        .join(Citizen, col(Citizen.id) == Response.citizen_id)
        .where(
            col(Answer.item_code).in_(list(items)),
            col(Answer.value).in_([str(code) for code in scored]),
            col(Response.point).in_(list(points)),
        )
    )
    return (
        apply(stmt, filters)
        .group_by(col(Response.id), col(Response.citizen_id), col(Response.point))
        .having(func.count(distinct(col(Answer.item_code))) == len(set(items)))
        .cte("scores")
    )


def _summary_statement(source: Any, multiply: float, band_maxima: Sequence[float]) -> Any:
    """Per point of `source` (citizen_id, point, raw): n, the sum and the sum of squares of the
    raw scores, and how many are at or below each band's maximum (raw × multiply)."""
    band_columns = [
        func.sum(case((source.c.raw * literal(multiply) <= literal(limit), 1), else_=0))
        for limit in band_maxima
    ]
    return select(
        source.c.point,
        func.count(),
        func.sum(source.c.raw),
        func.sum(source.c.raw * source.c.raw),
        *band_columns,
    ).group_by(source.c.point)


def score_summaries(
    session: Session,
    filters: Filters,
    items: Sequence[str],
    scored: Sequence[int],
    points: Sequence[int],
    *,
    multiply: float,
    band_maxima: Sequence[float],
    paired: bool = False,
) -> tuple[list[ScoreSummary], list[tuple[int, int]]]:
    """Per point n, sums and band counts of the score (raw × multiply); with `paired` only
    citizens with a score at every point. Also the (first, second) raw pairs per citizen when
    `paired` over exactly two points (for the change and the signed-rank test)."""
    scores = score_cte(filters, items, scored, points)
    if paired and len(set(points)) == 2:
        return _paired_two_points(session, scores, points, multiply, band_maxima)
    source = scores
    if paired:
        keep = (
            select(scores.c.citizen_id)
            .group_by(scores.c.citizen_id)
            .having(func.count(distinct(scores.c.point)) == len(set(points)))
        )
        source = select(scores).where(scores.c.citizen_id.in_(keep)).subquery()
    stmt = _summary_statement(source, multiply, band_maxima)
    summaries = [
        ScoreSummary(
            point=row[0],
            n=int(row[1]),
            total=int(row[2]),
            squares=int(row[3]),
            bands=tuple(int(v) for v in row[4:]),
        )
        for row in session.execute(stmt)
    ]
    pairs: list[tuple[int, int]] = []
    if paired and len(set(points)) == 2:
        first, second = points
        s1, s2 = aliased(scores), aliased(scores)
        stmt = (
            select(s1.c.raw, s2.c.raw)
            .select_from(s1)
            .join(s2, s2.c.citizen_id == s1.c.citizen_id)
            .where(s1.c.point == first, s2.c.point == second)
            .order_by(s1.c.citizen_id)
        )
        pairs = [(int(a), int(b)) for a, b in session.execute(stmt)]
    return summaries, pairs


def _paired_two_points(
    session: Session,
    scores: Any,
    points: Sequence[int],
    multiply: float,
    band_maxima: Sequence[float],
) -> tuple[list[ScoreSummary], list[tuple[int, int]]]:
    """The paired case over two points in one reading of the scores: every (citizen, point, raw)
    comes back once (two rows per citizen at most) and the summaries and the pairs are made
    from them here, instead of evaluating the score CTE once for each."""
    first, second = tuple(dict.fromkeys(points))  # in the order asked, once each
    by_citizen: dict[int, dict[int, int]] = {}
    for citizen_id, point, raw in session.execute(
        select(scores.c.citizen_id, scores.c.point, scores.c.raw)
    ):
        by_citizen.setdefault(citizen_id, {})[point] = int(raw)
    pairs = [
        (raws[first], raws[second])
        for _citizen, raws in sorted(by_citizen.items())
        if first in raws and second in raws
    ]
    summaries = []
    for index, point in enumerate((first, second)):
        values = [pair[index] for pair in pairs]
        if not values:
            continue
        summaries.append(
            ScoreSummary(
                point=point,
                n=len(values),
                total=sum(values),
                squares=sum(v * v for v in values),
                bands=tuple(
                    sum(1 for v in values if v * multiply <= limit) for limit in band_maxima
                ),
            )
        )
    return summaries, pairs


# --- paired by form, paired answers, and `by` any grouping -----------------------------------


def form_citizens(filters: Filters, form_ids: Sequence[str], points: Sequence[int]) -> Any:
    """The ids of citizens with a submitted response of one of `form_ids` (the form that holds
    an item) at every one of `points`: one group for every item of that form."""
    stmt = (
        select(col(Response.citizen_id))
        .select_from(Response)
        .join(Citizen, col(Citizen.id) == Response.citizen_id)
        .where(col(Response.form_id).in_(list(form_ids)), col(Response.point).in_(list(points)))
    )
    return (
        apply(stmt, filters)
        .group_by(col(Response.citizen_id))
        .having(func.count(distinct(col(Response.point))) == len(set(points)))
    )


def count_citizens(session: Session, citizens: Any) -> int:
    """How many ids a SELECT of citizen ids (`form_citizens`, `paired_citizens`) gives."""
    return int(session.execute(select(func.count()).select_from(citizens.subquery())).scalar_one())


def answer_pairs(
    session: Session,
    filters: Filters,
    item_code: str,
    first: int,
    second: int,
    groups: Groups | None = None,
) -> list[tuple[int, int, int]]:
    """(code at `first`, code at `second`, citizens) over the citizens who answered the item at
    both points: the square table of a paired test, counted in SQL."""
    a1, a2 = aliased(Answer), aliased(Answer)
    r1, r2 = aliased(Response), aliased(Response)
    first_value = value_expression(a1, groups).label("first_code")
    second_value = value_expression(a2, groups).label("second_code")
    stmt = (
        select(first_value, second_value, func.count(distinct(col(r1.citizen_id))))
        .select_from(a1)
        .join(r1, col(r1.id) == a1.response_id)
        .join(Citizen, col(Citizen.id) == r1.citizen_id)
        .join(r2, and_(col(r2.citizen_id) == r1.citizen_id, col(r2.point) == second))
        .join(a2, and_(col(a2.response_id) == r2.id, col(a2.item_code) == item_code))
        .where(col(a1.item_code) == item_code, col(r1.point) == first)
    )
    stmt = apply(apply(stmt, filters, response=r1), filters, response=r2)
    return [tuple(row) for row in session.execute(stmt.group_by(first_value, second_value))]


def baseline_split_counts(
    session: Session,
    filters: Filters,
    item_code: str,
    point: int,
    by_code: str,
    *,
    groups: Groups | None = None,
    by_groups: Groups | None = None,
) -> list[tuple[int, int, int]]:
    """(code, baseline code, citizens): an item at `point` against a baseline item (gender, age:
    asked once) as the citizen answered it at the earliest point with an answer."""
    first = apply(
        _answers(by_code).add_columns(
            label("citizen_id", col(Response.citizen_id)),
            func.min(col(Response.point)).label("point"),
        ),
        filters,
    ).group_by(col(Response.citizen_id))
    first_sq = first.subquery("first_answer")
    by_answer, by_response = aliased(Answer), aliased(Response)
    by_value = value_expression(by_answer, by_groups).label("by_code")
    baseline = apply(
        select(label("citizen_id", col(by_response.citizen_id)), by_value)
        .select_from(by_answer)
        .join(by_response, col(by_response.id) == by_answer.response_id)
        .join(Citizen, col(Citizen.id) == by_response.citizen_id)
        .join(
            first_sq,
            and_(
                first_sq.c.citizen_id == by_response.citizen_id,
                first_sq.c.point == by_response.point,
            ),
        )
        .where(col(by_answer.item_code) == by_code),
        filters,
        response=by_response,
    ).subquery("baseline")
    value = value_expression(Answer, groups).label("code")
    stmt = apply(_answers(item_code, [point]), filters).join(
        baseline, baseline.c.citizen_id == Response.citizen_id
    )
    stmt = stmt.add_columns(
        value, baseline.c.by_code, func.count(distinct(col(Response.citizen_id)))
    )
    return [tuple(row) for row in session.execute(stmt.group_by(value, baseline.c.by_code))]


def mode_split_counts(
    session: Session, filters: Filters, item_code: str, point: int, groups: Groups | None = None
) -> list[tuple[int, str, int]]:
    """(code, mode, citizens): an item at `point` against how the citizen form of that point
    was filled (`self` or `assisted`); citizens without a citizen form there are left out."""
    citizen_form = aliased(Response)
    value = value_expression(Answer, groups).label("code")
    stmt = apply(_answers(item_code, [point]), filters).join(
        citizen_form,
        and_(
            col(citizen_form.citizen_id) == Response.citizen_id,
            col(citizen_form.point) == Response.point,
            col(citizen_form.mode).in_(CITIZEN_MODES),
        ),
    )
    stmt = apply(stmt, filters, response=citizen_form).add_columns(
        value, col(citizen_form.mode), func.count(distinct(col(Response.citizen_id)))
    )
    return [tuple(row) for row in session.execute(stmt.group_by(value, col(citizen_form.mode)))]


CITIZEN_GROUPINGS = {"team": Citizen.team_id, "consultant": Citizen.consultant_id}
"""Groupings that are a column of the citizen: the team, the responsible consultant."""


def citizen_split_counts(
    session: Session,
    filters: Filters,
    item_code: str,
    point: int,
    grouping: str,
    groups: Groups | None = None,
) -> list[tuple[int, int | None, int]]:
    """(code, team or consultant id, citizens) for one item at one point."""
    column = col(CITIZEN_GROUPINGS[grouping])
    value = value_expression(Answer, groups).label("code")
    stmt = apply(_answers(item_code, [point]), filters).add_columns(
        value, column, func.count(distinct(col(Response.citizen_id)))
    )
    return [tuple(row) for row in session.execute(stmt.group_by(value, column))]


def grouping_names(session: Session, grouping: str, ids: Sequence[int]) -> list[tuple[int, str]]:
    """(id, name) of these teams (their names) or consultants (their full names), by name."""
    if grouping == "team":
        stmt = select(col(Team.id), col(Team.name)).where(col(Team.id).in_(list(ids)))
    else:
        stmt = select(col(User.id), col(User.full_name)).where(col(User.id).in_(list(ids)))
    return sorted(((int(i), str(name)) for i, name in session.execute(stmt)), key=lambda r: r[1])


def score_summaries_among(
    session: Session,
    filters: Filters,
    items: Sequence[str],
    scored: Sequence[int],
    points: Sequence[int],
    *,
    among: Any,
    multiply: float,
    band_maxima: Sequence[float],
) -> tuple[list[ScoreSummary], list[tuple[int, int]]]:
    """`score_summaries` over the citizens `among` gives (paired by form): per point every score
    of the group, so n may differ by point; the (first, second) raw pairs over two points."""
    scores = score_cte(filters, items, scored, points)
    source = select(scores).where(scores.c.citizen_id.in_(among)).subquery("grouped")
    stmt = _summary_statement(source, multiply, band_maxima)
    summaries = [
        ScoreSummary(row[0], int(row[1]), int(row[2]), int(row[3]), tuple(int(v) for v in row[4:]))
        for row in session.execute(stmt)
    ]
    pairs: list[tuple[int, int]] = []
    if len(set(points)) == 2:
        first, second = tuple(dict.fromkeys(points))
        s1, s2 = aliased(source), aliased(source)
        pair_stmt = (
            select(s1.c.raw, s2.c.raw)
            .select_from(s1)
            .join(s2, s2.c.citizen_id == s1.c.citizen_id)
            .where(s1.c.point == first, s2.c.point == second)
            .order_by(s1.c.citizen_id)
        )
        pairs = [(int(a), int(b)) for a, b in session.execute(pair_stmt)]
    return summaries, pairs
