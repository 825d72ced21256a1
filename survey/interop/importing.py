"""Importing citizens and answers from the CSV formats in docs/data-formats.md.

Everything is checked before anything is written, and the writes happen in the caller's
transaction, so an import is all-or-nothing: the CLI and the admin page commit on success. The
services never print and never log a value; they return an `ImportResult`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import chain, groupby
from pathlib import Path
from typing import IO

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from survey import audit, clock
from survey.forms import visible
from survey.instruments import InstrumentRegistry, UnknownInstrument
from survey.instruments import values as answer_values
from survey.instruments.schema import AnswerValue, InstrumentVersion, Kind
from survey.interop.csvio import (
    CITIZEN_COLUMNS,
    MAX_SHOWN_PROBLEMS,
    RESPONSE_COLUMNS,
    FileRefused,
    Problem,
    _,
    open_text,
    read_records,
    wrong_field_count,
)
from survey.interop.spill import Spill
from survey.interop.values import BadValue, parse, parse_date, parse_int
from survey.models import (
    CPR_PATTERN,
    STATUS_REASONS,
    Answer,
    Citizen,
    CitizenEvent,
    CitizenEventKind,
    CourseStatus,
    Mode,
    ReferenceError_,
    Response,
    ResponseStatus,
    Role,
    Team,
    TeamMembership,
    User,
    check_reference,
    utcnow,
)

MAX_POINT = 40  # as survey.responses.services.start: no programme measures more often
WRITE_BATCH = 1000  # responses per bulk insert: large enough to be fast, small enough to stream

Source = IO[str] | str | Path


@dataclass
class ImportResult:
    """What an import did or why it refused: counts, and the first problems by line."""

    kind: str
    rows: int = 0
    created: int = 0
    present: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def changed(self) -> bool:
        return self.ok and not self.dry_run and self.created > 0

    def messages(self) -> list[str]:
        """The problems, one per line, then "and N more" when there were more than shown."""
        lines = [str(problem) for problem in self.problems]
        hidden = self.problem_count - len(self.problems)
        if hidden > 0:
            lines.append(_("and %(count)s more.", count=hidden))
        return lines

    def summary(self) -> str:
        if self.dry_run:
            return _(
                "Checked %(rows)s rows: %(created)s would be created, %(present)s already "
                "present. Nothing was written.",
                rows=self.rows,
                created=self.created,
                present=self.present,
            )
        if not self.created:
            return _("Nothing changed: all %(present)s were already present.", present=self.present)
        return _(
            "Imported %(rows)s rows: %(created)s created, %(present)s already present.",
            rows=self.rows,
            created=self.created,
            present=self.present,
        )


class _Problems:
    """The first problems in line order and the count of all; memory stays small because the
    callers report in line order (citizens) or through the spill (responses)."""

    def __init__(self) -> None:
        self.shown: list[Problem] = []
        self.count = 0

    def add(self, line: int, message: str) -> None:
        self.count += 1
        if len(self.shown) < MAX_SHOWN_PROBLEMS:
            self.shown.append(Problem(line, message))


def _reference_problem(raw: str) -> str | None:
    """Why a reference cannot be a citizen's, without ever repeating a CPR-like text."""
    try:
        check_reference(raw)
    except ReferenceError_ as exc:
        if exc.kind == "cpr":
            return _("the citizen reference looks like a CPR number; CPR numbers are never stored.")
        if exc.kind == "empty":
            return _("the citizen reference is empty.")
        return _("the citizen reference may have at most 40 letters, digits, spaces and - _ . /")
    return None


def _shown_reference(raw: str) -> str:
    return "(CPR?)" if CPR_PATTERN.search(raw) else raw.strip()


# --- citizens -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CitizenRow:
    reference: str
    enrolled_on: date
    team_id: int
    consultant_id: int | None
    status: CourseStatus
    status_reason: str | None
    ended_on: date | None

    def same_as(self, citizen: Citizen) -> bool:
        return (
            citizen.enrolled_on,
            citizen.team_id,
            citizen.consultant_id,
            CourseStatus(citizen.status),
            citizen.status_reason,
            citizen.ended_on,
        ) == (
            self.enrolled_on,
            self.team_id,
            self.consultant_id,
            self.status,
            self.status_reason,
            self.ended_on,
        )


def import_citizens(
    session: Session,
    source: Source,
    *,
    actor: User | None = None,
    today: date | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Enrol the citizens of a citizens file, with the events a normal enrolment and course end
    write. A citizen already enrolled with the same details counts as already present; with other
    details the file is refused. The pending rows are kept in memory: a citizens file has one row
    per citizen, far smaller than a responses file."""
    today = today or clock.today()
    result = ImportResult("citizens", dry_run=dry_run)
    problems = _Problems()
    teams = {team.name: team for team in session.execute(select(Team)).scalars()}
    members: dict[str, tuple[User, set[int]] | None] = {}
    seen: dict[str, int] = {}
    new: list[_CitizenRow] = []
    try:
        with open_text(source) as stream:
            for record in read_records(stream, CITIZEN_COLUMNS):
                result.rows += 1
                wrong = wrong_field_count(record, CITIZEN_COLUMNS)
                if wrong is not None:
                    problems.add(wrong.line, wrong.message)
                    continue
                row = _check_citizen(
                    session, record.fields, record.line, teams, members, seen, today, problems
                )
                if row is None:
                    continue
                existing = session.execute(
                    select(Citizen).where(Citizen.reference == row.reference)
                ).scalar_one_or_none()
                if existing is None:
                    new.append(row)
                elif row.same_as(existing):
                    result.present += 1
                else:
                    problems.add(
                        record.line,
                        _(
                            "citizen %(reference)s already exists with other details; change "
                            "them in the app, not by import.",
                            reference=row.reference,
                        ),
                    )
    except FileRefused as refused:
        problems.add(refused.problem.line, refused.problem.message)
    result.problems, result.problem_count = problems.shown, problems.count
    if not result.ok:
        return result
    result.created = len(new)
    if dry_run:
        return result
    for row in new:
        _enrol(session, row, actor)
    session.flush()
    audit.record(
        "data.import",
        user=actor,
        session=session,
        details={
            "file": "citizens",
            "rows": result.rows,
            "created": result.created,
            "present": result.present,
        },
    )
    return result


def _check_citizen(
    session: Session,
    fields: dict[str, str],
    line: int,
    teams: dict[str, Team],
    members: dict[str, tuple[User, set[int]] | None],
    seen: dict[str, int],
    today: date,
    problems: _Problems,
) -> _CitizenRow | None:
    """The row's citizen, or None after reporting every problem the row has."""
    before = problems.count
    raw = fields["citizen"]
    if (why := _reference_problem(raw)) is not None:
        problems.add(line, why)
    reference = raw.strip()
    if reference in seen:
        problems.add(
            line,
            _(
                "citizen %(reference)s is also on line %(other)s.",
                reference=_shown_reference(raw),
                other=seen[reference],
            ),
        )
    else:
        seen[reference] = line
    enrolled_on = parse_date(fields["enrolled_on"])
    if enrolled_on is None:
        problems.add(line, _("enrolled_on is not a date (YYYY-MM-DD)."))
    elif enrolled_on > today:
        problems.add(line, _("enrolled_on is in the future."))
    team_name = fields["team"].strip()
    team: Team | None = None
    if not team_name:
        if len(teams) == 1:
            team = next(iter(teams.values()))
        else:
            problems.add(
                line,
                _("the team is empty and there are %(count)s teams; name one.", count=len(teams)),
            )
    elif team_name not in teams:
        problems.add(
            line,
            _(
                "there is no team %(team)s (known: %(known)s).",
                team=team_name,
                known=", ".join(sorted(teams)) or "-",
            ),
        )
    else:
        team = teams[team_name]
    consultant_id = _check_consultant(session, fields["consultant"], team, members, line, problems)
    status, reason, ended_on = _check_status(fields, enrolled_on, today, line, problems)
    if problems.count > before or team is None or enrolled_on is None or status is None:
        return None
    return _CitizenRow(reference, enrolled_on, team.id, consultant_id, status, reason, ended_on)  # type: ignore[arg-type]


def _check_consultant(
    session: Session,
    raw: str,
    team: Team | None,
    members: dict[str, tuple[User, set[int]] | None],
    line: int,
    problems: _Problems,
) -> int | None:
    """A consultant of the team by user name; a disabled one is accepted, as imported courses
    are often historic and their consultant may have left."""
    username = raw.strip().lower()
    if not username:
        return None
    if username not in members:
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        team_ids = (
            set(
                session.execute(
                    select(TeamMembership.team_id).where(TeamMembership.user_id == user.id)
                ).scalars()
            )
            if user is not None
            else set()
        )
        members[username] = (user, team_ids) if user is not None else None
    found = members[username]
    if found is None or found[0].role != Role.CONSULTANT:
        problems.add(line, _("there is no resource consultant %(name)s.", name=username))
        return None
    user, team_ids = found
    if team is not None and team.id not in team_ids:
        problems.add(
            line, _("%(name)s is not in the team %(team)s.", name=username, team=team.name)
        )
    return user.id


def _check_status(
    fields: dict[str, str], enrolled_on: date | None, today: date, line: int, problems: _Problems
) -> tuple[CourseStatus | None, str | None, date | None]:
    """Status, reason and end date together: empty status means active."""
    raw = fields["status"].strip() or CourseStatus.ACTIVE.value
    reason = fields["status_reason"].strip() or None
    ended_raw = fields["ended_on"].strip()
    if raw not in {s.value for s in CourseStatus}:
        problems.add(
            line,
            _(
                "%(value)s is not a status (%(codes)s).",
                value=raw,
                codes=", ".join(s.value for s in CourseStatus),
            ),
        )
        return None, None, None
    status = CourseStatus(raw)
    if status is CourseStatus.ACTIVE:
        if reason or ended_raw:
            problems.add(line, _("an active course has no status_reason and no ended_on."))
        return status, None, None
    if reason not in STATUS_REASONS[status]:
        problems.add(
            line,
            _(
                "status_reason must be one of %(codes)s for %(status)s.",
                codes=", ".join(STATUS_REASONS[status]),
                status=status.value,
            ),
        )
    ended_on = parse_date(ended_raw)
    if ended_on is None:
        problems.add(line, _("ended_on is not a date (YYYY-MM-DD); an ended course needs one."))
    elif enrolled_on is not None and ended_on < enrolled_on:
        problems.add(line, _("ended_on is before enrolled_on."))
    elif ended_on > today:
        problems.add(line, _("ended_on is in the future."))
    return status, reason, ended_on


def _enrol(session: Session, row: _CitizenRow, actor: User | None) -> None:
    """The rows survey.citizens.services.enrol and end_course write, so the history is right."""
    citizen = Citizen(
        reference=row.reference,
        enrolled_on=row.enrolled_on,
        team_id=row.team_id,
        consultant_id=row.consultant_id,
        status=row.status,
        status_reason=row.status_reason,
        ended_on=row.ended_on,
    )
    session.add(citizen)
    session.flush()
    recorded_by = actor.id if actor else None
    session.add(
        CitizenEvent(
            citizen_id=citizen.id,
            kind=CitizenEventKind.ENROLLED,
            occurred_on=row.enrolled_on,
            recorded_by_id=recorded_by,
            consultant_id=row.consultant_id,
        )
    )
    if row.status is not CourseStatus.ACTIVE:
        session.add(
            CitizenEvent(
                citizen_id=citizen.id,
                kind=CitizenEventKind.ENDED,
                occurred_on=row.ended_on,
                recorded_by_id=recorded_by,
                status=row.status.value,
                reason=row.status_reason,
            )
        )


# --- responses ------------------------------------------------------------------------------


@dataclass
class _Known:
    """What the database holds for the citizen whose rows are being checked."""

    reference: str
    citizen_id: int | None = None
    enrolled_on: date | None = None
    # (point, form) -> (version, administered_on, mode, {item: [texts]})
    submitted: dict[tuple[int, str], tuple] = field(default_factory=dict)


def import_responses(
    session: Session,
    registry: InstrumentRegistry,
    source: Source,
    *,
    actor: User | None = None,
    today: date | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Add the submitted responses of a responses file (one row per answer).

    Pass 1 copies the rows into a temporary SQLite file (the spill); pass 2 reads them back
    sorted by citizen, point and form, so the rows of one response need not be adjacent, checks
    each response and queues what to write in the spill; pass 3 bulk-inserts the queue in
    batches. Memory holds one citizen's rows at a time, whatever the size of the file.
    """
    today = today or clock.today()
    result = ImportResult("responses", dry_run=dry_run)
    with Spill() as spill:
        try:
            with open_text(source) as stream:
                for record in read_records(stream, RESPONSE_COLUMNS):
                    result.rows += 1
                    wrong = wrong_field_count(record, RESPONSE_COLUMNS)
                    if wrong is not None:
                        spill.problem(wrong.line, wrong.message)
                    else:
                        spill.row(record.line, record.fields)
        except FileRefused as refused:
            spill.problem(refused.problem.line, refused.problem.message)
        spill.rows_done()
        checker = _ResponseChecker(session, registry, spill, today)
        for reference, rows in groupby(spill.sorted_rows(), key=lambda r: r[1]):
            checker.citizen(reference, rows)
        result.present = checker.present
        result.problems, result.problem_count = spill.problems(MAX_SHOWN_PROBLEMS)
        result.created = spill.queued() if result.ok else 0
        if not result.ok or dry_run:
            return result
        try:
            _write(session, spill, actor)
        except IntegrityError:
            # Someone added one of these responses after the check: refuse the whole file.
            session.rollback()
            result.created = 0
            result.problem_count = 1
            result.problems = [
                Problem(1, _("responses were added while the file was checked; import it again."))
            ]
            return result
    audit.record(
        "data.import",
        user=actor,
        session=session,
        details={
            "file": "responses",
            "rows": result.rows,
            "created": result.created,
            "present": result.present,
        },
    )
    return result


class _ResponseChecker:
    """Checks the spilled rows one citizen at a time and queues the new responses."""

    def __init__(
        self, session: Session, registry: InstrumentRegistry, spill: Spill, today: date
    ) -> None:
        self.session, self.registry, self.spill, self.today = session, registry, spill, today
        self.present = 0

    def citizen(self, reference: str, rows: Iterator[tuple]) -> None:
        known = self._load(reference)
        first_line: int | None = None
        for (point, form), group in groupby(rows, key=lambda r: (r[2], r[3])):
            if known.citizen_id is not None:
                line = self._response(known, point, form, group)
            else:
                line = next(group)[0]  # the group is sorted by line: this is its first line
            first_line = line if first_line is None else min(first_line, line)
        if known.citizen_id is None and first_line is not None:
            why = _reference_problem(reference) or _(
                "there is no citizen %(reference)s; import the citizens file first.",
                reference=reference.strip(),
            )
            self.spill.problem(first_line, why)

    def _load(self, reference: str) -> _Known:
        known = _Known(reference)
        if CPR_PATTERN.search(reference):
            return known
        found = self.session.execute(
            select(Citizen.id, Citizen.enrolled_on).where(Citizen.reference == reference.strip())
        ).first()
        if found is None:
            return known
        known.citizen_id, known.enrolled_on = found
        texts: dict[int, dict[str, list[str]]] = {}
        for response_id, code, value in self.session.execute(
            select(Answer.response_id, Answer.item_code, Answer.value)
            .join(Response, Response.id == Answer.response_id)
            .where(
                Response.citizen_id == known.citizen_id,
                Response.status == ResponseStatus.SUBMITTED,
            )
            .order_by(Answer.response_id, Answer.item_code, Answer.position)
        ):
            texts.setdefault(response_id, {}).setdefault(code, []).append(value)
        for response_id, point, form, version, administered_on, mode in self.session.execute(
            select(
                Response.id,
                Response.point,
                Response.form_id,
                Response.form_version,
                Response.administered_on,
                Response.mode,
            ).where(
                Response.citizen_id == known.citizen_id,
                Response.status == ResponseStatus.SUBMITTED,
            )
        ):
            known.submitted[(point, form)] = (
                version,
                administered_on,
                Mode(mode),
                texts.get(response_id, {}),
            )
        return known

    def _response(self, known: _Known, raw_point: str, form: str, group: Iterator[tuple]) -> int:
        """Check one citizen, point and form and queue it; returns its first line. Rows are
        (line, citizen, point, form, version, administered_on, mode, item, value) in line
        order, read one at a time."""
        problem = self.spill.problem
        before = self.spill.problem_count
        first = next(group)
        line, raw_version, raw_day, raw_mode = first[0], first[4], first[5], first[6]
        rows = chain([first], group)
        point = parse_int(raw_point)
        if point is None or not 1 <= point <= MAX_POINT:
            problem(line, _("point must be a whole number from 1 to %(max)s.", max=MAX_POINT))
        definition = self._definition(form, raw_version, line)
        day = parse_date(raw_day)
        if day is None:
            problem(line, _("administered_on is not a date (YYYY-MM-DD)."))
        elif day > self.today or (known.enrolled_on and day < known.enrolled_on):
            problem(
                line,
                _(
                    "administered_on %(day)s is not between the enrolment (%(enrolled)s) and "
                    "today.",
                    day=raw_day.strip(),
                    enrolled=known.enrolled_on.isoformat() if known.enrolled_on else "",
                ),
            )
        mode = raw_mode.strip()
        if definition is not None and mode not in definition.modes:
            problem(
                line,
                _(
                    "mode %(mode)s is not allowed for %(form)s (allowed: %(modes)s).",
                    mode=mode,
                    form=definition.key,
                    modes=", ".join(definition.modes),
                ),
            )
        given: dict[str, AnswerValue] = {}
        lines: dict[str, int] = {}
        for row_line, *_rest, version_, day_, mode_, item_code, value in rows:
            for name, this, first in (
                ("administered_on", day_, raw_day),
                ("form_version", version_, raw_version),
                ("mode", mode_, raw_mode),
            ):
                if this.strip() != first.strip():
                    problem(
                        row_line,
                        _(
                            "%(column)s %(value)s differs from %(first)s on line %(line)s; all "
                            "rows of one response must agree.",
                            column=name,
                            value=this.strip(),
                            first=first.strip(),
                            line=line,
                        ),
                    )
            code = item_code.strip()
            if code in lines:
                problem(
                    row_line,
                    _("item %(item)s is also on line %(line)s.", item=code, line=lines[code]),
                )
                continue
            lines[code] = row_line
            if definition is None:
                continue
            if not definition.has_item(code):
                problem(
                    row_line,
                    _("%(form)s has no item %(item)s.", form=definition.key, item=code),
                )
                continue
            item = definition.item(code)
            try:
                value_ = parse(item, value)
            except BadValue as bad:
                problem(row_line, str(bad))
                continue
            if value_ is None:
                continue
            if point is not None and not item.asked_at(point):
                problem(
                    row_line,
                    _("%(item)s is asked only at point 1 (baseline).", item=code),
                )
                continue
            given[code] = value_
        if definition is None or point is None:
            return line
        shown = visible(definition, given, point)
        for code in sorted(set(given) - shown, key=lambda c: lines[c]):
            condition = definition.item(code).show_when
            problem(
                lines[code],
                _(
                    "%(item)s is answered, but it is asked only when %(other)s is %(values)s.",
                    item=code,
                    other=condition.item if condition else "",
                    values=" or ".join(str(v) for v in condition.values) if condition else "",
                ),
            )
        if self.spill.problem_count > before or day is None:
            return line
        texts = {
            code: answer_values.encode(definition.item(code), value_)
            for code, value_ in given.items()
        }
        existing = known.submitted.get((point, form))
        if existing is not None:
            if existing == (definition.version, day, Mode(mode), texts):
                self.present += 1
            else:
                problem(
                    line,
                    _(
                        "a different submitted %(form)s response for %(reference)s at point "
                        "%(point)s already exists; amend it in the app instead.",
                        form=form,
                        reference=known.reference,
                        point=point,
                    ),
                )
            return line
        self.spill.queue(
            (known.citizen_id, point, form, definition.version, day.isoformat(), mode), texts
        )
        return line

    def _definition(self, form: str, raw_version: str, line: int) -> InstrumentVersion | None:
        version = parse_int(raw_version)
        try:
            definition = self.registry.get(form, version) if version is not None else None
        except UnknownInstrument:
            definition = None
        if definition is None or definition.kind is not Kind.FORM:
            forms = ", ".join(f"{f.id} {f.version}" for f in self.registry.forms() if f.published)
            self.spill.problem(
                line,
                _(
                    "there is no form %(form)s version %(version)s (known: %(known)s).",
                    form=form,
                    version=raw_version.strip(),
                    known=forms,
                ),
            )
            return None
        if not definition.published:
            self.spill.problem(
                line, _("%(form)s is not published; publish it first.", form=definition.key)
            )
            return None
        return definition


def _write(session: Session, spill: Spill, actor: User | None) -> None:
    """Bulk-insert the queued responses and their answers, a batch at a time."""
    now = utcnow()
    entered_by = actor.id if actor else None
    statement = insert(Response).returning(Response.id, sort_by_parameter_order=True)
    for batch in spill.queued_batches(WRITE_BATCH):
        responses = [
            {
                "citizen_id": citizen_id,
                "point": point,
                "form_id": form,
                "form_version": version,
                "administered_on": date.fromisoformat(day),
                "mode": mode,
                "entered_by_id": entered_by,
                "status": ResponseStatus.SUBMITTED.value,
                "started_at": now,
                "submitted_at": now,
                "updated_at": now,
            }
            for _seq, citizen_id, point, form, version, day, mode in batch
        ]
        ids = session.execute(statement, responses).scalars().all()
        by_seq = {row[0]: response_id for row, response_id in zip(batch, ids, strict=True)}
        answers = [
            {"response_id": by_seq[seq], "item_code": code, "position": position, "value": text}
            for seq, code, position, text in spill.queued_answers(batch[0][0], batch[-1][0])
        ]
        if answers:
            session.execute(insert(Answer), answers)
