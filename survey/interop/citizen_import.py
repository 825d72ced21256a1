"""Importing the citizens file: each row checked like an enrolment, then written with the events
an enrolment and a course end write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from survey import clock
from survey.citizens import services as citizens
from survey.interop.csvio import (
    CITIZEN_COLUMNS,
    FileRefused,
    open_text,
    read_records,
    shown,
    unguard,
    wrong_field_count,
)
from survey.interop.results import (
    ImportResult,
    ProblemList,
    Source,
    audit_import,
    reference_problem,
    refuse_whole_file,
    shown_reference,
)
from survey.interop.values import parse_date
from survey.jobs.progress import Progress, no_progress
from survey.models import (
    STATUS_REASONS,
    Citizen,
    CourseStatus,
    Role,
    Team,
    TeamMembership,
    User,
)
from survey.refusals import say as _


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
    progress: Progress = no_progress,
) -> ImportResult:
    """Enrol the citizens of a citizens file, with the events a normal enrolment and course end
    write. A citizen already enrolled with the same details counts as already present; with other
    details the file is refused. The pending rows are kept in memory: a citizens file has one row
    per citizen, far smaller than a responses file. A write that collides with a citizen enrolled
    meanwhile rolls the session back and refuses the file. Refused or not, dry run or not, the
    session ends with one `data.import` audit entry for the caller to commit."""
    today = today or clock.today()
    result = ImportResult("citizens", dry_run=dry_run)
    problems = ProblemList()
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
                    select(Citizen).where(col(Citizen.reference) == row.reference)
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
        return audit_import(session, actor, result)
    result.created = len(new)
    if dry_run:
        return audit_import(session, actor, result)
    progress("writing", 0, len(new))
    try:
        for row in new:
            _enrol(session, row, actor)
        session.flush()
    except IntegrityError:  # a citizen of the file was enrolled in the app after the check
        refuse_whole_file(
            session,
            result,
            _("citizens were enrolled while the file was checked; import it again."),
        )
    return audit_import(session, actor, result)


def _check_citizen(
    session: Session,
    fields: dict[str, str],
    line: int,
    teams: dict[str, Team],
    members: dict[str, tuple[User, set[int]] | None],
    seen: dict[str, int],
    today: date,
    problems: ProblemList,
) -> _CitizenRow | None:
    """The row's citizen, or None after reporting every problem the row has."""
    before = problems.count
    raw = unguard(fields["citizen"].strip())
    if (why := reference_problem(raw)) is not None:
        problems.add(line, why)
    reference = raw.strip()
    if reference in seen:
        problems.add(
            line,
            _(
                "citizen %(reference)s is also on line %(other)s.",
                reference=shown_reference(raw),
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
    team_name = unguard(fields["team"].strip())
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
                team=shown(team_name),
                known=", ".join(sorted(teams)) or "-",
            ),
        )
    else:
        team = teams[team_name]
    consultant_id = _check_consultant(session, fields["consultant"], team, members, line, problems)
    status, reason, ended_on = _check_status(fields, enrolled_on, today, line, problems)
    if problems.count > before or team is None or enrolled_on is None or status is None:
        return None
    assert team.id is not None  # a team read from the database
    return _CitizenRow(reference, enrolled_on, team.id, consultant_id, status, reason, ended_on)


def _check_consultant(
    session: Session,
    raw: str,
    team: Team | None,
    members: dict[str, tuple[User, set[int]] | None],
    line: int,
    problems: ProblemList,
) -> int | None:
    """A consultant of the team by user name; a disabled one is accepted, as imported courses
    are often historic and their consultant may have left."""
    username = unguard(raw.strip()).lower()
    if not username:
        return None
    if username not in members:
        user = session.execute(
            select(User).where(col(User.username) == username)
        ).scalar_one_or_none()
        team_ids = (
            set(
                session.execute(
                    select(col(TeamMembership.team_id)).where(
                        col(TeamMembership.user_id) == user.id,
                        col(TeamMembership.role) == Role.CONSULTANT,
                    )
                ).scalars()
            )
            if user is not None
            else set()
        )
        members[username] = (user, team_ids) if user is not None else None
    found = members[username]
    if found is None or not found[1]:
        problems.add(line, _("there is no resource consultant %(name)s.", name=shown(username)))
        return None
    user, team_ids = found
    if team is not None and team.id not in team_ids:
        problems.add(
            line, _("%(name)s is not in the team %(team)s.", name=username, team=team.name)
        )
    return user.id


def _check_status(
    fields: dict[str, str], enrolled_on: date | None, today: date, line: int, problems: ProblemList
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
                value=shown(raw),
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
    """Through the enrolment service's writers, so the citizen's history and the audit trail
    read as for a citizen enrolled in the app; the file's checks are done already."""
    citizen = Citizen(
        reference=row.reference,
        enrolled_on=row.enrolled_on,
        team_id=row.team_id,
        consultant_id=row.consultant_id,
        status=row.status,
        status_reason=row.status_reason,
        ended_on=row.ended_on,
    )
    recorded_by = actor.id if actor else None
    citizens.write_enrolment(
        session, citizen, recorded_by_id=recorded_by, actor=actor, details={"import": True}
    )
    if row.status is not CourseStatus.ACTIVE:
        citizens.write_end(
            session, citizen, recorded_by_id=recorded_by, actor=actor, details={"import": True}
        )
