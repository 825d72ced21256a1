"""Importing the responses file (one row per answer), streamed through a spill file so memory
does not grow with the file; see docs/data-formats.md."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import chain, groupby

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from survey import answers as answer_rows
from survey import clock
from survey.instruments import InstrumentRegistry, UnknownInstrument
from survey.instruments import values as answer_values
from survey.instruments.asking import visible
from survey.instruments.schema import AnswerValue, InstrumentVersion, Kind
from survey.interop.csvio import (
    MAX_SHOWN_PROBLEMS,
    RESPONSE_COLUMNS,
    FileRefused,
    open_text,
    read_records,
    shown,
    wrong_field_count,
)
from survey.interop.results import (
    ImportResult,
    Source,
    audit_import,
    reference_problem,
    refuse_whole_file,
)
from survey.interop.spill import Spill
from survey.interop.values import BadValue, parse, parse_date, parse_int
from survey.jobs.progress import Progress, no_progress
from survey.models import (
    CPR_PATTERN,
    Answer,
    Citizen,
    Mode,
    Response,
    ResponseStatus,
    User,
    utcnow,
)
from survey.refusals import say as _
from survey.schedule import MAX_POINT

WRITE_BATCH = 1000  # responses per bulk insert: large enough to be fast, small enough to stream


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
    progress: Progress = no_progress,
) -> ImportResult:
    """Add the submitted responses of a responses file (one row per answer).

    Pass 1 copies the rows into a temporary SQLite file (the spill); pass 2 reads them back
    sorted by citizen, point and form, so the rows of one response need not be adjacent, checks
    each response and queues what to write in the spill; pass 3 bulk-inserts the queue in
    batches. Memory holds one citizen's stored responses and one response's answers at a
    time, whatever the size of the file. A write that collides with a response added meanwhile
    rolls the session back and refuses the file. Refused or not, dry run or not, the session
    ends with one `data.import` audit entry for the caller to commit (see `results.audit_import`).
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
        citizens = spill.citizens()
        progress("checking", 0, citizens)
        for done, (reference, rows) in enumerate(
            groupby(spill.sorted_rows(), key=lambda r: r[1]), start=1
        ):
            checker.citizen(reference, rows)
            progress("checking", done, citizens)
        result.present = checker.present
        result.problems, result.problem_count = spill.problems(MAX_SHOWN_PROBLEMS)
        result.created = spill.queued() if result.ok else 0
        if not result.ok or dry_run:
            return audit_import(session, actor, result)
        progress("writing", 0, result.created)
        try:
            _write(session, spill, actor)
        except IntegrityError:  # someone added one of these responses after the check
            refuse_whole_file(
                session,
                result,
                _("responses were added while the file was checked; import it again."),
            )
    return audit_import(session, actor, result)


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
            why = reference_problem(reference) or _(
                "there is no citizen %(reference)s; import the citizens file first.",
                reference=reference.strip(),
            )
            self.spill.problem(first_line, why)

    def _load(self, reference: str) -> _Known:
        known = _Known(reference)
        if CPR_PATTERN.search(reference):
            return known
        found = self.session.execute(
            select(col(Citizen.id), col(Citizen.enrolled_on)).where(
                col(Citizen.reference) == reference.strip()
            )
        ).first()
        if found is None:
            return known
        known.citizen_id, known.enrolled_on = found
        texts = answer_rows.texts_where(
            self.session,
            (col(Response.citizen_id) == known.citizen_id)
            & (col(Response.status) == ResponseStatus.SUBMITTED),
        )
        for response_id, point, form, version, administered_on, mode in self.session.execute(
            select(
                col(Response.id),
                col(Response.point),
                col(Response.form_id),
                col(Response.form_version),
                col(Response.administered_on),
                col(Response.mode),
            ).where(
                col(Response.citizen_id) == known.citizen_id,
                col(Response.status) == ResponseStatus.SUBMITTED,
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
                    mode=shown(mode),
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
                            value=shown(this),
                            first=shown(first),
                            line=line,
                        ),
                    )
            code = item_code.strip()
            if code in lines:
                problem(
                    row_line,
                    _(
                        "item %(item)s is also on line %(line)s.",
                        item=shown(code),
                        line=lines[code],
                    ),
                )
                continue
            lines[code] = row_line
            if definition is None:
                continue
            if not definition.has_item(code):
                problem(
                    row_line,
                    _("%(form)s has no item %(item)s.", form=definition.key, item=shown(code)),
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
        asked = visible(definition, given, point)
        for code in sorted(set(given) - asked, key=lambda c: lines[c]):
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
        other = self.spill.queue(
            line, (known.citizen_id, point, form, definition.version, day.isoformat(), mode), texts
        )
        if other is not None:
            problem(
                line,
                _(
                    "the %(form)s response at point %(point)s is also on line %(line)s (the "
                    "same citizen, point and form written differently).",
                    form=form,
                    point=point,
                    line=other,
                ),
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
                    form=shown(form),
                    version=shown(raw_version),
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
    statement = insert(Response).returning(col(Response.id), sort_by_parameter_order=True)
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
