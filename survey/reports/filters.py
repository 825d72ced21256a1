"""The filters every report table takes, and the one function that applies them to a query."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, literal, or_

from survey.clock import ZONE
from survey.inputs import whole_number
from survey.models import Citizen, CourseStatus, Mode, Response, ResponseStatus
from survey.refusals import CATALOGUE, Refusal

CITIZEN_MODES = (Mode.SELF.value, Mode.ASSISTED.value)


class ReportError(ValueError):
    """Input a report cannot be built from; the message says what is wrong and what would do.

    `str()` is the English message for the command line, naming its options; `message()` is
    the page's, from the catalogue of refusals (report.<code>), in the active language.
    """

    def __init__(self, message: str, code: str = "", /, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params

    def message(self) -> str:
        known = f"report.{self.code}" in CATALOGUE
        return Refusal(
            f"report.{self.code}" if known else "report.unknown", **self.params
        ).message()


def parse_form_versions(registry: Any, texts: Iterable[str]) -> dict[str, set[int]]:
    """("citizen:1", "citizen:2") -> {"citizen": {1, 2}}; every form version must exist."""
    known = {(v.id, v.version) for v in registry.forms()}
    chosen: dict[str, set[int]] = {}
    for text in texts:
        form, _, number = text.partition(":")
        form, number = form.strip(), number.strip()
        version = whole_number(number)
        if not form or version is None or (form, version) not in known:
            listed = ", ".join(f"{f}:{n}" for f, n in sorted(known))
            raise ReportError(
                f"unknown form version {text!r}; write FORM:N (known: {listed})",
                "unknown_form_version",
                version=text,
            )
        chosen.setdefault(form, set()).add(version)
    return chosen


@dataclass(frozen=True)
class Filters:
    """Which citizens and forms a table counts. `None` (or empty) means no restriction.

    `mode` keeps only citizen forms filled that way (`self` or `assisted`); staff forms (mode
    `staff`) are never removed by it. `form_versions` maps a form id to the versions kept;
    forms not named keep every version. `as_of` turns the clock back to the end of that day
    (Copenhagen time): only forms submitted by then count, citizens enrolled later are left out,
    and a course counts as ended only if it ended by then.
    """

    team_ids: frozenset[int] | None = None
    consultant_ids: frozenset[int] | None = None
    enrolled_from: date | None = None
    enrolled_to: date | None = None
    statuses: frozenset[str] | None = None
    mode: str | None = None
    # Any set of versions is taken; __post_init__ stores them as frozensets.
    form_versions: Mapping[str, AbstractSet[int]] | None = field(default=None, hash=False)
    as_of: date | None = None

    def __post_init__(self) -> None:
        for name in ("team_ids", "consultant_ids", "statuses"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, frozenset):
                object.__setattr__(self, name, frozenset(value))
        if self.form_versions is not None:
            object.__setattr__(
                self,
                "form_versions",
                {form: frozenset(versions) for form, versions in self.form_versions.items()},
            )
        if self.mode is not None and self.mode not in CITIZEN_MODES:
            raise ReportError(
                f"mode must be one of {', '.join(CITIZEN_MODES)}, not {self.mode!r}",
                "bad_mode",
                mode=self.mode,
            )
        known = {s.value for s in CourseStatus}
        unknown = sorted(set(self.statuses or ()) - known)
        if unknown:
            raise ReportError(
                f"unknown course status {', '.join(unknown)} (known: {', '.join(sorted(known))})",
                "bad_status",
                status=", ".join(unknown),
            )
        if self.enrolled_from and self.enrolled_to and self.enrolled_from > self.enrolled_to:
            raise ReportError(
                f"the enrolment period starts ({self.enrolled_from}) after it ends "
                f"({self.enrolled_to})",
                "period_reversed",
                start=self.enrolled_from.isoformat(),
                end=self.enrolled_to.isoformat(),
            )
        if self.as_of and self.enrolled_from and self.as_of < self.enrolled_from:
            raise ReportError(
                f"--as-of {self.as_of} is before the enrolment period starts "
                f"({self.enrolled_from}); no citizen could count",
                "as_of_before_period",
                as_of=self.as_of.isoformat(),
                start=self.enrolled_from.isoformat(),
            )


def needs_citizen(filters: Filters) -> bool:
    """Whether the filters read the citizen table (a query may then skip the join)."""
    return bool(
        filters.team_ids
        or filters.consultant_ids
        or filters.enrolled_from is not None
        or filters.enrolled_to is not None
        or filters.statuses
        or filters.as_of is not None
    )


def submitted_by(day: date) -> datetime:
    """The first moment after `day` where the users are: a form submitted before it was
    submitted on or before `day` (submitted_at is stored in UTC)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZONE)


def course_status(filters: Filters, citizen: Any = Citizen) -> Any:
    """The citizen's course status as of `filters.as_of` (today's without it): a course ended
    after that day was still active then."""
    if filters.as_of is None:
        return citizen.status
    return case(
        (citizen.ended_on <= filters.as_of, citizen.status),
        else_=literal(CourseStatus.ACTIVE.value),
    )


def course_reason(filters: Filters, citizen: Any = Citizen) -> Any:
    """The reason the course ended, as of `filters.as_of`: none while it was still active."""
    if filters.as_of is None:
        return citizen.status_reason
    return case((citizen.ended_on <= filters.as_of, citizen.status_reason), else_=None)


def citizen_conditions(filters: Filters, citizen: Any = Citizen) -> list[Any]:
    """The conditions on the citizen alone: team, consultant, enrolment, status and as-of."""
    conditions = []
    if filters.team_ids:
        conditions.append(citizen.team_id.in_(sorted(filters.team_ids)))
    if filters.consultant_ids:
        conditions.append(citizen.consultant_id.in_(sorted(filters.consultant_ids)))
    if filters.enrolled_from is not None:
        conditions.append(citizen.enrolled_on >= filters.enrolled_from)
    if filters.enrolled_to is not None:
        conditions.append(citizen.enrolled_on <= filters.enrolled_to)
    if filters.as_of is not None:
        conditions.append(citizen.enrolled_on <= filters.as_of)
    if filters.statuses:
        conditions.append(course_status(filters, citizen).in_(sorted(filters.statuses)))
    return conditions


def apply(stmt: Any, filters: Filters, response: Any = Response, citizen: Any = Citizen) -> Any:
    """`stmt` (a SELECT whose FROM joins `response` to `citizen`) restricted to submitted
    responses that pass `filters`. Pass aliases when the query joins the tables more than once."""
    conditions = [response.status == ResponseStatus.SUBMITTED.value]
    conditions.extend(citizen_conditions(filters, citizen))
    if filters.as_of is not None:
        conditions.append(response.submitted_at < submitted_by(filters.as_of))
    if filters.mode is not None:
        conditions.append(or_(response.mode == Mode.STAFF.value, response.mode == filters.mode))
    for form_id, versions in sorted((filters.form_versions or {}).items()):
        conditions.append(
            or_(response.form_id != form_id, response.form_version.in_(sorted(versions)))
        )
    return stmt.where(and_(*conditions))
